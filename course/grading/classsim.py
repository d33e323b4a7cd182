"""A realistic simulated class, for `course demo --students N`, the tests and the benchmarks.

Each simulated student works the released notebook exercise by exercise and, drawn from a
seeded random generator, either solves it (the reference, or one of the correct alternatives
in ``tests/right/``), makes one of the known mistakes in ``tests/wrong/`` (the first-listed
mistake of each exercise is the most common, as in a real class), or leaves it untouched.

Two extra submissions test the similarity check: ``copy-source`` and ``copy-of-source``, the
second being the first with its variables renamed and its code reformatted (through ``ast``),
as a learner hiding a copy would do.
"""

from __future__ import annotations

import ast
import copy
import random
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course.grading.coursedir import Course, submit
from course.testing import load_right, load_wrong

COPY_SOURCE = "copy-source"
COPY_TARGET = "copy-of-source"


@dataclass
class Simulated:
    students: list[str]
    choices: dict[str, dict[str, str]] = field(default_factory=dict)  # student -> exercise -> what they did
    copied_pair: tuple[str, str] = (COPY_SOURCE, COPY_TARGET)
    trap: str | None = None  # the exercise where most students make the classic mistake


class _Rename(ast.NodeTransformer):
    """Rename every local variable of every function: what a learner hiding a copy does."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        params = {a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs}
        stored = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - params
        outer = self.names
        self.names = {**outer, **{name: f"my_{name}_value" for name in stored}}
        self.generic_visit(node)
        self.names = outer
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.names:
            node.id = self.names[node.id]
        return node


def disguise(source: str) -> str:
    """The same code with its local variables renamed and its formatting redone."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    return ast.unparse(_Rename().visit(tree)) + "\n"


def _solution_ids(nb: nbformat.NotebookNode) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def simulate(course: Course, assignment: str, n: int, seed: int = 0, out_dir: Path | None = None) -> Simulated:
    """Submit ``n`` simulated students (``student-001``...) plus the planted copied pair."""
    source = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    released = nbformat.read(str(course.release_notebook(assignment)), as_version=4)
    reference = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    wrong = load_wrong(assignment, course.root)
    right = load_right(assignment, course.root)
    ids = _solution_ids(released)
    out_dir = out_dir or course.root / "autograded" / ".class-notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    sim = Simulated([])

    rng = random.Random(seed)
    # One exercise is the class's trap: most students make its classic mistake there.
    trap = rng.choice([gid for gid in ids if wrong.get(gid)] or [None])
    sim.trap = trap

    def make(student: str, rng: random.Random, skill: float | None = None) -> nbformat.NotebookNode:
        nb = copy.deepcopy(released)
        picks: dict[str, str] = {}
        skill = rng.uniform(0.35, 0.95) if skill is None else skill  # some get most right, some struggle
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid not in ids or not cell.metadata["nbgrader"].get("solution"):
                continue
            roll = rng.random()
            if gid == trap and roll < 0.6:
                picks[gid], cell.source = f"wrong: {wrong[gid][0][0]}", wrong[gid][0][1]
                continue
            if roll < 0.12 * (1.2 - skill):
                picks[gid] = "untouched"
                continue
            if roll < skill or not wrong.get(gid):
                options = [("reference", reference[gid])] + [(f"right: {why}", src) for why, src in right.get(gid, [])]
                picks[gid], cell.source = rng.choice(options)
            else:
                bank = wrong[gid]
                k = rng.choices(range(len(bank)), weights=[4] + [1] * (len(bank) - 1))[0]
                picks[gid], cell.source = f"wrong: {bank[k][0]}", bank[k][1]
        sim.choices[student] = picks
        return nb

    for k in range(1, n + 1):
        student = f"student-{k:03d}"
        nb = make(student, random.Random(rng.random()))
        path = out_dir / f"{assignment}-{student}.ipynb"
        nbformat.write(nb, str(path))
        submit(course, assignment, student, path)
        sim.students.append(student)
    original = make(COPY_SOURCE, random.Random(seed + 7919), skill=0.8)
    hidden = copy.deepcopy(original)
    for cell in hidden.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = disguise(cell.source)
    sim.choices[COPY_TARGET] = dict(sim.choices[COPY_SOURCE])
    for student, nb in ((COPY_SOURCE, original), (COPY_TARGET, hidden)):
        path = out_dir / f"{assignment}-{student}.ipynb"
        nbformat.write(nb, str(path))
        submit(course, assignment, student, path)
        sim.students.append(student)
    return sim


def most_common_mistake(sim: Simulated) -> tuple[str, str, int]:
    """(exercise, mistake, how many students) of the mistake made most often in the simulation."""
    from collections import Counter

    counts = Counter((gid, what) for student, picks in sim.choices.items() if student != COPY_TARGET
                     for gid, what in picks.items() if what.startswith("wrong: "))
    (gid, what), n = counts.most_common(1)[0]
    return gid, what.removeprefix("wrong: "), n
