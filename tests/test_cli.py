"""The `course` command on a small course of its own: what it does, and how it says no."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from course.notebooks import build, write

COURSE = str(Path(sys.executable).with_name("course"))

SPEC = """\
# %% [markdown] id="title"
# A tiny assignment
# %% id="setup"
import torch
from course import devices
# %% id="double" nbgrader="solution"
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
# %% id="test_double" nbgrader="tests" points=2
from course.checks import check_close
check_close(double(torch.ones(2)), torch.full((2,), 2.0))
### BEGIN HIDDEN TESTS
for dev in devices():
    x = torch.randn(3, generator=torch.Generator().manual_seed(11)).to(dev)
    check_close(double(x), x + x)
### END HIDDEN TESTS
# %% id="halve" nbgrader="solution"
def halve(x):
    ### BEGIN SOLUTION
    return x / 2
    ### END SOLUTION
# %% id="test_halve" nbgrader="tests" points=1
from course.checks import check_close
check_close(halve(torch.full((2,), 4.0)), torch.full((2,), 2.0))
### BEGIN HIDDEN TESTS
for dev in devices():
    check_close(halve(torch.arange(4.0, device=dev)), torch.arange(4.0, device=dev) * 0.5)
### END HIDDEN TESTS
"""


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DB_URL"}
    return subprocess.run([COURSE, "--root", str(root), *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny-course")
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    write(build(SPEC, assignment=True), root / "source" / "90_tiny" / "90_tiny.ipynb")
    broken = SPEC.replace("return 2 * x", "return 3 * x")
    write(build(broken, assignment=True), root / "source" / "91_broken" / "91_broken.ipynb")
    return root


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert len(err.splitlines()) == 1, f"expected one line, got:\n{err}"
    for w in words:
        assert w in err, f"{w!r} not in {err!r}"


@pytest.mark.slow
def test_release_refuses_a_reference_without_full_marks(tiny: Path) -> None:
    proc = run(tiny, "release", "91_broken")
    assert_one_line_error(proc, "refusing to release", "test_double")
    assert not (tiny / "release" / "91_broken").exists()


@pytest.mark.slow
def test_release_autograde_feedback_grades(tiny: Path) -> None:
    proc = run(tiny, "release", "90_tiny")
    assert proc.returncode == 0, proc.stderr
    assert "reference scores full marks" in proc.stdout
    released = (tiny / "release" / "90_tiny" / "90_tiny.ipynb").read_text()
    assert "raise NotImplementedError()" in released and "BEGIN HIDDEN TESTS" not in released

    for student, nb in [("alice", tiny / "source" / "90_tiny" / "90_tiny.ipynb"), ("bob", tiny / "release" / "90_tiny" / "90_tiny.ipynb")]:
        (tiny / "submitted" / student / "90_tiny").mkdir(parents=True)
        shutil.copy2(nb, tiny / "submitted" / student / "90_tiny" / "90_tiny.ipynb")
    proc = run(tiny, "autograde", "90_tiny")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "alice: 3/3" in proc.stdout and "bob: 0/3" in proc.stdout

    proc = run(tiny, "feedback", "90_tiny")
    assert proc.returncode == 0, proc.stderr
    html = (tiny / "feedback" / "alice" / "90_tiny" / "90_tiny.html").read_text()
    assert "double" in html

    proc = run(tiny, "grades")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader((tiny / "grades" / "grades.csv").open()))
    assert {(r["student"], r["score"], r["max_score"]) for r in rows} == {("alice", "3", "3"), ("bob", "0", "3")}
    assert (tiny / "grades" / "90_tiny_hist.png").stat().st_size > 1000
    assert "alice" in proc.stdout and "100%" in proc.stdout


@pytest.mark.slow
def test_demo_scores_full_zero_and_partial(tiny: Path, tmp_path: Path) -> None:
    root = tmp_path / "demo-course"
    root.mkdir()
    shutil.copy2(tiny / "nbgrader_config.py", root)
    shutil.copytree(tiny / "source" / "90_tiny", root / "source" / "90_tiny")
    proc = run(root, "demo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = {ln.split()[1]: ln.split()[2] for ln in proc.stdout.splitlines() if ln.startswith("90_tiny ") and "demo-" in ln}
    assert lines == {"demo-reference": "3/3", "demo-untouched": "0/3", "demo-halfdone": "2/3"}, proc.stdout


def test_unknown_assignment(tiny: Path) -> None:
    assert_one_line_error(run(tiny, "autograde", "99_nope"), "unknown assignment '99_nope'", "90_tiny")
    assert_one_line_error(run(tiny, "release", "99_nope"), "unknown assignment")


@pytest.mark.slow
def test_missing_submission_folder(tiny: Path) -> None:
    run(tiny, "release", "90_tiny")
    assert_one_line_error(run(tiny, "autograde", "90_tiny", "--student", "carol"), "submitted/carol/90_tiny/")


def test_not_a_course(tmp_path: Path) -> None:
    assert_one_line_error(run(tmp_path, "grades"), "nbgrader_config.py")


def test_feedback_before_grading(tmp_path: Path) -> None:
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path)
    write(build(SPEC, assignment=True), tmp_path / "source" / "90_tiny" / "90_tiny.ipynb")
    assert_one_line_error(run(tmp_path, "feedback", "90_tiny"), "course autograde 90_tiny")


def test_no_command_prints_help(tmp_path: Path) -> None:
    proc = run(tmp_path)
    assert proc.returncode == 2 and "release" in proc.stdout


def test_doctor_reports_every_check() -> None:
    proc = run(ROOT, "doctor")
    for what in ("torch", "torchvision", "nbgrader", "device", "data", "nbgrader lab extension", "gradebook", "grading sandbox",
                 "kernel provisioner"):
        assert what in proc.stdout
    assert "2.14.1" in proc.stdout
