"""The sandbox around grading kernels, on its own: what a process inside can and cannot do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course.grading import sandbox
from course.grading.sandbox import Box, Limits, describe_exit, limited, support

ROOT = Path(__file__).resolve().parents[2]
needs_sandbox = pytest.mark.skipif(not support().available, reason=f"no sandbox here: {support().reason}")

PROBE = r"""
import json, os, socket, sys
out = {"uid": os.getuid(), "cwd": os.getcwd()}
def can(fn):
    try:
        fn()
        return True
    except Exception:
        return False
root = sys.argv[1]
out["read_source"] = can(lambda: os.listdir(os.path.join(root, "source")))
out["read_gradebook"] = can(lambda: open(os.path.join(root, "gradebook.db"), "rb").read(1))
out["write_repo"] = can(lambda: open(os.path.join(root, "course", "pwned.py"), "w").write("x"))
out["read_course"] = can(lambda: open(os.path.join(root, "course", "checks.py")).read(1))
out["read_data"] = can(lambda: os.listdir(os.environ["COURSE_DATA_DIR"]))
out["write_python"] = can(lambda: open(os.path.join(sys.prefix, "pwned.txt"), "w").write("x"))
out["write_data"] = can(lambda: open(os.path.join(os.environ["COURSE_DATA_DIR"], "pwned.txt"), "w").write("x"))
out["write_cwd"] = can(lambda: open("scratch.txt", "w").write("x"))
out["see_visible"] = can(lambda: open("given.txt").read())
out["write_visible"] = can(lambda: open("given.txt", "a").write("x"))
out["see_notebook"] = os.path.exists("nb.ipynb")
out["network"] = can(lambda: socket.create_connection(("1.1.1.1", 53), timeout=1))
out["env_secret"] = "COURSE_DB_URL" in os.environ
out["big_alloc"] = can(lambda: bytearray(16 * 2**30))
print(json.dumps(out))
"""


def _box(tmp_path: Path, drop_user: bool | None = None) -> tuple[Box, Path]:
    scratch = tmp_path / "autograded" / "alice" / "01_x"
    scratch.mkdir(parents=True)
    (scratch / "given.txt").write_text("from source/")
    (scratch / "nb.ipynb").write_text("{}")
    from course.paths import data_dir

    env = sandbox.kernel_env(str(data_dir()), None, True)
    drop = support().drop_user if drop_user is None else drop_user
    box = Box(cwd=str(scratch), drop_user=drop, visible=[str(scratch / "given.txt")], env=env, limits=Limits(memory_mb=1024))
    return box, scratch


def test_the_command_line_isolates_the_kernel(tmp_path: Path) -> None:
    box, scratch = _box(tmp_path)
    args = box.wrap(["python", "-c", "pass"])
    for flag in ("--unshare-net", "--unshare-pid", "--unshare-ipc", "--die-with-parent", "--clearenv"):
        assert flag in args
    binds = {args[i + 2] for i, a in enumerate(args) if a in ("--bind", "--ro-bind") and i + 2 < len(args)}
    assert str(ROOT) not in binds and str(ROOT / "source") not in binds
    assert str(scratch) not in {args[i + 2] for i, a in enumerate(args) if a == "--bind"}  # a tmpfs, not the host folder
    assert "--tmpfs" in args and str(scratch) in args


def test_exit_codes_are_explained() -> None:
    assert "memory" in describe_exit(137)
    assert "CPU-time" in describe_exit(128 + 24)
    assert "segmentation" in describe_exit(-11)
    assert "os._exit(3)" in describe_exit(3)
    assert "exit()" in describe_exit(0)


def test_limits_are_set_before_the_program_starts() -> None:
    argv = limited([sys.executable, "-c", "import resource; print(resource.getrlimit(resource.RLIMIT_DATA)[0], resource.getrlimit(resource.RLIMIT_CPU)[0])"],
                   Limits(memory_mb=1024, cpu_seconds=77))
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    data, cpu = out.stdout.split()
    assert int(data) == 1024 << 20 and int(cpu) == 77


def test_no_sandbox_is_said_once(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(sandbox.MODE_ENV, "off")
    monkeypatch.setattr(sandbox, "_WARNED", False)
    try:
        s = support(refresh=True)
        assert not s.available and "UNSANDBOXED" in s.describe()
        sandbox.warn_once()
        sandbox.warn_once()
        assert capsys.readouterr().err.count("UNSANDBOXED") == 1
    finally:
        monkeypatch.delenv(sandbox.MODE_ENV)
        support(refresh=True)


def test_every_bind_but_the_declared_writable_ones_is_read_only(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    box, scratch = _box(tmp_path)
    box.extra_rw = [str(run_dir)]
    box.extra_ro = [str(tmp_path / "extra")]
    (tmp_path / "extra").mkdir()
    args = box.wrap(["python", "-c", "pass"])
    writable = {args[i + 2] for i, a in enumerate(args) if a == "--bind"}
    assert writable == {str(run_dir)}, f"writable binds beyond the declared ones: {writable}"
    devices = {args[i + 2] for i, a in enumerate(args) if a == "--dev-bind"}
    assert all(d.startswith(("/dev/nvidia", "/dev/dri")) for d in devices), devices
    read_only = {args[i + 2] for i, a in enumerate(args) if a == "--ro-bind"}
    from course.paths import data_dir, package_dir

    for must in (str(package_dir()), str(tmp_path / "extra")) + ((str(data_dir()),) if data_dir().exists() else ()):
        assert must in read_only, f"{must} is not bound read-only: {read_only}"


@needs_sandbox
@pytest.mark.parametrize("switch", sorted({support().drop_user, False}), ids=lambda v: "user-switch" if v else "no-user-switch")
def test_inside_the_box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: bool) -> None:
    """What a kernel can do in the box; also with no user switch (an ordinary instructor's kernel
    keeps the instructor's uid), where only the read-only binds keep the course's files safe."""
    monkeypatch.setenv("COURSE_DB_URL", "postgresql://grader:secret@db/course")  # the kernel must not see it
    box, scratch = _box(tmp_path, drop_user=switch)
    argv = box.wrap(limited([sys.executable, "-c", PROBE, str(ROOT)], Limits(memory_mb=1024)))
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    finally:  # a broken box must not leave its probe files behind in the checkout or the venv
        from course.paths import data_dir

        for left in (ROOT / "course" / "pwned.py", Path(sys.prefix) / "pwned.txt", data_dir() / "pwned.txt"):
            left.unlink(missing_ok=True)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["cwd"] == str(scratch)
    assert out["read_course"] and out["read_data"] and out["write_cwd"] and out["see_visible"]
    for bad in ("read_source", "read_gradebook", "write_repo", "write_python", "write_data", "write_visible", "see_notebook",
                "network", "env_secret", "big_alloc"):
        assert out[bad] is False, f"{bad} should be impossible in the sandbox: {out}"
    if os.geteuid() == 0 and switch:
        assert out["uid"] != 0, "the kernel must not run as root"
    assert not (scratch / "scratch.txt").exists(), "writes must stay inside the box"


# --- the sandbox as jupyter_client's kernel provisioner --------------------------------------

def test_the_package_registers_the_provisioner_that_the_grader_names() -> None:
    import tomllib

    from jupyter_client.provisioning import LocalProvisioner

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    group = data["project"]["entry-points"]["jupyter_client.kernel_provisioners"]
    module, _, name = group[sandbox.PROVISIONER].partition(":")
    assert module == "course.grading.sandbox" and getattr(sandbox, name) is sandbox.SandboxProvisioner
    assert issubclass(sandbox.SandboxProvisioner, LocalProvisioner)


def test_jupyter_client_builds_the_grading_kernel_through_the_provisioner(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.factory import KernelProvisionerFactory

    from course.grading.kernel import GradingKernelSpecs

    factory = KernelProvisionerFactory.instance()
    ep = EntryPoint(sandbox.PROVISIONER, "course.grading.sandbox:SandboxProvisioner", factory.GROUP_NAME)
    monkeypatch.setitem(factory.provisioners, sandbox.PROVISIONER, ep)
    specs = GradingKernelSpecs(provisioner_config={"scratch": "/nowhere", "limits_overrides": {"memory_mb": 123}},
                               interrupt_by_message=True)
    km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)
    assert km.kernel_spec.interrupt_mode == "message"  # a sandboxed kernel leads no process group
    made = factory.create_provisioner_instance("k", km.kernel_spec, parent=km)
    assert isinstance(made, sandbox.SandboxProvisioner)
    assert made.scratch == "/nowhere" and made.limits.memory_mb == 123


def test_without_the_registered_provisioner_nothing_is_graded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An installation that does not register the entry point must not fall back to a plain kernel."""
    import importlib.metadata

    import nbformat

    from course.grading.execute import GradingExecute
    from course.grading.protocol import GraderFailure

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **kw: [])
    assert not sandbox.provisioner_registered()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('never run')")])
    started = []
    monkeypatch.setattr("course.grading.kernel.GradingKernel.start", lambda self: started.append(1))
    with pytest.raises(GraderFailure, match="kernel provisioner .* is not registered"):
        GradingExecute().preprocess(nb, {"metadata": {"path": str(tmp_path)}, "nbgrader": {}})
    assert not started and not nb.cells[0].outputs
