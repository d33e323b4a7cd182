"""Running the course's notebooks the way the test suite and nbgrader do.

``python -m course.testing check 01_tensors``
    runs the source assignment in one kernel (every test cell must pass with nothing on
    stderr), then swaps in each known-wrong solution from ``tests/wrong/01_tensors.py`` and
    checks that it fails its own test cell and no other.

``python -m course.testing lecture notebooks/01_tensors.ipynb``
    runs a lecture top to bottom and reports errors, stderr output and timings.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from course.paths import repo_root


@dataclass
class CellResult:
    index: int
    cell_id: str
    grade_id: str | None
    seconds: float
    error: str | None = None  # "ename: evalue" of the first error, if any
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.stderr


@dataclass
class NotebookRun:
    path: str
    cells: list[CellResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failures(self) -> list[CellResult]:
        return [c for c in self.cells if not c.ok]

    def summary(self) -> str:
        lines = [f"{self.path}: {len(self.cells)} code cells in {self.seconds:.1f} s"]
        for c in self.failures:
            what = c.error or f"stderr: {c.stderr.strip()[:300]}"
            lines.append(f"  cell {c.index} ({c.grade_id or c.cell_id}): {what}")
        return "\n".join(lines)


def _outcome(cell: Any) -> tuple[str | None, str]:
    error = None
    stderr = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error" and error is None:
            error = f"{out.get('ename')}: {out.get('evalue')}"
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            stderr.append(out.get("text", ""))
    return error, "".join(stderr)


class KernelSession:
    """One live kernel that runs cells and reports each cell's error and stderr."""

    def __init__(self, cwd: str | Path, timeout: int = 120, kernel_name: str = "python3") -> None:
        from nbclient import NotebookClient

        self.nb = nbformat.v4.new_notebook()
        self.client = NotebookClient(
            self.nb,
            timeout=timeout,
            kernel_name=kernel_name,
            allow_errors=True,
            resources={"metadata": {"path": str(cwd)}},
        )
        self._ctx = None

    def __enter__(self) -> KernelSession:
        self._ctx = self.client.setup_kernel()
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._ctx is not None
        self._ctx.__exit__(*exc)

    def run(self, source: str, cell_id: str = "cell", grade_id: str | None = None) -> CellResult:
        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells.append(cell)
        index = len(self.nb.cells) - 1
        start = time.perf_counter()
        self.client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        error, stderr = _outcome(cell)
        return CellResult(index, cell_id, grade_id, seconds, error, stderr)


def run_notebook(path: str | Path, timeout: int = 120, cwd: str | Path | None = None) -> NotebookRun:
    """Execute every code cell of a notebook in a fresh kernel, in a scratch working directory."""
    nb = nbformat.read(str(path), as_version=4)
    run = NotebookRun(str(path))
    with tempfile.TemporaryDirectory(prefix="course-run-") as scratch:
        start = time.perf_counter()
        with KernelSession(cwd or scratch, timeout=timeout) as kernel:
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                run.cells.append(kernel.run(cell.source, cell.get("id", "?"), grade_id))
        run.seconds = time.perf_counter() - start
    return run


def _load_bank(kind: str, assignment: str, root: Path | None) -> Any:
    """The module tests/<kind>/<assignment>.py (a bank of solutions), or None when there is none."""
    root = root or repo_root() or Path.cwd()
    path = root / "tests" / kind / f"{assignment}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"{kind}_{assignment}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_wrong(assignment: str, root: Path | None = None) -> dict[str, list[tuple[str, str]]]:
    """The known-wrong solutions of an assignment: solution grade_id -> [(why, source)].

    ``WRONG`` in ``tests/wrong/<assignment>.py`` fails on any machine; ``CUDA_ONLY`` joins it
    where CUDA is available.
    """
    module = _load_bank("wrong", assignment, root)
    if module is None:
        return {}
    wrong = {k: list(v) for k, v in module.WRONG.items()}
    # Device mistakes (a tensor left on the CPU) are right on a CPU-only machine: they are
    # kept apart in CUDA_ONLY and checked only where CUDA exists.
    import torch

    if torch.cuda.is_available():
        for sid, items in getattr(module, "CUDA_ONLY", {}).items():
            wrong.setdefault(sid, []).extend(items)
    return {k: [(why, src.strip("\n") + "\n") for why, src in v] for k, v in wrong.items()}


def load_right(assignment: str, root: Path | None = None) -> dict[str, list[tuple[str, str]]]:
    """Correct alternatives of an assignment: solution grade_id -> [(how, source)].

    ``RIGHT`` in ``tests/right/<assignment>.py``: solutions written differently from the
    reference (another API, loops instead of vectorised code, another valid architecture) that
    a correct reading of the task allows. Each must pass its test cell: a test that fails one
    is a defect of the test.
    """
    module = _load_bank("right", assignment, root)
    if module is None:
        return {}
    return {k: [(why, src.strip("\n") + "\n") for why, src in v] for k, v in module.RIGHT.items()}


MIN_WRONG = 3  # known-wrong solutions per graded cell
MIN_RIGHT = 2  # correct alternatives per exercise


def defined_names(source: str) -> set[str]:
    """The names a cell binds at top level (functions, classes, assignments, imports)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {"*"}  # cannot tell: assume it touches everything
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        else:
            names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names


def _mentions(source: str, names: set[str]) -> bool:
    import re

    if "*" in names:
        return True
    found = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source))
    return bool(found & names)


@dataclass
class VariantResult:
    solution_id: str
    why: str
    failed_tests: list[str]
    expected_test: str
    correct: bool = False  # a correct alternative: it must fail nothing
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed_tests == ([] if self.correct else [self.expected_test])


@dataclass
class AssignmentCheck:
    assignment: str
    reference: NotebookRun
    variants: list[VariantResult]
    solution_ids: list[str]
    missing: dict[str, int]  # solution ids with fewer than MIN_WRONG wrong solutions -> how many
    alternatives: list[VariantResult] = field(default_factory=list)
    missing_right: dict[str, int] = field(default_factory=dict)  # fewer than MIN_RIGHT alternatives

    @property
    def ok(self) -> bool:
        return (
            not self.reference.failures
            and all(v.ok for v in self.variants + self.alternatives)
            and not self.missing
            and not self.missing_right
        )

    def summary(self) -> str:
        lines = [self.reference.summary()]
        for v in self.variants:
            mark = "ok " if v.ok else "BAD"
            lines.append(f"  [{mark}] wrong {v.solution_id}: {v.why!r} failed {v.failed_tests or 'nothing'}")
        for v in self.alternatives:
            mark = "ok " if v.ok else "BAD"
            detail = "; ".join(f"{t}: {e[:300]}" for t, e in v.errors.items())
            lines.append(f"  [{mark}] right {v.solution_id}: {v.why!r} " + (f"FAILED {detail}" if v.failed_tests else "passed"))
        for sid, n in self.missing.items():
            lines.append(f"  [BAD] {sid}: only {n} known-wrong solution(s), need at least {MIN_WRONG}")
        for sid, n in self.missing_right.items():
            lines.append(f"  [BAD] {sid}: only {n} correct alternative(s), need at least {MIN_RIGHT}")
        return "\n".join(lines)


def check_assignment(
    assignment: str,
    root: Path | None = None,
    timeout: int = 120,
    only: str | None = None,
    lang: str = "en",
    per_cell: int | None = None,
) -> AssignmentCheck:
    """Run the reference solution, then every known-wrong variant and correct alternative, in one kernel.

    ``only`` restricts the variants to one solution grade_id (for authors iterating on one exercise).
    ``lang`` runs the assignment's translation (course.i18n) with the same banks; ``per_cell``
    keeps the first N known-wrong solutions of each cell.
    """
    root = root or repo_root() or Path.cwd()
    path = root / "source" / assignment / f"{assignment}.ipynb"
    if lang != "en":
        from course import i18n

        nb = nbformat.from_dict(i18n.build_notebook(root, lang, f"source/{assignment}", path))
    else:
        nb = nbformat.read(str(path), as_version=4)
    wrong = load_wrong(assignment, root)
    right = load_right(assignment, root)
    counts = ({k: len(v) for k, v in wrong.items()}, {k: len(v) for k, v in right.items()})
    if per_cell is not None:  # a sample: the first known-wrong solutions of each cell, no alternatives
        wrong = {k: v[:per_cell] for k, v in wrong.items()}
        right = {}
    reference = NotebookRun(str(path))
    alternatives: list[VariantResult] = []
    variants: list[VariantResult] = []
    solutions: dict[str, str] = {}
    tests: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="course-check-") as scratch:
        start = time.perf_counter()
        with KernelSession(scratch, timeout=timeout) as kernel:
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                meta = cell.metadata.get("nbgrader", {})
                gid = meta.get("grade_id")
                if meta.get("solution"):
                    solutions[gid] = cell.source
                if meta.get("grade"):
                    tests[gid] = cell.source
                reference.cells.append(kernel.run(cell.source, cell.get("id", "?"), gid))
            reference.seconds = time.perf_counter() - start
            for sid, items in wrong.items():
                if only is not None and sid != only:
                    continue
                if sid not in solutions:
                    variants.append(VariantResult(sid, "(no solution cell with this grade_id)", [], f"test_{sid}"))
                    continue
                for why, source in items:
                    kernel.run(source, f"wrong-{sid}")
                    # Its own test, and every other test that could see what it redefined.
                    touched = defined_names(source)
                    results = {
                        tid: kernel.run(tsrc, tid, tid)
                        for tid, tsrc in tests.items()
                        if tid == f"test_{sid}" or _mentions(tsrc + solutions.get(tid[len("test_"):], ""), touched)
                    }
                    failed = [tid for tid, r in results.items() if not r.ok]
                    variants.append(VariantResult(sid, why, failed, f"test_{sid}"))
                    kernel.run(solutions[sid], sid, sid)  # put the reference back
            for sid, items in right.items():
                if only is not None and sid != only:
                    continue
                if sid not in solutions:
                    alternatives.append(VariantResult(sid, "(no solution cell with this grade_id)", ["?"], "", True))
                    continue
                for why, source in items:
                    defined = kernel.run(source, f"right-{sid}")
                    results = {f"right-{sid}": defined} if not defined.ok else {}
                    own = f"test_{sid}"
                    if own in tests:
                        results[own] = kernel.run(tests[own], own, own)
                    errors = {tid: r.error or r.stderr for tid, r in results.items() if not r.ok}
                    alternatives.append(VariantResult(sid, why, list(errors), "", True, errors))
                    kernel.run(solutions[sid], sid, sid)  # put the reference back
    missing = {sid: counts[0].get(sid, 0) for sid in solutions if counts[0].get(sid, 0) < MIN_WRONG}
    missing_right = {sid: counts[1].get(sid, 0) for sid in solutions if counts[1].get(sid, 0) < MIN_RIGHT}
    if only is not None:
        missing = {k: v for k, v in missing.items() if k == only}
        missing_right = {k: v for k, v in missing_right.items() if k == only}
    return AssignmentCheck(assignment, reference, variants, list(solutions), missing, alternatives, missing_right)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.testing", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="reference passes, known-wrong solutions fail their own cell")
    c.add_argument("assignment")
    c.add_argument("--only", metavar="GRADE_ID", help="check the variants of one solution cell only")
    c.add_argument("--lang", default="en", help="check the assignment's translation (zh_CN) with the same banks")
    lec = sub.add_parser("lecture", help="run a lecture notebook and report errors and stderr")
    lec.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    ok = True
    if args.cmd == "check":
        result = check_assignment(args.assignment, only=args.only, lang=args.lang)
        print(result.summary())
        ok = result.ok
    else:
        for p in args.paths:
            run = run_notebook(p)
            print(run.summary())
            ok = ok and not run.failures
    print("OK" if ok else "PROBLEMS FOUND")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
