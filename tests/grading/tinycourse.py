"""Tiny course folders and gradebooks, built in-process (no kernels, no nbgrader runs)."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

import nbformat
import nbgrader.api
from nbformat.v4 import new_code_cell, new_notebook

from course.grading.coursedir import Course

# nbgrader asks `alembic heads` (a subprocess, a second or more) for every new gradebook; the
# answer does not change within a test run.
nbgrader.api.get_alembic_version = functools.cache(nbgrader.api.get_alembic_version)
# ... and runs `alembic` by name: this interpreter's bin/ first (done here, not through the
# course's own helper, which `make mutation` mutates).
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def code_cell(source: str, grade_id: str | None = None, *, grade: bool = False, solution: bool = False,
              locked: bool = False, points: float | None = None, outputs: list | None = None) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    if grade_id is not None:
        md = {"grade": grade, "grade_id": grade_id, "locked": locked, "solution": solution, "schema_version": 3}
        if points is not None:
            md["points"] = points
        cell.metadata["nbgrader"] = md
    if outputs is not None:
        cell.outputs = outputs
    return cell


def make_course(root: Path, assignments: tuple[str, ...] = ("01_a",), config: str = "c = get_config()\n") -> Course:
    """A course folder: nbgrader_config.py and a source notebook per assignment; its own gradebook."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(config)
    for a in assignments:
        (root / "source" / a).mkdir(parents=True, exist_ok=True)
        nbformat.write(new_notebook(), str(root / "source" / a / f"{a}.ipynb"))
    return Course(root, db_url=f"sqlite:///{root / 'gradebook.db'}")


def add_grades(course: Course, assignment: str, cells: dict[str, float], students: dict[str, dict[str, float]],
               penalty: dict[str, float] | None = None, flagged: set[str] = frozenset(), max_score: bool = True) -> None:
    """An assignment (one notebook of that name, code test cells ``cells``: name -> points) and
    submissions: student -> cell -> auto score; a late penalty and nbgrader's flag per student."""
    with course.gradebook() as gb:
        gb.update_or_create_assignment(assignment)
        gb.update_or_create_notebook(assignment, assignment)
        for name, points in cells.items():
            gb.update_or_create_grade_cell(name, assignment, assignment, max_score=points, cell_type="code")
        for sid, scores in students.items():
            gb.update_or_create_student(sid)
            gb.add_submission(assignment, sid)
            for name, score in scores.items():
                gb.find_grade(name, assignment, assignment, sid).auto_score = score
            snb = gb.find_submission_notebook(assignment, assignment, sid)
            snb.late_submission_penalty = (penalty or {}).get(sid)
            snb.flagged = sid in flagged
            gb.db.commit()


def run_async(coro: Any) -> Any:
    """``asyncio.run(coro)`` in a thread of its own: the browser tests' session-wide Playwright
    keeps an event loop running in this thread, where ``asyncio.run`` refuses to start."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
