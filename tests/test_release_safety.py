"""A learner's work is never lost: `course release` and `make demo` leave an edited release
notebook intact, `--force` keeps a backup, `course start` gives a copy no command overwrites,
and a corrupt source notebook is named with what is wrong with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from course.grading import cli
from course.grading.coursedir import Course, CourseError, scratch_course
from course.grading.release import release, start

NAME = "01_tensors"


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scratch = scratch_course(Course(ROOT), tmp_path_factory.mktemp("released") / "course", [NAME])
    release(scratch, NAME, verify=False)
    return scratch.root


@pytest.fixture
def course(released: Path, tmp_path: Path) -> Course:
    shutil.copytree(released, tmp_path / "course")
    return Course(tmp_path / "course", db_url=f"sqlite:///{tmp_path / 'course' / 'gradebook.db'}")


def _edit(path: Path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    cell.source = cell.source.replace("raise NotImplementedError()", "return 'my own work'")
    nbformat.write(nb, str(path))
    checkpoints = path.parent / ".ipynb_checkpoints"
    checkpoints.mkdir(exist_ok=True)
    (checkpoints / f"{path.stem}-checkpoint.ipynb").write_text(path.read_text())
    return path.read_text()


@pytest.mark.slow
def test_release_refuses_to_overwrite_edited_work(course: Course) -> None:
    notebook = course.release_notebook(NAME)
    edited = _edit(notebook)
    with pytest.raises(CourseError, match="refusing to overwrite"):
        release(course, NAME, verify=False)
    assert notebook.read_text() == edited
    assert (notebook.parent / ".ipynb_checkpoints" / f"{NAME}-checkpoint.ipynb").read_text() == edited
    assert cli.main(["--root", str(course.root), "release", NAME, "--no-verify"]) == 1
    assert notebook.read_text() == edited


@pytest.mark.slow
def test_demo_leaves_edited_work_intact(course: Course, monkeypatch: pytest.MonkeyPatch) -> None:
    from course.grading import demo, parallel

    notebook = course.release_notebook(NAME)
    edited = _edit(notebook)
    monkeypatch.setattr(parallel, "autograde_many", lambda *a, **k: pytest.fail("demo graded over a learner's work"))
    with pytest.raises(CourseError, match="refusing to overwrite"):
        demo.run(course, say=lambda _: None)
    assert notebook.read_text() == edited


@pytest.mark.slow
def test_force_keeps_a_backup(course: Course) -> None:
    notebook = course.release_notebook(NAME)
    edited = _edit(notebook)
    report = release(course, NAME, verify=False, force=True)
    assert "saved to .course/backups/" in report
    backups = list((course.root / ".course" / "backups" / NAME).glob("*/"))
    assert len(backups) == 1
    assert (backups[0] / f"{NAME}.ipynb").read_text() == edited
    assert (backups[0] / ".ipynb_checkpoints" / f"{NAME}-checkpoint.ipynb").read_text() == edited
    assert "my own work" not in notebook.read_text()
    # A release nobody edited is replaced quietly, with no backup.
    assert "saved" not in release(course, NAME, verify=False)


@pytest.mark.slow
def test_start_copies_the_release_and_never_overwrites(course: Course) -> None:
    dest = start(course, NAME)
    assert dest == course.root / "work" / NAME
    mine = dest / f"{NAME}.ipynb"
    assert mine.read_text() == course.release_notebook(NAME).read_text()
    mine.write_text(mine.read_text().replace("raise NotImplementedError()", "return 1"))
    before = mine.read_text()
    with pytest.raises(CourseError, match="already exists"):
        start(course, NAME)
    release(course, NAME, verify=False)
    assert mine.read_text() == before


def test_corrupt_source_notebook_is_named(tmp_path: Path) -> None:
    scratch = scratch_course(Course(ROOT), tmp_path / "course", [NAME])
    src = scratch.source_notebook(NAME)
    text = src.read_text().splitlines()
    text[5] = text[5] + ' "oops'
    src.write_text("\n".join(text))
    with pytest.raises(CourseError) as err:
        release(scratch, NAME, verify=False)
    assert str(src) in str(err.value) and "not valid JSON at line 6" in str(err.value)
    src.write_text(json.dumps({"cells": "not a list"}))
    with pytest.raises(CourseError, match="not a valid notebook"):
        release(scratch, NAME, verify=False)


def test_roster_puts_real_names_in_the_gradebook(tmp_path: Path) -> None:
    from course.grading.roster import read_roster

    scratch = scratch_course(Course(ROOT), tmp_path / "course", [NAME])
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email,lms_user_id\nalice,Alice,Martin,alice@example.edu,42\nbob,Bob,,,\n")
    assert cli.main(["--root", str(scratch.root), "roster", str(roster)]) == 0
    with scratch.gradebook() as gb:
        alice = gb.find_student("alice")
        assert (alice.first_name, alice.last_name, alice.email, alice.lms_user_id) == ("Alice", "Martin", "alice@example.edu", "42")
        assert gb.find_student("bob").last_name is None
    roster.write_text("id,name\nalice,Alice\n")
    with pytest.raises(CourseError, match="unknown column"):
        read_roster(roster)
    roster.write_text("id\nalice\nalice\n")
    with pytest.raises(CourseError, match="line 3: student 'alice' appears twice"):
        read_roster(roster)
    roster.write_text("id\n../etc\n")
    with pytest.raises(CourseError, match="not a valid student id"):
        read_roster(roster)


@pytest.mark.slow
def test_release_to_the_exchange_shows_released_in_formgrader(course: Course) -> None:
    from course.grading.release import to_exchange

    assert course.api.get_assignment(NAME)["status"] == "draft"
    to_exchange(course, NAME)
    to_exchange(course, NAME)  # a second hand-out replaces the first
    assert course.api.get_assignment(NAME)["status"] == "released"
