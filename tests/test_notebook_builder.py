"""course.notebooks: percent-format scripts (jupytext) become clean nbgrader notebooks; cleaning strips outputs."""

from __future__ import annotations

import nbformat
import pytest

from course.notebooks import build, clean, graded_cells, parse_spec, problems

SPEC = """\
# %% [markdown] id="title"
# # Title
# %% id="setup"
import torch
# %% id="double" nbgrader="solution"
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
# %% id="test_double" nbgrader="tests" points=3
assert double(2) == 4
"""


def test_parse_spec_reads_headers() -> None:
    cells = parse_spec(SPEC)
    assert [c.get("id") for c in cells] == ["title", "setup", "double", "test_double"]
    assert cells[0]["markdown"] and cells[2]["solution"] and cells[3]["tests"]
    assert cells[3]["points"] == 3
    assert cells[0]["source"] == "# Title"


def test_build_assignment_metadata() -> None:
    nb = build(SPEC, assignment=True)
    meta = {c.id: c.metadata["nbgrader"] for c in nb.cells}
    assert meta["double"] == {"grade_id": "double", "schema_version": 3, "grade": False, "solution": True, "locked": False}
    assert meta["test_double"]["points"] == 3 and meta["test_double"]["grade"] and meta["test_double"]["locked"]
    assert meta["setup"]["locked"] and not meta["setup"]["grade"]
    assert set(graded_cells(nb)) == {"double", "test_double"}
    assert not problems(nb)


def test_lecture_has_no_nbgrader_metadata() -> None:
    nb = build(SPEC.replace(' nbgrader="solution"', "").replace(' nbgrader="tests" points=3', ""), assignment=False)
    assert all("nbgrader" not in c.metadata for c in nb.cells)


def test_repeated_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="repeated"):
        build('# %% id="a"\nx = 1\n# %% id="a"\ny = 2\n', assignment=False)


def test_unknown_kinds_and_stray_text_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown nbgrader kind"):
        build('# %% id="a" nbgrader="answer"\nx = 1\n', assignment=True)
    with pytest.raises(ValueError, match="percent format"):
        build('x = 1\n# %% id="a"\ny = 2\n', assignment=False)


def test_clean_strips_outputs() -> None:
    nb = build(SPEC, assignment=True)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi")]
    nb.cells[1].execution_count = 4
    assert problems(nb)
    assert not problems(clean(nb))
