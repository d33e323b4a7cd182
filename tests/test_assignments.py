"""Every assignment, through the real nbgrader: the reference earns full marks, the untouched
release earns 0 and is still graded, and release/ is what generate_assignment makes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, assignments

from course.grading.coursedir import Course, scratch_course, submit

COURSE = Course(ROOT)
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))


def _nbgrader(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DB_URL"}
    proc = subprocess.run([NBGRADER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module", params=assignments())
def graded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Course]:
    name = request.param
    tmp = tmp_path_factory.mktemp(name)
    scratch = scratch_course(COURSE, tmp, [name])
    _nbgrader(["generate_assignment", name, "--force"], tmp)
    submit(scratch, name, "reference", COURSE.source_notebook(name))
    submit(scratch, name, "untouched", COURSE.release_notebook(name))
    _nbgrader(["autograde", name, "--force"], tmp)
    return name, scratch


@pytest.mark.slow
def test_reference_gets_full_marks(graded: tuple[str, Course]) -> None:
    name, scratch = graded
    score = scratch.score(name, "reference")
    assert score is not None and score.max_score > 0
    lost = {k: v for k, v in score.cells.items() if v[0] != v[1]}
    assert not lost, f"{name}: the reference solution lost points in {lost}"


@pytest.mark.slow
def test_untouched_release_gets_zero(graded: tuple[str, Course]) -> None:
    name, scratch = graded
    assert (scratch.root / "autograded" / "untouched" / name / f"{name}.ipynb").is_file(), "the untouched release was not graded"
    score = scratch.score(name, "untouched")
    assert score is not None
    assert score.score == 0, f"{name}: the untouched release earns {score.score} points: {score.cells}"


def _shape(nb: nbformat.NotebookNode) -> list[tuple[str, str, str, dict]]:
    return [(c.get("id"), c.cell_type, c.source, c.metadata.get("nbgrader", {})) for c in nb.cells]


@pytest.mark.slow
def test_release_is_in_sync_with_source(graded: tuple[str, Course]) -> None:
    name, scratch = graded
    made = nbformat.read(str(scratch.release_notebook(name)), as_version=4)
    committed = nbformat.read(str(COURSE.release_notebook(name)), as_version=4)
    for want, got in zip(_shape(made), _shape(committed)):
        assert got == want, f"release/{name} differs from what generate_assignment makes at cell {want[0]}: run `course release {name}`"
    assert len(made.cells) == len(committed.cells), f"release/{name} has a different number of cells: run `course release {name}`"
    extra = sorted(
        str(p.relative_to(ROOT / "release" / name))
        for p in (ROOT / "release" / name).rglob("*")
        if p.is_file() and not (scratch.root / "release" / name / p.relative_to(ROOT / "release" / name)).exists()
    )
    assert not extra, f"release/{name} holds files the source does not make: {extra}"
