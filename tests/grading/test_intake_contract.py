"""course.grading.intake pinned down: whatever a student hands in is graded, and what intake
found reaches the reviewer. The oracle of `make mutation` for intake (in-process: a tiny
gradebook, nbgrader's sanitize step run on a notebook object, no kernels)."""

from __future__ import annotations

import json
import logging
import types
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook
from nbgrader.api import Gradebook
from nbgrader.utils import compute_checksum
from tinycourse import code_cell

from course.grading import intake

warnings.filterwarnings("ignore", message=".*not in session.*")
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _nb(*cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = list(cells)
    return nb


def test_empty_notebook_and_marks() -> None:
    nb = intake._empty_notebook("why not")
    assert nb.metadata["kernelspec"] == KERNEL
    assert [c.source for c in nb.cells] == ["*The grader could not read this submission: why not*"]
    assert nb.cells[0].cell_type == "markdown"
    assert nb.metadata[intake.META] == {"unreadable": "why not"}
    intake._mark(nb, "x", 1)
    assert nb.metadata["course_grading"] == {"unreadable": "why not", "x": 1}


def test_read_submission_reads_a_good_notebook_and_fills_defaults(tmp_path: Path) -> None:
    raw = {"nbformat": 4, "nbformat_minor": 4, "metadata": {},
           "cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}}, {"cell_type": "markdown", "source": "hi", "metadata": {}}]}
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(raw))
    nb = intake.read_submission(str(path))
    assert intake.META not in nb.metadata
    assert nb.metadata["kernelspec"] == KERNEL
    assert nb.cells[0] == {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [], "execution_count": None}
    assert nb.cells[1] == {"cell_type": "markdown", "source": "hi", "metadata": {}}
    raw["metadata"]["kernelspec"] = {"name": "other", "display_name": "O"}
    path.write_text(json.dumps(raw))
    assert intake.read_submission(str(path)).metadata["kernelspec"] == {"name": "other", "display_name": "O"}


@pytest.mark.parametrize(("content", "why"), [
    ('{"cells": [', "a.ipynb is not a valid notebook (NotJSONError: "),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {}}', "a.ipynb is not a valid notebook (ValueError: it has no cells)"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [3]}', "a.ipynb is not a valid notebook (TypeError: "),
    ('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"source": "", "metadata": {}}]}',
     "a.ipynb is not a valid notebook (ValueError: a cell is malformed)"),
    ('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}}]}',
     "a.ipynb is not a valid notebook (ValueError: a cell is malformed)"),
])
def test_unreadable_submissions(tmp_path: Path, content: str, why: str) -> None:
    path = tmp_path / "a.ipynb"
    path.write_text(content)
    nb = intake.read_submission(str(path))
    assert nb.metadata[intake.META]["unreadable"].startswith(why)
    assert len(nb.metadata[intake.META]["unreadable"]) <= len("a.ipynb is not a valid notebook (NotJSONError: )") + 200
    assert "renamed_from" not in nb.metadata[intake.META]


def test_a_long_error_is_cut(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "a.ipynb"
    path.write_text("{}")

    def fail(*a, **k):
        raise ValueError("e" * 1000)

    monkeypatch.setattr(intake.nbformat, "read", fail)
    why = intake.read_submission(str(path)).metadata[intake.META]["unreadable"]
    assert why == "a.ipynb is not a valid notebook (ValueError: " + "e" * 200 + ")"


def test_a_huge_file_is_not_read(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "a.ipynb"
    nbformat.write(_nb(code_cell("x = 1")), str(path))
    monkeypatch.setattr(intake.os.path, "getsize", lambda p: (50 << 20) + 1)
    assert intake.read_submission(str(path)).metadata[intake.META]["unreadable"] == (
        "a.ipynb is not a valid notebook (ValueError: the file is larger than 50 MB)"
    )
    monkeypatch.setattr(intake.os.path, "getsize", lambda p: 50 << 20)
    assert intake.META not in intake.read_submission(str(path)).metadata


def test_missing_and_renamed(tmp_path: Path) -> None:
    folder = tmp_path / "sub [1]"
    folder.mkdir()
    expected = folder / "a.ipynb"
    assert intake.read_submission(str(expected)).metadata[intake.META] == {"unreadable": "the notebook is missing"}
    nbformat.write(_nb(code_cell("y = 2")), str(folder / "a-Copy1.ipynb"))
    (folder / "notes.txt").write_text("x")
    assert intake._other_notebooks(str(expected)) == [str(folder / "a-Copy1.ipynb")]
    nb = intake.read_submission(str(expected))
    assert nb.metadata[intake.META] == {"renamed_from": "a-Copy1.ipynb"} and nb.cells[0].source == "y = 2"
    (folder / "b.ipynb").write_text("{")
    assert intake._other_notebooks(str(expected)) == [str(folder / "a-Copy1.ipynb"), str(folder / "b.ipynb")]
    assert intake.read_submission(str(expected)).metadata[intake.META] == {"unreadable": "the notebook is missing"}
    (folder / "a-Copy1.ipynb").unlink()
    nb = intake.read_submission(str(expected))
    assert nb.metadata[intake.META]["renamed_from"] == "b.ipynb"
    assert nb.metadata[intake.META]["unreadable"].startswith("b.ipynb is not a valid notebook (NotJSONError")
    nbformat.write(_nb(), str(expected))
    assert intake._other_notebooks(str(expected)) == [str(folder / "b.ipynb")]


def test_exporter(tmp_path: Path) -> None:
    sub = tmp_path / "submitted" / "s" / "a"
    sub.mkdir(parents=True)
    (sub / "a.ipynb").write_text("not json")
    exporter = intake.SafeNotebookExporter()
    resources = {"metadata": {"keep": 1}}
    body, res = exporter.from_filename(str(sub / "a.ipynb"), resources)
    assert res["metadata"]["name"] == "a" and res["metadata"]["path"] == str(sub) and res["metadata"]["keep"] == 1
    assert json.loads(body)["metadata"]["course_grading"]["unreadable"].startswith("a.ipynb is not a valid notebook")
    body, res = exporter.from_filename(str(sub / "a.ipynb"))
    assert res["metadata"]["name"] == "a"
    other = tmp_path / "source" / "a"
    other.mkdir(parents=True)
    (other / "a.ipynb").write_text("not json")
    with pytest.raises(Exception):  # noqa: B017 - outside submitted/ a broken notebook is an error
        exporter.from_filename(str(other / "a.ipynb"))
    nbformat.write(_nb(code_cell("z = 3")), str(other / "a.ipynb"))
    body, _ = exporter.from_filename(str(other / "a.ipynb"), {})
    assert "".join(json.loads(body)["cells"][0]["source"]) == "z = 3"


def test_find_renamed_notebook(tmp_path: Path) -> None:
    src = tmp_path / "source" / "a"
    src.mkdir(parents=True)
    nbformat.write(_nb(), str(src / "a.ipynb"))
    folder = tmp_path / "submitted" / "s" / "a"
    folder.mkdir(parents=True)
    assert intake._expected_notebooks(folder) == ["a.ipynb"]
    assert intake._expected_notebooks(Path("a")) == []
    notebooks: list[str] = []
    intake.find_renamed_notebook("a", "s", notebooks)
    assert notebooks == []
    notebooks = [str(folder / "a (1).ipynb")]
    intake.find_renamed_notebook("a", "s", notebooks, extra=1)
    assert notebooks == [str(folder / "a (1).ipynb"), str(folder / "a.ipynb")]
    two = [str(folder / "x.ipynb"), str(folder / "y.ipynb")]
    intake.find_renamed_notebook("a", "s", two)
    assert len(two) == 2
    present = [str(folder / "a.ipynb")]
    intake.find_renamed_notebook("a", "s", present)
    assert present == [str(folder / "a.ipynb")]
    nbformat.write(_nb(), str(src / "b.ipynb"))
    one = [str(folder / "x.ipynb")]
    intake.find_renamed_notebook("a", "s", one)
    assert one == [str(folder / "x.ipynb")], "two expected notebooks: no guessing"
    (src / "b.ipynb").unlink()
    elsewhere = tmp_path / "release" / "a"
    elsewhere.mkdir(parents=True)
    outside = [str(elsewhere / "x.ipynb")]
    intake.find_renamed_notebook("a", "s", outside)
    assert outside == [str(elsewhere / "x.ipynb")]
    stray = tmp_path / "x" / "y" / "a"  # source/a is three levels up, but this is no submission
    loose = [str(stray / "x.ipynb")]
    intake.find_renamed_notebook("a", "s", loose)
    assert loose == [str(stray / "x.ipynb")]
    deeper = tmp_path / "submitted" / "s" / "a" / "sub"
    nested = [str(deeper / "x.ipynb")]
    intake.find_renamed_notebook("a", "s", nested)
    assert nested == [str(deeper / "x.ipynb")], "source/sub/ holds nothing"


def test_source_grade_ids(tmp_path: Path) -> None:
    src = tmp_path / "source" / "a"
    src.mkdir(parents=True)
    nbformat.write(_nb(code_cell("x", "one"), code_cell("y"), new_markdown_cell("m"), code_cell("z", "two")), str(src / "a.ipynb"))
    coursedir = types.SimpleNamespace(source_directory="source", format_path=lambda d, s, a: str(tmp_path / d / s / a))
    assert intake.source_grade_ids(coursedir, "a", "a") == ["one", "two"]
    assert intake.source_grade_ids(coursedir, "a", "missing") == []
    assert intake.source_grade_ids(None, "a", "a") == []
    assert intake.source_grade_ids(coursedir, "", "a") == []
    assert intake.source_grade_ids(coursedir, None, "a") == []


def _marked(marks=None, *cells):
    nb = _nb(*cells)
    if marks is not None:
        nb.metadata[intake.META] = marks
    return nb


def test_review_marks_messages() -> None:
    assert intake.review_marks(_marked(), "a", []) == ([], [])
    nb = _marked({"unreadable": "bad json", "renamed_from": "x.ipynb", "restored": ["t1"], "foreign": ["q1"]},
                 code_cell("", "t1", grade=True))
    flags, notes = intake.review_marks(nb, "a", [])
    assert intake.META not in nb.metadata
    assert flags == ["the submission could not be read: bad json; graded as empty",
                     "graded x.ipynb in place of the missing a.ipynb (renamed notebook)"]
    assert notes == ["cells with unknown grade ids were run as ordinary cells: q1"]
    foreign = [f"f{k}" for k in range(12)]
    nb = _marked({"foreign": foreign, "restored": ["t1", "t2"]}, code_cell("", "t1", grade=True), code_cell("", "t2", grade=True),
                 code_cell("", "s", solution=True))
    flags, notes = intake.review_marks(nb, "a", [])
    assert flags == ["the notebook seems to belong to another assignment: none of its cells are this assignment's (f0, f1, f2, f3, f4...)",
                     "cells deleted from the submission were put back and run: t1, t2"]
    assert notes == []
    nb = _marked({"foreign": foreign, "restored": ["t1"]}, code_cell("", "t1", grade=True), code_cell("", "t2", grade=True))
    flags, notes = intake.review_marks(nb, "a", [])
    assert flags == ["cells deleted from the submission were put back and run: t1"]
    assert notes == ["cells with unknown grade ids were run as ordinary cells: f0, f1, f2, f3, f4, f5, f6, f7, f8, f9"]
    nb = _marked({"restored": [f"r{k}" for k in range(11)], "edited": [f"e{k}" for k in range(11)], "duplicates": 2})
    flags, notes = intake.review_marks(nb, "a", [])
    assert flags == ["cells deleted from the submission were put back and run: r0, r1, r2, r3, r4, r5, r6, r7, r8, r9",
                     "locked cells were edited in the submission; the originals were run: e0, e1, e2, e3, e4, e5, e6, e7, e8, e9"]
    assert notes == ["2 duplicated cell(s) ran as ordinary cells (only the last copy of a graded cell counts)"]
    nb = _marked({"foreign": ["x"], "restored": ["t"], "unreadable": "u"})
    assert intake.review_marks(nb, "a", [])[1] == ["cells with unknown grade ids were run as ordinary cells: x"]
    assert intake.review_marks(_marked({"foreign": [], "restored": []}), "a", []) == ([], [])
    assert intake.review_marks(_marked({"foreign": None}), "a", []) == ([], [])


def test_review_marks_order() -> None:
    cells = [code_cell("", "b"), code_cell(""), code_cell("", "x"), code_cell("", "a")]
    flags, _ = intake.review_marks(_marked(None, *cells), "nb", ["a", "b", "c"])
    assert flags == ["the notebook's graded cells are not in their original order; they were run in the submitted order"]
    cells = [code_cell("", "a"), code_cell("", "x"), code_cell("", "c")]
    assert intake.review_marks(_marked(None, *cells), "nb", ["a", "b", "c"]) == ([], [])
    assert intake.review_marks(_marked(None, code_cell("", "b"), code_cell("", "a")), "nb", []) == ([], [])


def test_released_ignores_hidden_tests_and_trailing_spaces() -> None:
    assert intake._released("a  \n### BEGIN HIDDEN TESTS\nsecret\n### END HIDDEN TESTS\n  b\t\n\n") == "a\n  b"


# SafeOverwriteCells on a tiny gradebook ----------------------------------------------------

SOURCE = [
    ("setup", dict(locked=True), "import math"),
    ("sol", dict(solution=True), "def f(x):\n    return x"),
    ("test_f", dict(grade=True, locked=True, points=2), "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 2\n### END HIDDEN TESTS"),
    ("given", dict(locked=True), "g = 3"),
    ("test_g", dict(grade=True, locked=True, points=1), "assert g == 3"),
    ("written", dict(grade=True, solution=True, points=3), "answer here"),
]


@pytest.fixture
def gradebook(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'gb.db'}"
    with Gradebook(url) as gb:
        gb.update_or_create_assignment("a")
        gb.update_or_create_notebook("a", "a")
        for name, flags, source in SOURCE:
            cell = code_cell(source, name, **flags)
            kw = dict(cell_type="code", locked=bool(flags.get("locked")), source=source, checksum=compute_checksum(cell))
            gb.update_or_create_source_cell(name, "a", "a", **kw)
            if flags.get("grade"):
                gb.update_or_create_grade_cell(name, "a", "a", max_score=flags["points"], cell_type="code")
            if flags.get("solution"):
                gb.update_or_create_solution_cell(name, "a", "a")
    return url


def _sanitize(url: str, nb, source_order=None):
    pre = intake.SafeOverwriteCells(log=logging.getLogger("intake-test"))
    resources = {"nbgrader": {"notebook": "a", "assignment": "a", "db_url": url}}
    real = intake.source_grade_ids
    if source_order is not None:
        intake.source_grade_ids = lambda coursedir, assignment, notebook: source_order
    try:
        out, back = pre.preprocess(nb, resources)
    finally:
        intake.source_grade_ids = real
    assert back is resources
    return out


def _submitted(*names, edits=None):
    cells = []
    for name, flags, source in SOURCE:
        if name in names:
            cells.append(code_cell((edits or {}).get(name, source), name, **flags))
    return _nb(*cells)


def test_a_complete_submission_is_left_alone(gradebook: str) -> None:
    nb = _submitted(*[s[0] for s in SOURCE])
    nb.cells.append(code_cell("scratch = 1"))
    nb = _sanitize(gradebook, nb)
    assert nb.cells.pop().source == "scratch = 1"
    assert intake.META not in nb.metadata
    assert [c.metadata["nbgrader"]["grade_id"] for c in nb.cells] == [s[0] for s in SOURCE]
    md = nb.cells[2].metadata["nbgrader"]
    assert (md["grade"], md["solution"], md["points"]) == (True, False, 2.0)
    assert "points" not in nb.cells[0].metadata["nbgrader"]


def test_flags_come_from_the_gradebook(gradebook: str, caplog) -> None:
    nb = _submitted(*[s[0] for s in SOURCE])
    nb.cells[2].metadata["nbgrader"].update(grade=False, solution=True)  # a test turned into a solution
    nb.cells[2].metadata["nbgrader"].pop("points")
    nb.cells[1].metadata["nbgrader"].update(grade=True, points=50)  # a solution turned into a test
    nb.cells[5].metadata["nbgrader"].update(points=30)
    with caplog.at_level(logging.WARNING, logger="intake-test"):
        nb = _sanitize(gradebook, nb)
    changed = [m for m in caplog.messages if m.startswith("Attribute 'grade'") or m.startswith("Attribute 'solution'")]
    assert changed == [
        "Attribute 'grade' for cell sol has changed! (should be: False, got: True)",
        "Attribute 'grade' for cell test_f has changed! (should be: True, got: False)",
        "Attribute 'solution' for cell test_f has changed! (should be: False, got: True)",
    ]
    t, s, w = (nb.cells[i].metadata["nbgrader"] for i in (2, 1, 5))
    assert (t["grade"], t["solution"], t["points"]) == (True, False, 2.0)
    assert (s["grade"], s["solution"]) == (False, True) and "points" not in s
    assert (w["grade"], w["solution"], w["points"]) == (True, True, 3.0)


def test_edited_locked_cells_are_run_as_released(gradebook: str) -> None:
    edits = {"given": "g = 4", "test_f": "assert f(1) == 1  ", "setup": "import math\n\n"}
    nb = _sanitize(gradebook, _submitted(*[s[0] for s in SOURCE], edits=edits))
    assert nb.metadata[intake.META] == {"edited": ["given"]}
    assert nb.cells[3].source == "g = 4".replace("4", "3")
    assert nb.cells[2].source == SOURCE[2][2]


def test_foreign_duplicate_and_junk_cells(gradebook: str) -> None:
    nb = _submitted(*[s[0] for s in SOURCE])
    foreign = [code_cell("x", f"other_{k}", grade=True, points=1) for k in range(22)]
    junk = code_cell("y")
    junk.metadata["nbgrader"] = {}
    junk2 = code_cell("y2")
    junk2.metadata["nbgrader"] = {"grade": True}
    nb.cells += foreign + [junk, junk2]
    nb = _sanitize(gradebook, nb)
    marks = nb.metadata[intake.META]
    assert marks == {"foreign": [f"other_{k}" for k in range(20)], "duplicates": 1}
    assert all("nbgrader" not in c.metadata for c in nb.cells[len(SOURCE):])


def test_deleted_cells_are_put_back_in_place(gradebook: str, caplog) -> None:
    order = [s[0] for s in SOURCE]
    nb = _submitted("sol", "written")
    nb.cells.insert(1, code_cell("print('mine')"))
    with caplog.at_level(logging.WARNING, logger="intake-test"):
        nb = _sanitize(gradebook, nb, order)
    assert caplog.messages[-1] == "Put back cells missing from the submission: setup, test_f, given, test_g"
    mine = [c for c in nb.cells if "nbgrader" not in c.metadata]
    assert [c.source for c in mine] == ["print('mine')"]
    nb.cells.remove(mine[0])
    assert [c.metadata["nbgrader"]["grade_id"] for c in nb.cells] == order
    assert nb.metadata[intake.META] == {"restored": ["setup", "test_f", "given", "test_g"]}
    put = nb.cells[2]
    assert put.cell_type == "code"
    assert put["id"] == "restored-test_f" and put.source == SOURCE[2][2] and put.outputs == [] and put.execution_count is None
    assert put.metadata["nbgrader"] == {"grade": True, "grade_id": "test_f", "locked": True, "solution": False,
                                        "checksum": put.metadata["nbgrader"]["checksum"], "schema_version": 3, "points": 2.0}
    assert put.metadata["editable"] is False and put.metadata["deletable"] is False
    setup = nb.cells[0].metadata["nbgrader"]
    assert setup["grade"] is False and "points" not in setup and setup["locked"] is True


def test_a_restored_cell_id_is_at_most_64_characters(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'long.db'}"
    name = "test_" + "x" * 70
    with Gradebook(url) as gb:
        gb.update_or_create_assignment("a")
        gb.update_or_create_notebook("a", "a")
        cell = code_cell("assert True", name, grade=True, locked=True, points=1)
        gb.update_or_create_source_cell(name, "a", "a", cell_type="code", locked=True, source="assert True",
                                        checksum=compute_checksum(cell))
        gb.update_or_create_grade_cell(name, "a", "a", max_score=1, cell_type="code")
    nb = _sanitize(url, _nb(), [name])
    assert nb.cells[0]["id"] == f"restored-{name}"[:64] and len(nb.cells[0]["id"]) == 64


def test_deleted_cells_without_a_source_order(gradebook: str) -> None:
    nb = _sanitize(gradebook, _submitted("sol", "written"), [])
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    assert ids == ["given", "setup", "test_f", "test_g", "sol", "written"], "sorted, then each after its predecessor"
    nb = _sanitize(gradebook, _submitted("sol", "written"), ["written", "sol"])
    assert [c.metadata["nbgrader"]["grade_id"] for c in nb.cells] == ["sol", "written", "setup", "test_f", "given", "test_g"]


def test_source_order_comes_from_the_course(gradebook: str, tmp_path: Path) -> None:
    from traitlets.config import Configurable

    src = tmp_path / "source" / "a"
    src.mkdir(parents=True)
    nbformat.write(_nb(*[code_cell(s[2], s[0], **s[1]) for s in SOURCE]), str(src / "a.ipynb"))
    outer = Configurable()
    outer.coursedir = types.SimpleNamespace(source_directory="source", format_path=lambda d, s, a: str(tmp_path / d / s / a))
    pre = intake.SafeOverwriteCells(parent=Configurable(parent=outer))
    resources = {"nbgrader": {"notebook": "a", "assignment": "a", "db_url": gradebook}}
    nb, _ = pre.preprocess(_submitted("sol", "written"), resources)
    assert [c.metadata["nbgrader"]["grade_id"] for c in nb.cells] == [s[0] for s in SOURCE]
