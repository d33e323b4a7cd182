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

ALL_NOTEBOOKS = [p for p in lectures() + sorted(ROOT.glob("source/*/*.ipynb")) + sorted(ROOT.glob("release/*/*.ipynb")) if not p.parent.name.endswith("_zh_CN")]
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


# --- Exercises that measure understanding (DESIGN.md) -----------------------------------------

LEVELS = ("warm-up", "core", "stretch")
LEVEL_LINE = re.compile(r"^\*\*Level:\*\* (warm-up|core|stretch)((?: · (?:find-and-fix|transfer))*)\s*$", re.M)


def _norm(line: str) -> str:
    return re.sub(r"\s+", "", line)


def exercises(nb: nbformat.NotebookNode) -> list[dict]:
    """Per solution cell: its grade_id, its task text (the markdown since the previous test cell),
    its level and kinds, and the non-trivial lines of its solution."""
    found, task = [], []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown":
            task.append(cell.source)
            continue
        if meta.get("grade"):
            task = []
            continue
        if not meta.get("solution"):
            continue
        text = "\n".join(task)
        m = LEVEL_LINE.search(text)
        body = "".join(re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S))
        lines = [_norm(x) for x in body.splitlines() if len(_norm(x)) > 12 and not x.strip().startswith("#")]
        found.append(
            {
                "id": meta["grade_id"],
                "task": text,
                "level": m.group(1) if m else None,
                "kinds": [k for k in (m.group(2) if m else "").split(" · ") if k],
                "lines": lines,
                "body": body,
            }
        )
    return found


def chapter_lectures(name: str) -> list[Path]:
    return sorted((ROOT / "notebooks").glob(f"{name}*.ipynb"))


@pytest.mark.parametrize("name", assignments())
def test_every_exercise_states_its_level_and_the_curve_rises(name: str) -> None:
    nb = nbformat.read(str(ROOT / "source" / name / f"{name}.ipynb"), as_version=4)
    exs = exercises(nb)
    unlabelled = [e["id"] for e in exs if e["level"] is None]
    assert not unlabelled, f"{name}: exercises without a '**Level:** warm-up|core|stretch' line: {unlabelled}"
    order = [LEVELS.index(e["level"]) for e in exs]
    assert order == sorted(order), f"{name}: levels should rise warm-up -> core -> stretch, got {[e['level'] for e in exs]}"
    assert {"warm-up", "core", "stretch"} <= {e["level"] for e in exs}, f"{name}: needs warm-up, core and stretch exercises"
    kinds = [k for e in exs for k in e["kinds"]]
    assert kinds.count("find-and-fix") >= 1, f"{name}: needs at least one find-and-fix exercise"
    assert kinds.count("transfer") >= 2, f"{name}: needs at least two transfer exercises"
    one_liners = [e["id"] for e in exs if e["level"] != "warm-up" and len(e["lines"]) < 2]
    assert not one_liners, f"{name}: one-line solutions must be marked warm-up: {one_liners}"


@pytest.mark.parametrize("name", assignments())
def test_no_answer_in_the_question(name: str) -> None:
    """Fewer than half of a solution's non-trivial lines stand verbatim in its task text or lecture."""
    nb = nbformat.read(str(ROOT / "source" / name / f"{name}.ipynb"), as_version=4)
    lecture_lines: set[str] = set()
    for path in chapter_lectures(name):
        lec = nbformat.read(str(path), as_version=4)
        lecture_lines |= {_norm(x) for c in lec.cells if c.cell_type == "code" for x in c.source.splitlines()}
    leaks = []
    for ex in exercises(nb):
        task = _norm(ex["task"])

        def shown(line: str, task: str = task) -> bool:
            bare = line[len("return") :] if line.startswith("return") else line
            return line in task or line in lecture_lines or (len(bare) > 12 and (bare in task or bare in lecture_lines))

        n = sum(1 for x in ex["lines"] if shown(x))
        if ex["lines"] and n * 2 >= len(ex["lines"]):
            leaks.append(f"{ex['id']}: {n} of {len(ex['lines'])} solution lines")
    assert not leaks, f"{name}: solutions that stand in their task text or lecture: {leaks}"


@pytest.mark.parametrize("path", lectures(), ids=lambda p: Path(p).stem)
def test_lecture_speaks_to_the_learner(path: Path) -> None:
    nb = nbformat.read(str(path), as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert not re.search(r"\b(the|my|our|your) (study )?notes\b", text, re.I), (
        f"{path.name} speaks of 'the notes', which learners do not have: name the common mistake itself"
    )
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in re.sub(r"#.*", "", cell.source).splitlines():
            wide = re.search(r"float64|\.double\(\)|torch\.double\b", line)
            on_device = re.search(r"get_device\(\)|device=device\b|\.to\(device\)", line)
            assert not (wide and on_device), (
                f"{path.name}: a float64 tensor on get_device() fails on Apple's MPS: {line.strip()!r}"
            )


def _prose_words(nb: nbformat.NotebookNode) -> int:
    words = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = re.sub(r"```.*?```", "", cell.source, flags=re.S)
            text = re.sub(r"<details>.*?</details>", "", text, flags=re.S)  # folded answers
            words += len(text.split())
    return words


@pytest.mark.parametrize("path", [p for p in lectures() if p.stem != "00_welcome"], ids=lambda p: Path(p).stem)
def test_lecture_is_short_and_gives_something_to_try(path: Path) -> None:
    nb = nbformat.read(str(path), as_version=4)
    words = _prose_words(nb)
    assert words <= 1300, f"{path.name} has {words} words of prose; keep a lecture to about 1,200 (split it if needed)"
    tries = [c.source for c in nb.cells if c.cell_type == "markdown" and "**Try it**" in c.source]
    assert len(tries) >= 3, f"{path.name} has {len(tries)} 'Try it' prompts; each section should end with one"
    unfolded = [t[:60] for t in tries if "<details>" not in t]
    assert not unfolded, f"{path.name}: 'Try it' prompts whose answer is not folded away in <details>: {unfolded}"


def test_readme_and_welcome_list_every_lecture() -> None:
    readme = (ROOT / "README.md").read_text()
    welcome = "\n".join(c.source for c in nbformat.read(str(ROOT / "notebooks" / "00_welcome.ipynb"), as_version=4).cells)
    for path in lectures():
        if path.stem == "00_welcome":
            continue
        assert path.name in readme, f"README.md does not list the lecture {path.name}"
        assert path.name in welcome, f"the welcome notebook does not list the lecture {path.name}"
