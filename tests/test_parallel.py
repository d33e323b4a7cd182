"""Grading a class in parallel gives exactly nbgrader's sequential grades, into one gradebook:
SQLite by default, a real PostgreSQL server through COURSE_DB_URL, and a Dask cluster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from pgserver import PostgresUnavailable, postgres_server

from course.grading.coursedir import Course, scratch_course, submit
from course.grading.demo import half_done

ASSIGNMENT = "04_nn"  # a real chapter, quick to grade
COURSE = Course(ROOT)
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def _env(db_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DB_URL"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    if db_url:
        env["COURSE_DB_URL"] = db_url
    return env


def _run(cmd: list[str], cwd: Path, db_url: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=_env(db_url), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _class(tmp: Path, db_url: str | None = None) -> tuple[Course, list[str]]:
    """A scratch course with six students: two of each kind."""
    course = scratch_course(COURSE, tmp, [ASSIGNMENT])
    if db_url:
        course = Course(tmp, db_url=db_url)
    _run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], tmp, db_url)
    half = tmp / "half.ipynb"
    nbformat.write(half_done(course.source_notebook(ASSIGNMENT), course.release_notebook(ASSIGNMENT)), str(half))
    kinds = {"ref": course.source_notebook(ASSIGNMENT), "untouched": course.release_notebook(ASSIGNMENT), "half": half}
    students = []
    for kind, nb in kinds.items():
        for i in (1, 2):
            students.append(f"{kind}{i}")
            submit(course, ASSIGNMENT, f"{kind}{i}", nb)
    return course, students


def _grades(course: Course, students: list[str]) -> dict[str, dict[str, tuple[float, float]]]:
    out = {}
    for s in students:
        score = course.score(ASSIGNMENT, s)
        assert score is not None, f"{s} is missing from the gradebook"
        out[s] = score.cells
    return out


@pytest.fixture(scope="module")
def sequential(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, tuple[float, float]]]:
    tmp = tmp_path_factory.mktemp("sequential")
    course, students = _class(tmp)
    _run([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--force"], tmp)
    grades = _grades(course, students)
    assert all(v[0] == v[1] for v in grades["ref1"].values())
    assert all(v[0] == 0 for v in grades["untouched1"].values())
    assert 0 < sum(v[0] for v in grades["half1"].values()) < sum(v[1] for v in grades["half1"].values())
    return grades


def test_parallel_sqlite_equals_sequential_nbgrader(sequential, tmp_path: Path) -> None:
    course, students = _class(tmp_path)
    proc = _run([str(BIN / "course"), "--root", str(tmp_path), "autograde", ASSIGNMENT, "--jobs", "2"], tmp_path)
    assert _grades(course, students) == sequential
    assert "[6/6]" in proc.stdout and "failures 0" in proc.stdout and "left" in proc.stdout
    assert "locked" not in (proc.stdout + proc.stderr).lower()
    # Resuming: nothing is graded twice, unless forced.
    again = _run([str(BIN / "course"), "--root", str(tmp_path), "autograde", ASSIGNMENT, "--jobs", "2"], tmp_path)
    assert "6 skipped as already graded" in again.stdout
    # A resubmission (new timestamp) is graded again, the others are skipped.
    submit(course, ASSIGNMENT, "untouched1", course.source_notebook(ASSIGNMENT))
    again = _run([str(BIN / "course"), "--root", str(tmp_path), "autograde", ASSIGNMENT], tmp_path)
    assert "autograded 1 of 1" in again.stdout and "5 skipped" in again.stdout
    assert all(v[0] == v[1] for v in _grades(course, ["untouched1"])["untouched1"].values())


@pytest.fixture(scope="module")
def pg_url():
    try:
        with postgres_server() as url:
            yield url
    except PostgresUnavailable as err:
        pytest.fail(str(err), pytrace=False)


def test_parallel_into_postgresql(sequential, pg_url: str, tmp_path: Path) -> None:
    course, students = _class(tmp_path, pg_url)
    assert course.db_url.startswith("postgresql://")
    _run([str(BIN / "course"), "--root", str(tmp_path), "autograde", ASSIGNMENT, "--jobs", "3"], tmp_path, pg_url)
    assert _grades(course, students) == sequential
    assert not (tmp_path / "gradebook.db").exists(), "COURSE_DB_URL was ignored: a SQLite gradebook appeared"


def test_dask_cluster_with_postgresql(sequential, pg_url: str, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    course, students = _class(tmp_path, pg_url)
    with course.gradebook() as gb:  # start from a clean slate in the shared database
        for s in students:
            try:
                gb.remove_submission(ASSIGNMENT, s)
            except Exception:  # noqa: BLE001 - not there yet
                pass
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        with Client(cluster) as client:
            proc = _run(
                [str(BIN / "course"), "--root", str(tmp_path), "autograde", ASSIGNMENT, "--scheduler", cluster.scheduler_address],
                tmp_path,
                pg_url,
            )
            workers = client.run(os.getpid)
    assert "Dask cluster" in proc.stdout and "[6/6]" in proc.stdout
    assert len(set(workers.values())) == 2
    assert _grades(course, students) == sequential


def test_dask_refuses_sqlite(tmp_path: Path) -> None:
    course, _ = _class(tmp_path)
    proc = subprocess.run(
        [str(BIN / "course"), "--root", str(tmp_path), "autograde", ASSIGNMENT, "--scheduler", "tcp://127.0.0.1:1"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1 and "COURSE_DB_URL=postgresql" in proc.stderr and "Traceback" not in proc.stderr
