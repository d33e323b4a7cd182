"""Grading as an ordinary Unix user, as an instructor on JupyterHub does.

As root the grader switches each kernel to an unprivileged uid; an ordinary user cannot, so
bubblewrap runs in an unprivileged user namespace and the kernel keeps the instructor's uid.
Then only the read-only binds keep the instructor's own files (here: their checkout of the
course package) out of the kernel's reach. This test creates such a user, gives it a course
folder and its own copy of the package, and grades through `course` as that user with the
sandbox required.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USER = "course-grader"
_spec = importlib.util.spec_from_file_location("hostile_bank", ROOT / "tests" / "hostile" / "bank.py")
bank = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("hostile_bank", bank)
_spec.loader.exec_module(bank)  # type: ignore[union-attr]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="creating a user needs root"),
    pytest.mark.skipif(not shutil.which("useradd") or not shutil.which("setpriv"), reason="needs useradd and setpriv"),
    pytest.mark.skipif(not shutil.which("bwrap"), reason="needs bubblewrap"),
]
TINY = bank.TINY
WRITE_PROBE = (
    "import os, sys, course\n"
    "for target in (os.path.join(os.path.dirname(course.__file__), 'pwned.py'),\n"
    "               os.path.join(os.path.dirname(os.path.dirname(course.__file__)), 'source', 'pwned.txt'),\n"
    "               os.path.join(sys.prefix, 'pwned.txt')):\n"
    "    try:\n"
    "        with open(target, 'w') as f:\n"
    "            f.write('x')\n"
    "        print('WROTE', target)\n"
    "    except OSError as err:\n"
    "        print('blocked', type(err).__name__)"
)


def _traverse_for_others(paths: list[Path]) -> dict[Path, int]:
    """Let other users walk through the folders above ``paths`` (x only, nothing becomes readable);
    returns the original modes. A Python installed under /root (pyenv, mode 700) needs it."""
    changed: dict[Path, int] = {}
    for path in paths:
        for folder in [*reversed(path.parents)]:
            mode = folder.stat().st_mode
            if folder not in changed and not mode & stat.S_IXOTH:
                changed[folder] = mode
                folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
    return changed


@pytest.fixture(scope="module")
def user() -> Iterator[pwd.struct_passwd]:
    changed = _traverse_for_others([Path(os.path.realpath(sys.executable)), Path(sys.prefix), Path(sys.base_prefix), ROOT])
    created = False
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", USER], check=True, capture_output=True)
        created = True
        entry = pwd.getpwnam(USER)
    try:
        yield entry
    finally:
        if created:
            subprocess.run(["userdel", USER], capture_output=True)
        for folder, mode in changed.items():
            folder.chmod(stat.S_IMODE(mode))


@pytest.fixture(scope="module")
def home(user: pwd.struct_passwd) -> Iterator[Path]:
    """A folder the user owns, reachable by it (pytest's own tmp folders are root's, mode 700)."""
    base = Path(tempfile.mkdtemp(prefix="course-nonroot-", dir="/tmp"))
    base.chmod(0o755)
    os.chown(base, user.pw_uid, user.pw_gid)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def as_user(user: pwd.struct_passwd, home: Path, cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    data = os.environ.get("COURSE_DATA_DIR") or str(ROOT / "data")
    env = {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "USER": user.pw_name, "LANG": "C.UTF-8",
        "PYTHONPATH": str(home / "course-root"),  # the instructor's own checkout of the package
        "COURSE_DATA_DIR": data, "COURSE_SANDBOX": "required", "MPLBACKEND": "Agg",
    }
    setpriv = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    return subprocess.run(setpriv + cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)


def chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    for p in [path, *path.rglob("*")]:
        os.lchown(p, user.pw_uid, user.pw_gid)


@pytest.fixture(scope="module")
def graded(user: pwd.struct_passwd, home: Path) -> dict[str, Any]:
    from course.notebooks import build, write

    root = home / "course-root"
    root.mkdir()
    shutil.copytree(ROOT / "course", root / "course", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("nbgrader_config.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, root / name)
    write(build(bank.SPEC, assignment=True), root / "source" / TINY / f"{TINY}.ipynb")
    chown_tree(root, user)
    course = [sys.executable, "-m", "course.grading.cli", "--root", str(root)]
    doctor = as_user(user, home, [sys.executable, "-c",
                                  "import json; from course.grading.sandbox import support; s = support(); "
                                  "print(json.dumps([s.available, s.drop_user, s.describe(), s.explain()]))"], root)
    release = as_user(user, home, [*course, "release", TINY], root)
    assert release.returncode == 0, release.stdout[-3000:] + release.stderr[-3000:]
    source = nbformat.read(str(root / "source" / TINY / f"{TINY}.ipynb"), as_version=4)
    released = nbformat.read(str(root / "release" / TINY / f"{TINY}.ipynb"), as_version=4)
    cases = {c.name: c for c in bank.cases() if c.name in ("reference", "untouched")}
    cases["write_probe"] = bank.Case("write_probe", bank._with_extra_cell(WRITE_PROBE), (), None, "", "")
    for name, case in cases.items():
        folder = root / "submitted" / name / TINY
        case.make(released, source, folder)
        (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    chown_tree(root, user)
    proc = as_user(user, home, [*course, "autograde", TINY, "--jobs", "2"], root)
    return {"root": root, "doctor": doctor, "proc": proc}


def test_the_sandbox_is_a_user_namespace_for_an_ordinary_user(graded: dict[str, Any]) -> None:
    doctor = graded["doctor"]
    assert doctor.returncode == 0, doctor.stderr
    available, drop_user, describe, explain = json.loads(doctor.stdout.strip().splitlines()[-1])
    assert available, describe
    assert not drop_user and USER in explain and "user namespace" in explain, explain


def test_an_ordinary_user_grades_in_the_sandbox(graded: dict[str, Any]) -> None:
    proc, root = graded["proc"], graded["root"]
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "sandboxed grading (bubblewrap)" in proc.stdout, proc.stdout[:500]
    assert f"reference: {bank.FULL:g}/{bank.FULL:g}" in proc.stdout and f"untouched: 0/{bank.FULL:g}" in proc.stdout, proc.stdout
    assert f"write_probe: {bank.FULL:g}/{bank.FULL:g}" in proc.stdout, proc.stdout
    report = json.loads((root / "autograded" / "reference" / f"{TINY}.grading.json").read_text())
    assert report["notebooks"][TINY]["sandbox"] == "bubblewrap"


def test_the_kernel_cannot_write_the_instructors_files(graded: dict[str, Any]) -> None:
    root = graded["root"]
    assert not (root / "course" / "pwned.py").exists(), "the kernel wrote into the instructor's course package"
    assert not (root / "source" / "pwned.txt").exists()
    graded_nb = nbformat.read(str(root / "autograded" / "write_probe" / TINY / f"{TINY}.ipynb"), as_version=4)
    text = "".join(str(o.get("text", "")) for c in graded_nb.cells for o in c.get("outputs", []))
    assert "blocked" in text and "WROTE" not in text, text
