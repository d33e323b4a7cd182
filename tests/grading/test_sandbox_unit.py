"""The sandbox's command lines, read without starting bubblewrap: what the kernel sees, what it
may write, who it runs as, which limits it gets. Part of the fast oracle of ``make mutation``;
``test_sandbox.py`` starts real sandboxes."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.provisioning import LocalProvisioner
from tinycourse import run_async
from traitlets.config import Configurable

from course.grading import protocol
from course.grading import sandbox as sbx
from course.paths import package_dir

# bwrap's options used by the sandbox, with how many operands each takes.
ARITY = {
    "--unshare-pid": 0, "--unshare-net": 0, "--unshare-ipc": 0, "--unshare-uts": 0, "--unshare-cgroup-try": 0,
    "--unshare-user": 0, "--die-with-parent": 0, "--clearenv": 0, "--hostname": 1, "--cap-drop": 1,
    "--symlink": 2, "--ro-bind": 2, "--bind": 2, "--dev-bind": 2, "--proc": 1, "--dev": 1, "--tmpfs": 1,
    "--dir": 1, "--chdir": 1, "--setenv": 2,
}
MODIFIERS = {"--perms", "--size"}  # apply to the next operation


def parse(args: list[str]) -> tuple[list[tuple[Any, ...]], list[str]]:
    """A bwrap command line as (option, operands..., {modifiers}) and the command after ``--``;
    fails on anything bwrap would not accept as the sandbox uses it."""
    assert args[0] == "bwrap"
    ops: list[tuple[Any, ...]] = []
    mods: dict[str, str] = {}
    i = 1
    while args[i] != "--":
        flag = args[i]
        if flag in MODIFIERS:
            mods[flag] = args[i + 1]
            i += 2
            continue
        assert flag in ARITY, f"unknown bwrap option {flag!r} in {args}"
        n = ARITY[flag]
        ops.append((flag, *args[i + 1:i + 1 + n], mods))
        mods = {}
        i += 1 + n
    assert not mods, f"--perms/--size without an operation: {args}"
    return ops, args[i + 1:]


def _binds(args: list[str], flag: str) -> list[tuple[str, str]]:
    return [(args[i + 1], args[i + 2]) for i, a in enumerate(args) if a == flag]


def test_only_the_declared_folders_are_writable(tmp_path: Path) -> None:
    sockets = tmp_path / "sockets"
    sockets.mkdir()
    args = sbx.Box(cwd=str(tmp_path / "scratch"), extra_rw=[str(sockets)]).wrap(["python", "-c", "pass"])
    assert _binds(args, "--bind") == [(str(sockets), str(sockets))]
    read_only = [dest for _, dest in _binds(args, "--ro-bind")]
    package = str(package_dir())
    assert any(package == r or package.startswith(r.rstrip("/") + "/") for r in read_only), read_only
    assert args[-3:] == ["python", "-c", "pass"] and args[-4] == "--"


# --- Box.wrap on a made-up host ---------------------------------------------------------------

class Host:
    """A host file system for Box.wrap, all under tmp_path: a system folder, a symlinked one,
    the Python installation, the course package and its data, and GPU device nodes."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = tmp_path
        self.usr = self.mk("usr")
        self.py = self.mk("py")  # the Python installation
        self.course = self.mk("checkout/course")
        self.data = self.mk("checkout/data")
        self.nested = self.mk("py/lib/site-packages")  # inside the installation: seen through it
        monkeypatch.setattr(sbx, "_system_dirs", lambda: [(str(self.usr), None), ("/bin", "usr/bin")])
        monkeypatch.setattr(sbx, "_python_paths", lambda: [str(self.py), str(self.nested)])
        monkeypatch.setattr(sbx, "_course_paths", lambda: [str(self.course), str(self.data)])
        devices = {"/dev/nvidia*": ["/dev/nvidia1", "/dev/nvidia0", "/dev/nvidiactl"], "/dev/dri": ["/dev/dri"]}
        monkeypatch.setattr(sbx, "glob", SimpleNamespace(glob=lambda pattern: list(devices.get(pattern, []))))
        monkeypatch.setattr(sbx.shutil, "which", lambda name: f"/sbin/{name}")

    def mk(self, rel: str) -> str:
        p = self.root / rel
        p.mkdir(parents=True, exist_ok=True)
        return str(p)


def test_the_box_isolates_and_binds_everything_but_its_folders_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = Host(tmp_path, monkeypatch)
    run = host.mk("run")
    scratch = str(tmp_path / "autograded" / "alice" / "01_x")
    given = host.mk("autograded/alice/01_x/given")
    extra = host.mk("extra-folder-of-the-course-models")  # longer than every other read-only path
    box = sbx.Box(cwd=scratch, visible=[given], extra_rw=[run], extra_ro=[extra, extra, str(tmp_path / "missing")],
                  env={"LANG": "C.UTF-8", "HOME": "/tmp/home"}, limits=sbx.Limits(tmp_mb=3))
    args = box.wrap(["python", "-m", "kernel"])
    ops, command = parse(args)
    flags = [op[0] for op in ops]
    for isolation in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                      "--die-with-parent", "--unshare-user", "--clearenv"):
        assert isolation in flags, f"{isolation} missing: {args}"
    assert ("--hostname", "grader", {}) in ops and ("--cap-drop", "ALL", {}) in ops
    assert command == ["python", "-m", "kernel"], "no user switch without drop_user"
    # writable: only the declared folder; devices: only the GPU's
    assert [op[1:3] for op in ops if op[0] == "--bind"] == [(run, run)]
    assert [op[1:3] for op in ops if op[0] == "--dev-bind"] == [(d, d) for d in ("/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl", "/dev/dri")]
    ro = [op[1:3] for op in ops if op[0] == "--ro-bind"]
    for path in (host.usr, host.py, host.course, host.data, extra, given, "/sys"):
        assert (path, path) in ro, f"{path} is not bound read-only: {ro}"
    assert ro.count((extra, extra)) == 1, "a folder is bound once"
    assert not any(dest in (host.nested, str(tmp_path / "missing")) for _, dest in ro), "seen through its parent / absent"
    assert ("--symlink", "usr/bin", "/bin", {}) in ops
    assert ("--proc", "/proc", {}) in ops and ("--dev", "/dev", {}) in ops
    # private, size-limited /tmp, /dev/shm and working folder
    size = {"--perms": "1777", "--size": str(3 << 20)}
    assert [op[1:] for op in ops if op[0] == "--tmpfs"] == [("/tmp", size), ("/dev/shm", size), (scratch, size)]
    assert ops.index(("--ro-bind", given, given, {})) > ops.index(("--tmpfs", scratch, size)), "shown over the tmpfs"
    assert ops[-4:] == [("--chdir", scratch, {}), ("--clearenv", {}), ("--setenv", "LANG", "C.UTF-8", {}),
                        ("--setenv", "HOME", "/tmp/home", {})], "the environment is exactly the box's"
    # the parents of every bind are made, once, before it; never /tmp or a bound or system folder
    dirs = [op[1] for op in ops if op[0] == "--dir"]
    assert all(op[2] == {"--perms": "0755"} for op in ops if op[0] == "--dir")
    assert len(dirs) == len(set(dirs))
    ancestors = {str(a) for a in tmp_path.parents if len(a.parts) > 1 and str(a) != "/tmp"}
    assert set(dirs) == ancestors | {str(tmp_path / d) for d in ("", "checkout", "autograded", "autograded/alice")}
    assert not set(dirs) & {host.usr, host.py, host.course, run, scratch, extra}
    made = {"/", "/tmp", "/dev", "/proc", host.usr}  # (a system folder is top-level on a real host)
    for op in ops:
        if op[0] in ("--ro-bind", "--bind", "--dir", "--tmpfs") and op[-2].startswith(str(tmp_path)) and op[-2] != host.usr:
            parent = os.path.dirname(op[-2])
            assert parent in made, f"{op[-2]} is bound before its parent {parent} exists"
        if op[0] in ("--ro-bind", "--bind", "--dir", "--tmpfs", "--symlink"):
            made.add(op[-2])


def test_parents_inside_bound_or_system_folders_are_not_made_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = Host(tmp_path, monkeypatch)
    sock = host.mk("usr/run/sockets")  # under a system folder
    scratch = str(Path(host.py) / "scratch" / "cwd")  # under a read-only bound folder
    run = host.mk("run")
    args = sbx.Box(cwd=scratch, extra_rw=[sock, run], extra_ro=[str(Path(host.usr) / "share")]).wrap(["k"])
    ops, _ = parse(args)
    dirs = [op[1] for op in ops if op[0] == "--dir"]
    assert str(Path(host.usr) / "run") not in dirs and host.usr not in dirs
    assert host.py not in dirs and str(Path(host.py) / "scratch") in dirs
    assert run not in dirs
    assert not any(op[0] == "--ro-bind" and op[2].startswith(host.usr + "/") for op in ops), "seen through /usr"
    assert [op[0] for op in ops].count("--tmpfs") == 3 and ("--chdir", scratch, {}) in ops


def test_a_symlinked_folder_is_shown_at_both_paths_with_its_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = Host(tmp_path, monkeypatch)
    target = host.mk("elsewhere/models")
    link = Path(host.py) / "models"  # inside a bound folder, but pointing out of it
    link.symlink_to(target)
    args = sbx.Box(cwd=None, extra_ro=[str(link)]).wrap(["k"])
    ops, _ = parse(args)
    ro = [op[1:3] for op in ops if op[0] == "--ro-bind"]
    assert (target, str(link)) in ro and (target, target) in ro
    assert ro.index((host.py, host.py)) < ro.index((target, str(link))), "a parent is bound before what lies inside it"
    assert not any(op[0] in ("--chdir", "--bind") for op in ops)
    assert [op[1:] for op in ops if op[0] == "--tmpfs"] == [(d, {"--perms": "1777", "--size": str(512 << 20)}) for d in ("/tmp", "/dev/shm")]


def test_folders_the_box_already_has_are_not_made_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bwrap's --dir for a folder the box already has (its /dev, its /proc, a symlinked system
    folder, a bound folder) would stand in the way of what is there."""
    Host(tmp_path, monkeypatch)
    run = str(tmp_path / "run")
    box = sbx.Box(cwd=str(tmp_path / "run" / "scratch"), extra_rw=[run, "/dev/shm/sockets", "/proc/driver/x", "/bin/x/y",
                                                                   "/srv/grader/sockets"])
    ops, _ = parse(box.wrap(["k"]))
    dirs = [op[1] for op in ops if op[0] == "--dir"]
    assert not set(dirs) & {"/dev", "/dev/shm", "/proc", "/bin", run}, dirs
    assert "/bin/x" in dirs and "/proc/driver" in dirs
    assert dirs.index("/srv") < dirs.index("/srv/grader"), "a new top-level folder is made first"
    assert all(d.startswith("/") for d in dirs)


def test_what_lies_under_sys_is_seen_through_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Host(tmp_path, monkeypatch)
    under = os.path.join("/sys", sorted(os.listdir("/sys"))[0])
    ops, _ = parse(sbx.Box(cwd=None, extra_ro=[under]).wrap(["k"]))
    assert ("--ro-bind", "/sys", "/sys", {}) in ops
    assert not any(op[0] in ("--ro-bind", "--dir") and op[-2] == under for op in ops), ops


@pytest.mark.parametrize("which", ["/usr/bin/setpriv", None])
def test_as_root_the_kernel_switches_to_an_unprivileged_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str | None) -> None:
    Host(tmp_path, monkeypatch)
    monkeypatch.setattr(sbx.shutil, "which", lambda name: which if name == "setpriv" else None)
    args = sbx.Box(cwd=None, drop_user=True, uid=61234).wrap(["python", "-m", "kernel"])
    ops, command = parse(args)
    flags = [op[0] for op in ops]
    assert "--unshare-user" not in flags and "--cap-drop" not in flags
    assert command == [which or "setpriv", "--reuid=61234", "--regid=61234", "--clear-groups", "--inh-caps=-all",
                       "--bounding-set=-all", "--no-new-privs", "python", "-m", "kernel"]
    assert sbx.Box(cwd=None, drop_user=True).wrap(["k"])[-7:-5] == [f"--reuid={sbx.SANDBOX_UID_BASE}", f"--regid={sbx.SANDBOX_UID_BASE}"]


def test_the_host_folders_the_box_starts_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    links = {"/bin": "usr/bin", "/lib": "usr/lib", "/sbin": "usr/sbin", "/lib32": "usr/lib32"}
    dirs = {"/usr", "/etc", "/opt", "/lib64", "/libx32", "/home"}
    monkeypatch.setattr(os.path, "islink", lambda p: p in links)
    monkeypatch.setattr(os.path, "isdir", lambda p: p in dirs or p in links)
    monkeypatch.setattr(os, "readlink", lambda p: links[p])
    found = sbx._system_dirs()
    monkeypatch.undo()
    assert found == [("/usr", None), ("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib"), ("/lib32", "usr/lib32"),
                     ("/lib64", None), ("/libx32", None), ("/etc", None), ("/opt", None)], "and never /home"
    paths = sbx._python_paths()
    assert sys.prefix in paths and paths == sorted(set(paths))
    assert str(Path(os.path.realpath(sys.executable)).parent.parent) in paths
    from course.paths import data_dir

    assert sbx._course_paths() == [str(package_dir()), str(data_dir())]


def test_python_paths_are_the_existing_installation_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "base").mkdir()
    (tmp_path / "real" / "bin").mkdir(parents=True)
    (tmp_path / "real" / "bin" / "python3").write_text("")
    exe = tmp_path / "venv" / "bin" / "python"
    exe.symlink_to(tmp_path / "real" / "bin" / "python3")  # a venv's python links to the installation's
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.setattr(sys, "exec_prefix", str(tmp_path / "venv"))
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path / "base"))
    monkeypatch.setattr(sys, "base_exec_prefix", str(tmp_path / "gone"))
    monkeypatch.setattr(sys, "executable", str(exe))
    found = sbx._python_paths()
    monkeypatch.undo()
    assert found == [str(tmp_path / "base"), str(tmp_path / "real"), str(tmp_path / "venv")]


def test_inside_means_the_folder_itself_or_below_it() -> None:
    assert sbx._inside("/a/b", ["/x", "/a/b"])
    assert sbx._inside("/a/b/c", ["/a/b/"])
    assert sbx._inside("/etc", ["/"])
    assert not sbx._inside("/a/bc", ["/a/b"])
    assert not sbx._inside("/a", ["/a/b"])
    assert not sbx._inside("/a", [])
    assert not sbx._inside("/mnt/data", ["/mnt/X"])


# --- limits -------------------------------------------------------------------------------

def test_limits_in_the_units_setrlimit_takes() -> None:
    assert sbx.Limits().rlimits() == {"CPU": 900, "FSIZE": 256 << 20, "NPROC": 512, "CORE": 0, "DATA": 4096 << 20}
    assert sbx.Limits(memory_mb=1, cpu_seconds=2, processes=3, file_mb=4).rlimits() == {
        "CPU": 2, "FSIZE": 4 << 20, "NPROC": 3, "CORE": 0, "DATA": 1 << 20}
    assert sbx.Limits().tmp_mb == 512


@pytest.mark.parametrize("available", [True, False])
def test_limited_starts_the_program_through_the_launcher(monkeypatch: pytest.MonkeyPatch, available: bool) -> None:
    monkeypatch.setattr(sbx, "support", lambda refresh=False: sbx.Support(available))
    monkeypatch.setattr(sbx.shutil, "which", lambda name: {"python3": "/opt/py/bin/python3"}.get(name))
    limits = sbx.Limits(memory_mb=1, cpu_seconds=2, processes=3, file_mb=4)
    argv = sbx.limited(["python3", "-m", "kernel"], limits)
    nproc = ["NPROC=3"] if available else []  # outside the sandbox the whole user's processes would count
    assert argv == [sys.executable, "-I", "-S", "-c", sbx.LIMITER, "CPU=2", f"FSIZE={4 << 20}", *nproc, "CORE=0",
                    f"DATA={1 << 20}", "--", "/opt/py/bin/python3", "-m", "kernel"]
    assert sbx.limited(["/abs/python"], limits)[-1] == "/abs/python"
    assert sbx.limited(["unknown"], limits)[-1] == "unknown"
    monkeypatch.setattr(sys, "platform", "win32")
    plain = sbx.limited(["python3", "-m", "kernel"], limits)
    monkeypatch.setattr(sys, "platform", "linux")
    assert plain == ["python3", "-m", "kernel"], "no resource limits on Windows: the program starts as it is"


def test_the_launcher_sets_each_limit_then_becomes_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    hard = {resource.RLIMIT_CPU: resource.RLIM_INFINITY, resource.RLIMIT_DATA: 1000, resource.RLIMIT_FSIZE: 10**9}
    if hasattr(resource, "RLIMIT_NPROC"):
        hard[resource.RLIMIT_NPROC] = 1
    set_to: dict[int, tuple[int, int]] = {}

    def setrlimit(r: int, value: tuple[int, int]) -> None:
        if r == getattr(resource, "RLIMIT_NPROC", None):
            raise ValueError("not allowed")
        set_to[r] = value

    execs: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(resource, "getrlimit", lambda r: (0, hard.get(r, resource.RLIM_INFINITY)))
    monkeypatch.setattr(resource, "setrlimit", setrlimit)
    monkeypatch.setattr(os, "execv", lambda exe, argv: execs.append((exe, list(argv))))
    monkeypatch.setattr(sys, "argv", ["-c", "CPU=60", "DATA=5000", "FSIZE=100", "NPROC=9", "NOSUCH=1", "--", "/bin/prog", "-x"])
    exec(compile(sbx.LIMITER, "<launcher>", "exec"), {})
    monkeypatch.undo()
    assert set_to == {
        resource.RLIMIT_CPU: (60, 65),  # the hard limit leaves 5 s to catch SIGXCPU
        resource.RLIMIT_DATA: (5000, 1000),  # a hard limit already lower is kept
        resource.RLIMIT_FSIZE: (100, 100),
    }
    assert execs == [("/bin/prog", ["/bin/prog", "-x"])], "an unknown or refused limit does not stop the program"


# --- whether there is a sandbox here ----------------------------------------------------------

@pytest.fixture
def probe_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """_probe on a made-up Linux host; ``state`` says what it has and records the probe's run."""
    state: dict[str, Any] = {"which": {"bwrap": "/usr/bin/bwrap", "setpriv": "/usr/bin/setpriv"}, "euid": 1000,
                             "runs": [], "result": SimpleNamespace(returncode=0, stderr="", stdout="")}
    monkeypatch.delenv(sbx.MODE_ENV, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(sbx.shutil, "which", lambda name: state["which"].get(name))
    monkeypatch.setattr(os, "geteuid", lambda: state["euid"])

    def run(cmd: list[str], **kw: Any) -> Any:
        state["runs"].append((cmd, kw))
        if isinstance(state["result"], BaseException):
            raise state["result"]
        return state["result"]

    monkeypatch.setattr(subprocess, "run", run)
    return state


def test_bubblewrap_that_starts_means_a_sandbox(probe_env: dict[str, Any]) -> None:
    s = sbx._probe()
    assert s == sbx.Support(True, drop_user=False)
    (cmd, kw), = probe_env["runs"]
    assert cmd[0] == "bwrap" and "--unshare-user" in cmd
    assert cmd[-1] == ("/bin/true" if os.path.exists("/bin/true") else "pass")
    assert kw == {"capture_output": True, "text": True, "timeout": 20}
    probe_env["euid"] = 0
    assert sbx._probe() == sbx.Support(True, drop_user=True)
    assert "--unshare-user" not in probe_env["runs"][-1][0] and "--no-new-privs" in probe_env["runs"][-1][0]


def test_without_bin_true_the_probe_runs_python(probe_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.path.exists
    monkeypatch.setattr(os.path, "exists", lambda p: False if p == "/bin/true" else real(p))
    assert sbx._probe().available
    assert probe_env["runs"][0][0][-3:] == [sys.executable, "-c", "pass"]


@pytest.mark.parametrize("case, reason", [
    ("off", "the sandbox is turned off (COURSE_SANDBOX=off)"),
    ("darwin", "no sandbox on darwin (bubblewrap needs Linux)"),
    ("no bwrap", "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"),
    ("root without setpriv", "running as root without setpriv (util-linux) to drop privileges in the sandbox"),
    ("oserror", "bubblewrap does not start here (no bwrap for you)"),
    ("timeout", "bubblewrap does not start here (Command '['bwrap']' timed out after 20 seconds)"),
    ("fails", "bubblewrap cannot create its namespaces here (bwrap: No permissions to create new namespace); "
              "user namespaces may be disabled"),
    ("fails quietly", "bubblewrap cannot create its namespaces here (exit status 7); user namespaces may be disabled"),
])
def test_why_there_is_no_sandbox(probe_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch, case: str, reason: str) -> None:
    if case == "off":
        monkeypatch.setenv(sbx.MODE_ENV, " OFF ")
    elif case == "darwin":
        monkeypatch.setattr(sys, "platform", "darwin")
    elif case == "no bwrap":
        del probe_env["which"]["bwrap"]
    elif case == "root without setpriv":
        probe_env["euid"] = 0
        del probe_env["which"]["setpriv"]
    elif case == "oserror":
        probe_env["result"] = OSError("no bwrap for you")
    elif case == "timeout":
        probe_env["result"] = subprocess.TimeoutExpired(["bwrap"], 20)
    elif case == "fails":
        probe_env["result"] = SimpleNamespace(returncode=1, stderr="warning\nbwrap: No permissions to create new namespace\n")
    else:
        probe_env["result"] = SimpleNamespace(returncode=7, stderr="  \n")
    s = sbx._probe()
    monkeypatch.setattr(sys, "platform", "linux")
    assert s == sbx.Support(False, reason=reason)
    assert s.describe() == f"UNSANDBOXED grading: {reason}; student code can read and write whatever this user can"
    if case in ("off", "darwin", "no bwrap", "root without setpriv"):
        assert not probe_env["runs"], "nothing is started when the answer is already known"


@pytest.mark.parametrize("value, expected", [(None, "auto"), ("", "auto"), ("  ", "auto"), ("Required", "required"),
                                             (" off\n", "off"), ("auto", "auto"), ("sometimes", "auto")])
def test_the_sandbox_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: str) -> None:
    if value is None:
        monkeypatch.delenv(sbx.MODE_ENV, raising=False)
    else:
        monkeypatch.setenv("COURSE_SANDBOX", value)
    assert sbx.mode() == expected


def test_support_is_probed_once_unless_refreshed(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([sbx.Support(True), sbx.Support(False, reason="gone")])
    monkeypatch.setattr(sbx, "_probe", lambda: next(answers))
    monkeypatch.setattr(sbx, "_SUPPORT", None)
    first = sbx.support()
    assert first == sbx.Support(True) and sbx.support() is first
    assert sbx.support(refresh=True) == sbx.Support(False, reason="gone") and sbx.support().reason == "gone"


def test_no_sandbox_is_said_once_to_the_log_or_stderr(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    said: list[str] = []
    log = SimpleNamespace(warning=said.append)
    monkeypatch.setattr(sbx, "support", lambda refresh=False: sbx.Support(True))
    monkeypatch.setattr(sbx, "_WARNED", False)
    sbx.warn_once(log)
    assert not said and not sbx._WARNED, "nothing to say with a sandbox"
    monkeypatch.setattr(sbx, "support", lambda refresh=False: sbx.Support(False, reason="no bwrap"))
    sbx.warn_once(log)
    sbx.warn_once(log)
    sbx.warn_once()
    assert said == ["course: UNSANDBOXED grading: no bwrap; student code can read and write whatever this user can"]
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sbx, "_WARNED", False)
    sbx.warn_once()
    sbx.warn_once()
    assert capsys.readouterr().err == "course: UNSANDBOXED grading: no bwrap; student code can read and write whatever this user can\n"


def test_the_warning_is_flushed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    monkeypatch.setattr(sys, "stderr", SimpleNamespace(write=lambda text: events.append("write"), flush=lambda: events.append("flush")))
    monkeypatch.setattr(sbx, "support", lambda refresh=False: sbx.Support(False, reason="no bwrap"))
    monkeypatch.setattr(sbx, "_WARNED", False)
    sbx.warn_once()
    assert events and events[-1] == "flush", "seen before the grading starts, even when stderr is a pipe"


def test_what_doctor_says_about_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sbx, "_user", lambda: "ann (uid 7)")
    root = sbx.Support(True, drop_user=True)
    plain = sbx.Support(True)
    none = sbx.Support(False, reason="no bwrap")
    assert root.describe() == ("sandboxed grading (bubblewrap, kernels as an unprivileged user): no network, "
                               "read-only course files, memory/CPU/process limits")
    assert plain.describe() == "sandboxed grading (bubblewrap): no network, read-only course files, memory/CPU/process limits"
    assert root.explain() == ("for ann (uid 7): bubblewrap, and as root the kernels switch to an unprivileged uid "
                              "(61000+) with setpriv, so root's files stay root's")
    assert plain.explain() == ("for ann (uid 7): bubblewrap in an unprivileged user namespace (no user switch: the kernel "
                               "keeps this uid; everything but its scratch folder is bound read-only)")
    assert none.explain() == "for ann (uid 7): none, because no bwrap"
    assert sbx.Support(False, drop_user=True, reason="x").explain() == "for ann (uid 7): none, because x"
    assert sbx.Support(False).drop_user is False and sbx.Support(False).reason == ""


def test_the_user_is_named_with_its_uid(monkeypatch: pytest.MonkeyPatch) -> None:
    import pwd

    monkeypatch.setattr(os, "geteuid", lambda: 4242)
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: SimpleNamespace(pw_name=f"user{uid}"))
    assert sbx._user() == "user4242 (uid 4242)"

    def unknown(uid: int) -> Any:
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", unknown)
    monkeypatch.setenv("USER", "ghost")
    assert sbx._user() == "ghost (uid 4242)"
    monkeypatch.delenv("USER")
    assert sbx._user() == "? (uid 4242)"


# --- what the kernel gets -----------------------------------------------------------------

SECRET = "postgresql://grader:secret@db/course"


@pytest.mark.parametrize("sandboxed", [True, False])
def test_the_kernel_environment_is_only_what_it_needs(monkeypatch: pytest.MonkeyPatch, sandboxed: bool) -> None:
    for k in list(os.environ):
        if k in sbx.PASS_ENV:
            monkeypatch.delenv(k)
    monkeypatch.setenv("COURSE_DB_URL", SECRET)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.setenv("TZ", "Europe/Paris")
    monkeypatch.setenv("HOME", "/home/instructor")
    monkeypatch.setenv("TMPDIR", "/var/tmp")
    monkeypatch.setenv("USER", "instructor")
    monkeypatch.setenv("SystemRoot", r"C:\Windows")  # Python on Windows cannot start without it
    monkeypatch.setenv("PATH", "/home/instructor/bin:/usr/bin")
    env = sbx.kernel_env("/data", 5 if sandboxed else None, sandboxed)
    expected = {
        "OMP_NUM_THREADS": "2", "TZ": "Europe/Paris", "LANG": "C.UTF-8",
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "COURSE_DATA_DIR": "/data", "PYTHONNOUSERSITE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    if sandboxed:
        expected.update({"HOME": "/tmp/home", "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp/mpl", "IPYTHONDIR": "/tmp/ipython",
                         "XDG_CACHE_HOME": "/tmp/cache", "XDG_CONFIG_HOME": "/tmp/config", "TORCH_HOME": "/tmp/torch",
                         protocol.FD_ENV: "5"})
    else:
        expected.update({"HOME": "/home/instructor", "TMPDIR": "/var/tmp", "USER": "instructor", "SystemRoot": r"C:\Windows"})
    assert env == expected
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert sbx.kernel_env("/data", 0, False)["LANG"] == "de_DE.UTF-8"
    assert sbx.kernel_env("/data", 0, False)[protocol.FD_ENV] == "0"


@pytest.mark.parametrize("code, words", [
    (None, "the kernel stopped answering"),
    (0, "the kernel exited (the code called exit(), quit() or os._exit(0))"),
    (3, "the kernel exited with status 3 (the code called os._exit(3) or sys.exit from a thread, or crashed)"),
    (128, "the kernel exited with status 128 (the code called os._exit(128) or sys.exit from a thread, or crashed)"),
    (137, "the kernel died: it was killed, most likely for using too much memory (SIGKILL)"),
    (-9, "the kernel died: it was killed, most likely for using too much memory (SIGKILL)"),
    (128 + signal.SIGXCPU, "the kernel died: it used up its CPU-time limit (SIGXCPU)"),
    (-signal.SIGSEGV, "the kernel died: it crashed (segmentation fault) (SIGSEGV)"),
    (128 + signal.SIGABRT, "the kernel died: it aborted (SIGABRT)"),
    (-signal.SIGBUS, "the kernel died: it crashed (bus error) (SIGBUS)"),
    (-signal.SIGTERM, "the kernel died: it was stopped by a signal (SIGTERM)"),
    (129, "the kernel died: it was stopped by a signal (signal 1)"),
])
def test_how_a_kernel_ended_in_words(code: int | None, words: str) -> None:
    assert sbx.describe_exit(code) == words


def test_the_log_tail_keeps_the_last_bytes_a_kernel_wrote() -> None:
    log = sbx.LogTail(keep=10)
    os.write(log.write_fd, b"0123456789")
    os.write(log.write_fd, "abcdé\n".encode())
    log.close_writer()
    log.close_writer()  # twice is harmless
    assert log.write_fd == -1
    log._thread.join(5)
    assert not log._thread.is_alive() and log._thread.daemon and log._thread.name == "kernel-log"
    assert log.data == "789abcdé\n".encode()
    assert log.tail(100) == "789abcdé\n" and log.tail(3) == "é\n"
    assert log.tail(2) == "\ufffd\n", "a character cut in half does not break the message"
    with pytest.raises(OSError):
        os.fstat(log.read_fd)  # the reader closed its end


def test_the_log_tail_reads_everything_up_to_its_default_size() -> None:
    log = sbx.LogTail()
    payload = bytes(range(256)) * 100  # 25 600 bytes, in more than one read
    done = threading.Thread(target=lambda: (os.write(log.write_fd, payload), log.close_writer()))
    done.start()
    done.join(5)
    log._thread.join(5)
    assert log.data == payload[-16384:]
    assert sbx.LogTail(keep=4).keep == 4


def test_the_log_tail_of_a_quiet_kernel() -> None:
    log = sbx.LogTail()
    os.write(log.write_fd, b"hi\n")
    log.close_writer()
    log._thread.join(5)
    assert log.tail(100) == "hi\n"
    quiet = sbx.LogTail()
    quiet.close_writer()
    assert quiet.tail(10) == ""


def test_the_log_tail_does_not_wait_for_a_kernel_that_still_runs() -> None:
    log = sbx.LogTail()
    os.write(log.write_fd, b"still running\n")
    start = time.monotonic()
    tail = log.tail(100)
    assert time.monotonic() - start < 1.0 and tail == "still running\n"
    log.close_writer()


def test_the_write_end_is_closed_even_as_descriptor_0(monkeypatch: pytest.MonkeyPatch) -> None:
    """A grader started with stdin closed gets descriptor 0 for the pipe: it must be closed too,
    or the reader never sees the kernel end."""
    log = sbx.LogTail()
    real_fd = log.write_fd
    closed: list[int] = []
    monkeypatch.setattr(os, "close", closed.append)
    log.write_fd = 0
    log.close_writer()
    monkeypatch.undo()
    assert closed == [0] and log.write_fd == -1
    os.close(real_fd)


# --- which course package the kernel imports ---------------------------------------------------

@pytest.fixture
def fake_python(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """subprocess.run answering PROBE_COURSE as an interpreter would, by PYTHONPATH."""
    state: dict[str, Any] = {"calls": [], "by_path": {}, "rc": 0, "raise": None, "noise": ""}

    def run(cmd: list[str], **kw: Any) -> Any:
        state["calls"].append((cmd, kw))
        assert not os.listdir(kw["cwd"]), "asked from an empty folder"
        if state["raise"] is not None:
            raise state["raise"]
        found = state["by_path"].get(kw["env"].get("PYTHONPATH", ""), "")
        return SimpleNamespace(returncode=state["rc"], stdout=state["noise"] + f"{found}\n", stderr="")

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(sbx, "_KERNEL_COURSE", {})
    return state


def test_the_kernels_course_package_is_asked_of_its_python_once(fake_python: dict[str, Any]) -> None:
    fake_python["by_path"] = {"": "/site/course", "/co": "/co/course"}
    assert sbx.kernel_course("/py", {"A": "1"}) == "/site/course"
    assert sbx.kernel_course("/py", {"A": "2"}) == "/site/course"
    (cmd, kw), = fake_python["calls"]
    assert cmd == ["/py", "-c", sbx.PROBE_COURSE] and kw["env"] == {"A": "1"}
    assert os.path.basename(kw["cwd"]).startswith("course-probe-") and not os.path.exists(kw["cwd"]), "and gone after"
    assert kw["capture_output"] and kw["text"] and kw["timeout"] == 60
    assert sbx.kernel_course("/py", {"PYTHONPATH": "/co"}) == "/co/course"
    assert sbx.kernel_course("/other", {}) == "/site/course" and len(fake_python["calls"]) == 3
    assert sbx.kernel_course("/other", {"PYTHONPATH": ""}) == "/site/course" and len(fake_python["calls"]) == 3, \
        "an empty PYTHONPATH is no PYTHONPATH"
    assert sbx.kernel_course("/other", {"PYTHONPATH": "XXXX"}) is None and len(fake_python["calls"]) == 4
    fake_python["noise"] = "a sitecustomize that prints\n"
    assert sbx.kernel_course("/noisy", {}) == "/site/course", "the probe's own line is the last"


@pytest.mark.parametrize("failure", ["none found", "exit status", "oserror", "timeout"])
def test_a_kernel_python_without_the_course_package(fake_python: dict[str, Any], failure: str) -> None:
    fake_python["by_path"] = {"": "/site/course"}
    if failure == "none found":
        fake_python["by_path"] = {}
    elif failure == "exit status":
        fake_python["rc"] = 1
    elif failure == "oserror":
        fake_python["raise"] = OSError("no such interpreter")
    else:
        fake_python["raise"] = subprocess.TimeoutExpired(["/py"], 60)
    assert sbx.kernel_course("/py", {}) is None


def test_the_probe_finds_the_course_package_that_python_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "course"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (tmp_path / "empty").mkdir()
    # -S: no site-packages, so no installed course package in the way
    out = subprocess.run([sys.executable, "-S", "-c", sbx.PROBE_COURSE], capture_output=True, text=True,
                         cwd=tmp_path / "empty", env={"PYTHONPATH": str(tmp_path)}, timeout=60)
    assert out.stdout == f"{pkg.resolve()}\n"


def test_the_kernel_is_made_to_import_the_graders_course(monkeypatch: pytest.MonkeyPatch) -> None:
    from course.grading.protocol import GraderFailure

    mine = os.path.realpath(package_dir())
    parent = str(Path(mine).parent)
    imports = {"": "/site/course", parent: mine, f"{parent}{os.pathsep}/x": mine}
    monkeypatch.setattr(sbx, "kernel_course", lambda python, env: imports.get(env.get("PYTHONPATH", "")) if python == "/py" else mine)
    assert sbx.same_course("/py", {"A": "1"}) == {"A": "1", "PYTHONPATH": parent}
    assert sbx.same_course("/py", {"PYTHONPATH": "/x"}) == {"PYTHONPATH": f"{parent}{os.pathsep}/x"}
    env = {"PYTHONPATH": parent}
    assert sbx.same_course("/py", env) is env, "already right: unchanged"
    imports = {"": "/site/course"}
    with pytest.raises(GraderFailure, match=r"the grading kernel \(/py\) would import the course package from "
                                            rf"/site/course and cannot be made to import the grader's, {mine}$"):
        sbx.same_course("/py", {})
    imports = {}
    with pytest.raises(GraderFailure, match="from nowhere and"):
        sbx.same_course("/py", {})


def test_the_guard_trusts_the_installation_and_the_package() -> None:
    roots = sbx.guard_roots()
    assert all(r.endswith(os.sep) for r in roots)
    assert str(package_dir()) + os.sep in roots
    for p in sbx._python_paths():
        assert p + os.sep in roots and os.path.realpath(p) + os.sep in roots
    assert len(roots) == 2 * len(sbx._python_paths()) + 1


def test_the_provisioner_is_found_by_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    asked: list[dict[str, str]] = []
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **kw: asked.append(kw) or ["ep"])
    assert sbx.provisioner_registered() is True
    assert asked == [{"group": "jupyter_client.kernel_provisioners", "name": "course-sandbox"}]
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **kw: [])
    assert sbx.provisioner_registered() is False


# --- the kernel provisioner ---------------------------------------------------------------------

class FakeKM(Configurable):
    connection_file = ""
    transport = "tcp"
    ip = "127.0.0.1"


def provisioner(argv: list[str] | None = None, **settings: Any) -> sbx.SandboxProvisioner:
    spec = KernelSpec(argv=argv if argv is not None else ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                      language="python")
    return sbx.SandboxProvisioner(kernel_id="k1", kernel_spec=spec, parent=FakeKM(), **settings)


@pytest.fixture
def here(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """support() and the file-system calls of the provisioner, made up and recorded."""
    state: dict[str, Any] = {"support": sbx.Support(True, drop_user=True), "chown": [], "same_course": []}
    monkeypatch.setattr(sbx, "support", lambda refresh=False: state["support"])
    monkeypatch.setattr(os, "chown", lambda path, uid, gid: state["chown"].append((str(path), uid, gid)))

    def same_course(python: str, env: dict[str, str]) -> dict[str, str]:
        state["same_course"].append((python, dict(env)))
        return {**env, "PYTHONPATH": "/grader"}

    monkeypatch.setattr(sbx, "same_course", same_course)
    return state


def test_the_provisioner_sandboxes_only_when_asked_and_possible(here: dict[str, Any]) -> None:
    assert provisioner().sandboxed is True
    assert provisioner(use_sandbox=False).sandboxed is False
    here["support"] = sbx.Support(False, reason="none")
    assert provisioner().sandboxed is False
    assert provisioner().limits == sbx.Limits()
    assert provisioner(limits_overrides={"memory_mb": 123, "tmp_mb": 9}).limits == sbx.Limits(memory_mb=123, tmp_mb=9)


@pytest.mark.parametrize("argv0, python", [
    ("python", sys.executable), (f"python{sys.version_info[0]}", sys.executable),
    (f"python{sys.version_info[0]}.{sys.version_info[1]}", sys.executable),
    ("/opt/py/bin/python3.9", "/opt/py/bin/python3.9"), ("pypy3", "/usr/bin/pypy3"), ("nowhere", "nowhere"),
])
def test_the_kernels_python_is_the_one_jupyter_will_start(monkeypatch: pytest.MonkeyPatch, argv0: str, python: str) -> None:
    monkeypatch.setattr(sbx.shutil, "which", lambda name: {"pypy3": "/usr/bin/pypy3"}.get(name))
    assert provisioner([argv0, "-m", "ipykernel"]).kernel_python() == python


def test_a_kernel_spec_without_a_command_means_this_python() -> None:
    assert provisioner([]).kernel_python() == sys.executable
    p = provisioner()
    p.kernel_spec = None
    assert p.kernel_python() == sys.executable


def test_the_provisioner_hands_the_guard_its_key_once(here: dict[str, Any], tmp_path: Path) -> None:
    from course.paths import data_dir

    p = provisioner(guard_fd=7, guard_key=b"s3cret")
    p._run_dir = str(tmp_path)
    p._uid = 61007
    env = p._env()
    key_file = tmp_path / "guard.key"
    assert key_file.read_bytes() == b"s3cret" and (key_file.stat().st_mode & 0o777) == 0o600
    assert here["chown"] == [(str(key_file), 61007, 61007)]
    assert env[protocol.KEY_FILE_ENV] == str(key_file) and env[protocol.ROOTS_ENV] == os.pathsep.join(sbx.guard_roots())
    assert env["PYTHONPATH"] == "/grader", "the environment that imports the grader's course package"
    (python, asked), = here["same_course"]
    assert python == sys.executable and asked == sbx.kernel_env(str(data_dir()), 7, True)
    with pytest.raises(FileExistsError):
        p._env()  # a key file left behind is never reused
    key_file.unlink()
    p._uid = None
    here["chown"].clear()
    p._env()
    assert not here["chown"]


def test_without_a_key_or_run_folder_no_key_file(here: dict[str, Any], tmp_path: Path) -> None:
    p = provisioner(guard_key=b"k")
    env = p._env()
    p2 = provisioner()
    p2._run_dir = str(tmp_path)
    env2 = p2._env()
    assert protocol.KEY_FILE_ENV not in env and protocol.KEY_FILE_ENV not in env2 and protocol.ROOTS_ENV not in env2
    assert not list(tmp_path.iterdir())
    here["support"] = sbx.Support(False)
    p2._env()
    assert here["same_course"][-1][1].get("HOME") != "/tmp/home", "without a sandbox the kernel keeps the real home"


def test_the_sandboxed_kernel_command(here: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = Host(tmp_path, monkeypatch)
    run = host.mk("cg-run")
    scratch = str(tmp_path / "autograded" / "bob" / "01_x")
    shown = host.mk("autograded/bob/01_x/data.csv")
    p = provisioner(scratch=scratch, visible=[shown, str(tmp_path / "absent.csv")], extra_ro=[host.mk("models")],
                    limits_overrides={"memory_mb": 64, "tmp_mb": 2})
    p._run_dir = run
    p._uid = 61042
    cmd = p._wrap(["python", "-m", "ipykernel_launcher"], {"LANG": "C.UTF-8"})
    ops, command = parse(cmd)
    assert [op[1:3] for op in ops if op[0] == "--bind"] == [(run, run)]
    ro = [op[2] for op in ops if op[0] == "--ro-bind"]
    assert shown in ro and str(tmp_path / "models") in ro and str(tmp_path / "absent.csv") not in ro
    assert ("--tmpfs", scratch, {"--perms": "1777", "--size": str(2 << 20)}) in ops and ("--chdir", scratch, {}) in ops
    assert ops[-2:] == [("--clearenv", {}), ("--setenv", "LANG", "C.UTF-8", {})]
    assert command[:3] == ["/sbin/setpriv", "--reuid=61042", "--regid=61042"]
    launcher = command[command.index("--no-new-privs") + 1:]
    assert launcher[:5] == [sys.executable, "-I", "-S", "-c", sbx.LIMITER] and f"DATA={64 << 20}" in launcher
    assert "NPROC=512" in launcher and launcher[-2:] == ["-m", "ipykernel_launcher"]
    here["support"] = sbx.Support(True, drop_user=False)
    p2 = provisioner()
    ops2, command2 = parse(p2._wrap(["/py", "-m", "k"], {}))
    assert command2[0] == sys.executable and "--unshare-user" in [op[0] for op in ops2]
    assert not any(op[0] in ("--bind", "--chdir") for op in ops2), "no run folder, no scratch: nothing writable"
    p3 = provisioner(scratch=scratch)
    p3._run_dir = run
    assert f"--reuid={sbx.SANDBOX_UID_BASE}" not in p3._wrap(["k"], {}), "no user switch without drop_user"
    here["support"] = sbx.Support(True, drop_user=True)
    assert f"--reuid={sbx.SANDBOX_UID_BASE}" in p3._wrap(["k"], {}), "no uid of its own: the base uid"


def test_without_a_sandbox_the_kernel_is_only_limited(here: dict[str, Any]) -> None:
    here["support"] = sbx.Support(False, reason="none")
    p = provisioner(limits_overrides={"cpu_seconds": 5})
    cmd = p._wrap(["/py", "-m", "k"], {"A": "1"})
    assert cmd == sbx.limited(["/py", "-m", "k"], sbx.Limits(cpu_seconds=5)) and "CPU=5" in cmd
    assert provisioner(use_sandbox=False)._wrap(["/py"], {})[0] == sys.executable


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """LocalProvisioner's own pre_launch/launch_kernel/cleanup, replaced by recorders."""
    state: dict[str, Any] = {"pre": [], "launch": [], "cleanup": [], "fail": False}

    async def pre_launch(self: Any, **kw: Any) -> dict[str, Any]:
        state["pre"].append(dict(kw))
        Path(self.parent.connection_file).write_text("{}")
        return {**kw, "cmd": ["python", "-m", "ipykernel_launcher", "-f", self.parent.connection_file]}

    async def launch_kernel(self: Any, cmd: list[str], **kw: Any) -> Any:
        state["launch"].append((cmd, kw))
        if state["fail"]:
            raise OSError("cannot start")
        return {"ok": True}

    async def cleanup(self: Any, restart: bool = False) -> None:
        state["cleanup"].append(restart)

    monkeypatch.setattr(LocalProvisioner, "pre_launch", pre_launch)
    monkeypatch.setattr(LocalProvisioner, "launch_kernel", launch_kernel)
    monkeypatch.setattr(LocalProvisioner, "cleanup", cleanup)
    return state


def test_a_sandboxed_kernel_is_prepared_in_a_private_run_folder(here: dict[str, Any], launched: dict[str, Any],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getpid", lambda: 4321)
    p = provisioner(scratch="/nowhere/scratch", guard_fd=9)
    try:
        kw = run_async(p.pre_launch(extra_arguments=["--x"]))
        run = p._run_dir
        assert run is not None and run.startswith(os.path.join("/tmp", "cg-")) and os.path.isdir(run)
        km = p.parent
        assert km.connection_file == os.path.join(run, "k.json")
        assert km.transport == "ipc" and km.ip == os.path.join(run, "k"), "sockets in the run folder, not TCP"
        assert p._uid == sbx.SANDBOX_UID_BASE + 321
        assert here["chown"][0] == (run, p._uid, p._uid) and here["chown"][1] == (km.connection_file, p._uid, p._uid)
        (pre,) = launched["pre"]
        assert pre["stdout"] == pre["stderr"] == p._log.write_fd and pre["pass_fds"] == (9,)
        assert "cwd" not in pre, "inside the box the working folder is set by bwrap"
        assert pre["extra_arguments"] == ["--x"] and pre["env"]["PYTHONPATH"] == "/grader"
        assert pre["env"]["HOME"] == "/tmp/home" and pre["env"][protocol.FD_ENV] == "9"
        assert kw["cmd"][0] == "bwrap" and ("--chdir" in kw["cmd"]) and kw["cmd"][-2:] == ["-f", km.connection_file]
        info = run_async(p.launch_kernel(kw["cmd"], env=kw["env"]))
        assert info == {"ok": True} and p._log.write_fd == -1, "the grader keeps no write end of the kernel's pipe"
        assert launched["launch"] == [(kw["cmd"], {"env": kw["env"]})]
        p.lock_run_dir()
        assert here["chown"][-1] == (run, os.geteuid(), os.getegid()) and (os.stat(run).st_mode & 0o777) == 0o755
        run_async(p.cleanup(restart=True))
        assert os.path.isdir(run) and p._run_dir == run, "a restart keeps the run folder"
    finally:
        run_async(p.cleanup())
    assert launched["cleanup"] == [True, False] and not os.path.exists(run) and p._run_dir is None


def test_the_run_folder_is_short_whatever_tmpdir_says(here: dict[str, Any], launched: dict[str, Any], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Unix socket paths have at most 107 bytes: the kernel's sockets go under /tmp, not $TMPDIR."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    p = provisioner()
    try:
        run_async(p.pre_launch())
        assert os.path.dirname(p._run_dir) == "/tmp"
        shutil.rmtree(p._run_dir)
        run_async(p.cleanup())  # already gone: no error
        assert p._run_dir is None
        real = os.path.isdir
        monkeypatch.setattr(os.path, "isdir", lambda path: False if path == "/tmp" else real(path))
        run_async(p.pre_launch())
        monkeypatch.setattr(os.path, "isdir", real)
        assert os.path.dirname(p._run_dir) == str(tmp_path), "no /tmp: the usual temporary folder"
    finally:
        run_async(p.cleanup())


def test_an_unsandboxed_kernel_starts_in_the_scratch_folder(here: dict[str, Any], launched: dict[str, Any]) -> None:
    here["support"] = sbx.Support(False, reason="none")
    p = provisioner(scratch="/nowhere/scratch")
    try:
        kw = run_async(p.pre_launch())
        km = p.parent
        assert km.transport == "tcp" and km.ip == "127.0.0.1" and p._uid is None and not here["chown"]
        (pre,) = launched["pre"]
        assert pre["cwd"] == "/nowhere/scratch" and "pass_fds" not in pre
        assert protocol.FD_ENV not in pre["env"] and pre["env"].get("HOME") != "/tmp/home"
        assert kw["cmd"][0] == sys.executable and "bwrap" not in kw["cmd"]
        p.lock_run_dir()
        assert not here["chown"], "nothing to give back: the folder was never the kernel's"
        launched["fail"] = True
        with pytest.raises(OSError):
            run_async(p.launch_kernel(kw["cmd"]))
        assert p._log.write_fd == -1, "closed even when the kernel did not start"
    finally:
        run_async(p.cleanup())
    q = provisioner(use_sandbox=False)
    here["support"] = sbx.Support(True, drop_user=True)
    try:
        run_async(q.pre_launch())
        assert launched["pre"][-1].get("cwd") is None and q._uid is None and q.parent.transport == "tcp"
    finally:
        run_async(q.cleanup())


def test_a_root_grader_without_user_switch_keeps_its_uid(here: dict[str, Any], launched: dict[str, Any]) -> None:
    here["support"] = sbx.Support(True, drop_user=False)
    p = provisioner()
    try:
        run_async(p.pre_launch())
        assert p._uid is None and not here["chown"] and p.parent.transport == "ipc"
    finally:
        run_async(p.cleanup())


def test_the_kernels_exit_and_last_words(tmp_path: Path) -> None:
    p = provisioner()
    assert p.exit_code() is None and p.log_tail() == ""
    p.process = SimpleNamespace(poll=lambda: -9)
    assert p.exit_code() == -9
    p._log = sbx.LogTail()
    os.write(p._log.write_fd, b"x" * 3000 + b"MemoryError\n")
    p._log.close_writer()
    p._log._thread.join(5)
    assert p.log_tail().endswith("MemoryError\n") and len(p.log_tail()) == 2000 and p.log_tail(5) == "rror\n"
    p.lock_run_dir()  # no run folder: nothing to do
    p._uid = 61000
    p._run_dir = str(tmp_path / "gone")
    p.lock_run_dir()
    assert not (tmp_path / "gone").exists()
