"""The grading preprocessor and its findings recorder, in process: which cells are tests, what a
failed or skipped cell shows, what is recorded. Part of the fast oracle of ``make mutation``;
``test_results.py`` and ``test_trust.py`` run real kernels."""

from __future__ import annotations

import nbformat

from course.grading.execute import _cell_kind
from course.grading.results import Findings


def _code(source: str, **nbgrader: object) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = dict(nbgrader)
    return cell


def test_cell_kinds() -> None:
    assert _cell_kind(nbformat.v4.new_markdown_cell("text")) == "skip"
    assert _cell_kind(_code("   \n")) == "skip"
    assert _cell_kind(_code("x = 1")) == "student"
    assert _cell_kind(_code("x = 1", grade_id="a", solution=True)) == "student"
    assert _cell_kind(_code("assert x", grade_id="t", grade=True, locked=True, points=1)) == "test"
    assert _cell_kind(_code("import torch", grade_id="setup", locked=True)) == "locked"
    assert _cell_kind(_code("x = 1", grade_id="free", solution=False)) == "student"


def test_findings_keep_each_text_once() -> None:
    f = Findings("a.ipynb", "/scratch")
    f.flag("wrote outside")
    f.flag("wrote outside")
    f.note("slow")
    f.note("slow")
    assert f.flags == ["wrote outside"] and f.notes == ["slow"]
