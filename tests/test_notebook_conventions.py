"""Notebooks are stored clean, and every assignment follows the course's conventions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, assignments, lectures

from course.notebooks import graded_cells, problems
from course.testing import load_wrong

ALL_NOTEBOOKS = lectures() + sorted(ROOT.glob("source/*/*.ipynb")) + sorted(ROOT.glob("release/*/*.ipynb"))
LEGACY = {
    "Variable(": "torch.autograd.Variable is gone: tensors carry requires_grad",
    ".next()": "use next(iter(loader))",
    "F.sigmoid(": "use torch.sigmoid",
    "pretrained=": "torchvision takes weights=... now",
}


def test_the_course_has_its_notebooks() -> None:
    assert (ROOT / "notebooks" / "00_welcome.ipynb").is_file()
    assert assignments(), "source/ holds no assignment"
    for name in assignments():
        assert (ROOT / "notebooks" / f"{name}.ipynb").is_file(), f"assignment {name} has no lecture notebooks/{name}.ipynb"
        assert (ROOT / "release" / name / f"{name}.ipynb").is_file(), f"assignment {name} is not released"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_stored_clean(path: Path) -> None:
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    assert not problems(nb), f"{path.relative_to(ROOT)}: {problems(nb)} (run python -m course.notebooks clean)"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_teaches_the_modern_api(path: Path) -> None:
    nb = nbformat.read(str(path), as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    code = re.sub(r"#.*", "", code)  # comments may name the legacy form to warn against it
    found = [f"{k!r}: {why}" for k, why in LEGACY.items() if k in code]
    assert not found, f"{path.relative_to(ROOT)} uses legacy API: {found}"
    for cell in nb.cells:
        if cell.cell_type == "code" and "torch.load(" in cell.source:
            assert "weights_only=True" in cell.source, f"{path.relative_to(ROOT)}: torch.load without weights_only=True"
        if cell.cell_type == "code":
            # Showing the notes' mistake is fine; using it as a condition is the bug itself.
            assert not re.search(r"\bif\s+(not\s+)?torch\.cuda\.is_available\s*:", cell.source), (
                f"{path.relative_to(ROOT)}: torch.cuda.is_available used without calling it"
            )


def _last_statement_is_safe(source: str) -> bool:
    tree = ast.parse(source)
    if not tree.body:
        return False
    last = tree.body[-1]
    if isinstance(last, ast.Expr):
        call = last.value
        return isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id.startswith("check_")
    return True


@pytest.mark.parametrize("name", assignments())
def test_assignment_structure(name: str) -> None:
    nb = nbformat.read(str(ROOT / "source" / name / f"{name}.ipynb"), as_version=4)
    cells = graded_cells(nb)
    solutions = [k for k, v in cells.items() if v.get("solution")]
    tests = {k: v for k, v in cells.items() if v.get("grade")}
    assert len(tests) >= 8, f"{name} has {len(tests)} graded test cells; the course asks for at least 8"
    for sid in solutions:
        assert f"test_{sid}" in tests, f"{name}: solution cell {sid} has no test cell test_{sid}"
        src = cells[sid]["source"]
        assert "### BEGIN SOLUTION" in src and "### END SOLUTION" in src, f"{name}: {sid} lacks solution markers"
    for tid, meta in tests.items():
        src = meta["source"]
        assert meta.get("points", 0) > 0, f"{name}: {tid} is worth no points"
        assert "### BEGIN HIDDEN TESTS" in src and "### END HIDDEN TESTS" in src, f"{name}: {tid} has no hidden tests"
        assert "devices()" in src or "# device-independent:" in src, (
            f"{name}: {tid} does not run the learner's code on every device (devices()); "
            "if devices cannot matter, say why in a '# device-independent: ...' comment in the hidden tests"
        )
        visible = src.split("### BEGIN HIDDEN TESTS")[0]
        assert visible.strip(), f"{name}: {tid} has no visible checks for the learner"
        assert _last_statement_is_safe(src.replace("### BEGIN HIDDEN TESTS", "").replace("### END HIDDEN TESTS", "")), (
            f"{name}: {tid} ends with an expression; nbgrader could read its value as a partial score"
        )
    ids = [c.get("id") for c in nb.cells]
    assert len(ids) == len(set(ids)), f"{name}: repeated cell ids"
    wrong = load_wrong(name, ROOT)
    assert set(wrong) <= set(solutions), f"{name}: wrong solutions for unknown cells {set(wrong) - set(solutions)}"


def test_cuda_only_wrong_solutions_join_where_cuda_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    names = [a for a in assignments() if "CUDA_ONLY" in (ROOT / "tests" / "wrong" / f"{a}.py").read_text()]
    assert names, "no assignment keeps CUDA-only wrong solutions"
    for name in names:
        on_cpu = sum(len(v) for v in load_wrong(name, ROOT).values())
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        with_cuda = sum(len(v) for v in load_wrong(name, ROOT).values())
        monkeypatch.undo()
        assert with_cuda > on_cpu, f"{name}: CUDA_ONLY wrong solutions are not checked on a CUDA machine"
