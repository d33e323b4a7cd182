"""No grade that cannot be trusted is recorded.

A second course folder (a copy of the repository, installed nowhere) graded by plain
``nbgrader autograde`` and by ``course autograde``: the grading kernel must use the folder's own
``course`` package (the sandbox shows it), and the reference earns full marks. When grading
cannot be trusted (here: a guard that cannot install), the canary stops the batch before any
student is graded, the exit status is non-zero with one clear line, and no zero is written.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from course.grading.coursedir import Course
from course.grading.report import report_path, summary
from course.notebooks import build, write

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
_spec = importlib.util.spec_from_file_location("hostile_bank", ROOT / "tests" / "hostile" / "bank.py")
bank = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("hostile_bank", bank)
_spec.loader.exec_module(bank)  # type: ignore[union-attr]

pytestmark = pytest.mark.slow
TINY = bank.TINY
STAMP = "2026-11-20 10:00:00.000000 UTC"


def second_folder(dest: Path) -> Path:
    """A copy of the repository's course package and config, installed nowhere, with 90_tiny."""
    dest.mkdir(parents=True)
    shutil.copytree(ROOT / "course", dest / "course", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("nbgrader_config.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, dest / name)
    with open(dest / "nbgrader_config.py", "a") as f:
        f.write("\nc.Execute.timeout = 20\n")
    write(build(bank.SPEC, assignment=True), dest / "source" / TINY / f"{TINY}.ipynb")
    data = Path(os.environ.get("COURSE_DATA_DIR") or ROOT / "data")
    if data.is_dir() and not (dest / "data").exists():
        (dest / "data").symlink_to(data)
    return dest


def env_for(folder: Path, cache: Path, **extra: str) -> dict[str, str]:
    """As an instructor's shell in that folder: nothing points at it (no PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_DB_URL", "COURSE_SANDBOX")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COURSE_CANARY_CACHE"] = str(cache)
    return {**env, **extra}


def run(cmd: list[str], folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=900)


def submit(folder: Path, student: str, notebook: Path) -> None:
    target = folder / "submitted" / student / TINY
    target.mkdir(parents=True)
    shutil.copy2(notebook, target / f"{TINY}.ipynb")
    (target / "timestamp.txt").write_text(STAMP)


def nbgrader(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run([str(BIN / "nbgrader"), *args], folder, env)


@pytest.fixture
def folder(tmp_path: Path) -> dict[str, Any]:
    root = second_folder(tmp_path / "term-2")
    cache = tmp_path / "canary-cache"
    env = env_for(root, cache)
    proc = nbgrader(root, env, "generate_assignment", TINY, "--force")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    submit(root, "ref", root / "source" / TINY / f"{TINY}.ipynb")
    submit(root, "untouched", root / "release" / TINY / f"{TINY}.ipynb")
    return {"root": root, "cache": cache, "env": env}


def scores(root: Path) -> dict[str, float]:
    course = Course(root)
    out = {}
    for student in ("ref", "untouched"):
        s = course.score(TINY, student)
        if s is not None:
            out[student] = s.score
    return out


def test_plain_nbgrader_in_a_second_course_folder_grades_the_reference_fully(folder: dict[str, Any]) -> None:
    root, env = folder["root"], folder["env"]
    proc = nbgrader(root, env, "autograde", TINY)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert scores(root) == {"ref": bank.FULL, "untouched": 0.0}, out[-3000:]
    assert list(folder["cache"].glob(f"{TINY}-*.ok")), "the canary did not run"
    assert "could not be installed" not in out


def test_course_autograde_in_a_second_course_folder(folder: dict[str, Any]) -> None:
    root, env = folder["root"], folder["env"]
    proc = run([sys.executable, "-m", "course.grading.cli", "autograde", TINY, "--jobs", "1"], root, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"ref: {bank.FULL:g}/{bank.FULL:g}" in proc.stdout, proc.stdout


def _break_the_guard(root: Path) -> None:
    guard = root / "course" / "grading" / "guard.py"
    text = guard.read_text()
    marker = '    global _INSTALLED\n'
    assert marker in text
    guard.write_text(text.replace(marker, marker + '    raise RuntimeError("guard broken on purpose")\n', 1))


def _assert_nobody_scored(root: Path) -> None:
    assert scores(root) == {}, "a student was given a score although grading could not be trusted"


def test_a_failing_canary_stops_plain_nbgrader_without_zeros(folder: dict[str, Any]) -> None:
    root, env = folder["root"], folder["env"]
    _break_the_guard(root)
    proc = nbgrader(root, env, "autograde", TINY)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    lines = [ln for ln in out.splitlines() if "left ungraded" in ln]
    assert lines and "canary" in lines[0] and "grading guard could not be installed" in lines[0], out[-4000:]
    _assert_nobody_scored(root)
    assert not list(folder["cache"].glob("*.ok"))


def test_a_guard_that_cannot_install_leaves_the_student_ungraded(folder: dict[str, Any]) -> None:
    root = folder["root"]
    _break_the_guard(root)
    env = env_for(root, folder["cache"], COURSE_CANARY_RUNNING="1")  # no canary: the per-student path
    proc = nbgrader(root, env, "autograde", TINY, "--student", "ref")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert "left ungraded: the grading guard could not be installed" in out and "guard broken on purpose" in out, out[-4000:]
    _assert_nobody_scored(root)
    flagged, reasons, _ = summary(report_path(root / "autograded", "ref", TINY))
    assert flagged and "not graded" in reasons[0]


def test_a_failing_canary_stops_course_autograde_in_one_line(folder: dict[str, Any]) -> None:
    root, env = folder["root"], folder["env"]
    _break_the_guard(root)
    proc = run([sys.executable, "-m", "course.grading.cli", "autograde", TINY, "--jobs", "2"], root, env)
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "canary" in err[0] and "grading guard could not be installed" in err[0], proc.stderr
    _assert_nobody_scored(root)
