"""Intake (unreadable and renamed notebooks), feedback redaction and grading reports, without kernels."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course.grading import report
from course.grading.intake import find_renamed_notebook, read_submission
from course.grading.redact import HideHiddenTests

TEST_SOURCE = """from course.checks import check_close
check_close(f(1), 2)
### BEGIN HIDDEN TESTS
secret_value = 31337
check_close(f(secret_value), 62674)
### END HIDDEN TESTS"""


def test_an_unreadable_notebook_is_read_as_empty(tmp_path: Path) -> None:
    bad = tmp_path / "submitted" / "s" / "a" / "a.ipynb"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"cells": [')
    nb = read_submission(str(bad))
    assert nb.metadata["course_grading"]["unreadable"].startswith("a.ipynb is not a valid notebook")
    assert all(c.cell_type == "markdown" for c in nb.cells)


def test_a_lone_renamed_notebook_stands_in_for_the_missing_one(tmp_path: Path) -> None:
    (tmp_path / "source" / "a").mkdir(parents=True)
    nbformat.write(new_notebook(), str(tmp_path / "source" / "a" / "a.ipynb"))
    folder = tmp_path / "submitted" / "s" / "a"
    folder.mkdir(parents=True)
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    nbformat.write(nb, str(folder / "a (1).ipynb"))
    notebooks = [str(folder / "a (1).ipynb")]
    find_renamed_notebook(assignment="a", student="s", notebooks=notebooks)
    assert notebooks[-1] == str(folder / "a.ipynb")
    read = read_submission(notebooks[-1])
    assert read.metadata["course_grading"]["renamed_from"] == "a (1).ipynb" and read.cells[0].source == "x = 1"


def test_feedback_hides_hidden_tests_but_says_what_failed() -> None:
    cell = new_code_cell(TEST_SOURCE)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test_f", "locked": True, "solution": False, "points": 1}
    tb = ["\x1b[31mTraceback\x1b[0m", "File <course-test test_f>:5", "----> 5 check_close(f(secret_value), 62674)",
          "CheckFailed: f(x) has the right shape but wrong values"]
    cell.outputs = [new_output("error", ename="CheckFailed", evalue="f(x) has the right shape but wrong values", traceback=tb)]
    nb = new_notebook(cells=[cell])
    out, _ = HideHiddenTests().preprocess(nb, {})
    text = out.cells[0].source + str(out.cells[0].outputs)
    assert "secret_value" not in text and "31337" not in text and "62674" not in text
    assert "hidden tests" in out.cells[0].source
    assert "test_f failed a hidden check (one that runs on inputs you have not seen): f(x) has the right shape but wrong values" in str(
        out.cells[0].outputs
    )


def test_feedback_labels_a_hidden_failure_and_names_the_learners_function() -> None:
    from nbformat.v4 import new_code_cell as code

    solution = code("def f(x):\n    return 2 * x + 1")
    solution.metadata["nbgrader"] = {"grade": False, "grade_id": "f", "locked": False, "solution": True}
    cell = code(TEST_SOURCE)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test_f", "locked": True, "solution": False, "points": 1}
    hidden_tb = ["Traceback", "File <course-test test_f>:5", "CheckFailed: f(x) is wrong"]
    visible_tb = ["Traceback", "File <course-test test_f>:2", "CheckFailed: f(1) is wrong"]
    cell.outputs = [new_output("error", ename="CheckFailed", evalue="f(x) is wrong", traceback=hidden_tb)]
    out, _ = HideHiddenTests().preprocess(new_notebook(cells=[solution, cell]), {})
    text = str(out.cells[1].outputs)
    assert "test_f failed a hidden check (one that runs on inputs you have not seen, calling your f()): f(x) is wrong" in text
    assert out.cells[1].outputs[0]["evalue"] == "A hidden check failed (one that runs on inputs you have not seen, calling your f()): f(x) is wrong"
    assert "secret_value" not in text and "62674" not in text
    cell = code(TEST_SOURCE)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test_f", "locked": True, "solution": False, "points": 1}
    cell.outputs = [new_output("error", ename="CheckFailed", evalue="f(1) is wrong", traceback=visible_tb)]
    out, _ = HideHiddenTests().preprocess(new_notebook(cells=[solution, cell]), {})
    assert "test_f failed: f(1) is wrong" in str(out.cells[1].outputs)


def test_reports_round_trip(tmp_path: Path) -> None:
    path = report.report_path(tmp_path, "s", "a")
    assert report.record_notebook(path, "a", ["patched torch.equal"], ["a note"], "bubblewrap") is False
    assert report.summary(path) == (True, ["patched torch.equal"], ["a note"])
    assert report.record_notebook(path, "a", [], [], "bubblewrap") is True
    assert report.summary(path) == (False, [], [])
    link = report.report_path(tmp_path, "t", "a")
    link.parent.mkdir(parents=True)
    target = tmp_path / "precious.db"
    target.write_text("keep me")
    link.symlink_to(target)
    report.record_failure(link, "no notebook submitted", ["a"])
    assert target.read_text() == "keep me" and not link.is_symlink()
