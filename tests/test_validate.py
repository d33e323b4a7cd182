"""Validate summarises: "N/M exercises pass · K not started · 1 failing: NAME — reason",
stubs collapsed into the count, one entry per real failure (course/lab.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from course.grading.coursedir import Course
from course.grading.demo import half_done
from course.lab import CourseValidator, headline

NAME = "04_nn"


@pytest.mark.slow
def test_validate_answers_with_a_summary(tmp_path: Path) -> None:
    course = Course(ROOT)
    nb = half_done(course.source_notebook(NAME), course.release_notebook(NAME))
    solved = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and "BEGIN SOLUTION" in c.source]
    broken = next(c for c in solved if f"def {c.metadata['nbgrader']['grade_id']}(" in c.source)
    name = broken.metadata["nbgrader"]["grade_id"]
    broken.source += f"\n\n\ndef {name}(*args, **kwargs):\n    raise ValueError('a mistake of mine')\n"
    path = tmp_path / f"{NAME}.ipynb"
    nbformat.write(nb, str(path))
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")

    results = CourseValidator().validate(str(path))

    summary = results["summary"]
    total = sum(1 for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    assert summary["total"] == total
    assert [f["name"] for f in summary["failing"]] == [name]
    assert len(summary["passed"]) == len(solved) - 1
    assert len(summary["not_started"]) == total - len(solved)
    entries = results["failed"]
    assert entries[0]["source"] == headline(summary)
    assert entries[0]["source"].startswith(f"Validate: {len(solved) - 1}/{total} exercises pass · {total - len(solved)} not started · 1 failing: {name} — ")
    assert len(entries) == 2, "stubs must be collapsed into the count, not listed one by one"
    assert entries[1]["source"] == f"\u2717 {name} — a mistake of mine"
    assert "NotImplementedError" not in entries[0]["source"] + entries[1]["source"]


def test_lab_config_enables_the_summary_and_its_stylesheet() -> None:
    from test_lab_setup import load_config

    config = load_config(ROOT / "jupyter_lab_config.py")
    exts = config.ServerApp.jpserver_extensions
    exts = exts.to_dict() if hasattr(exts, "to_dict") else exts
    assert exts.get("update", exts).get("course.lab") is True
    from course.lab import DIALOG_STYLE

    assert "validation-failed" in DIALOG_STYLE
    assert config.LabApp.news_url is None
