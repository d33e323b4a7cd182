"""What grading found besides the scores, recorded once nbgrader has saved the scores.

The grading preprocessor (``execute.py``) collects :class:`Findings` (reasons to review and
plain notes) in the conversion's resources. :class:`RecordFindings`, listed after nbgrader's
``SaveAutoGrades`` among the autograde preprocessors (``nbgrader_config.py``), then

- puts a short notice at the top of the autograded notebook for the reviewer (left out of
  feedback, ``redact.py``);
- writes the findings to ``autograded/<student>/<assignment>.grading.json`` (``report.py``);
- sets or clears nbgrader's ``flagged`` mark on the submitted notebook (Formgrader shows it).

When grading itself fails (``protocol.GraderFailure``) nothing after the grading preprocessor
runs, ``SaveAutoGrades`` included, so :func:`record_ungraded` records that at once: the
student is left ungraded, with the reason, and no score stands in the gradebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from course.grading import report as rep
from course.grading.coursedir import coursedir_of
from course.grading.protocol import GraderFailure
from course.grading.redact import NOTICE_ID

RESOURCES_KEY = "course_grading"


class Findings:
    """Reasons to review (flags) and plain notes, without repeats."""

    def __init__(self, notebook: str, scratch: str, sandbox: str = "") -> None:
        self.notebook, self.scratch, self.sandbox = notebook, scratch, sandbox
        self.flags: list[str] = []
        self.notes: list[str] = []

    def flag(self, text: str) -> None:
        if text not in self.flags and len(self.flags) < 100:
            self.flags.append(text)

    def note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < 100:
            self.notes.append(text)


def report_file(preprocessor: Any, info: dict[str, Any], scratch: str) -> Path:
    """The student's ``.grading.json`` for this assignment."""
    coursedir = coursedir_of(preprocessor)
    autograded = Path(scratch).parent.parent  # autograded/<student>/<assignment>/
    if coursedir is not None:
        autograded = Path(coursedir.format_path(coursedir.autograded_directory, ".", ".")).resolve()
    return rep.report_path(autograded, info["student"], info["assignment"])


def record_ungraded(preprocessor: Any, info: dict[str, Any], scratch: str, failure: GraderFailure) -> None:
    """The grader's failure, not the student's: leave the student ungraded and say why in one line."""
    student, assignment = info.get("student"), info.get("assignment")
    preprocessor.log.error("course: %s/%s left ungraded: %s", assignment or "?", student or "?", failure.reason)
    if student and assignment:
        rep.record_ungraded(report_file(preprocessor, info, scratch), failure.reason)
        if info.get("db_url"):
            rep.forget_unscored(info["db_url"], assignment, student)


class RecordFindings(NbGraderPreprocessor):
    """Records the grading preprocessor's findings; runs after ``SaveAutoGrades``."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        found: Findings | None = (resources or {}).get(RESOURCES_KEY)
        if found is None:  # the notebook was not graded by the course's grading preprocessor
            return nb, resources
        nb.cells = [c for c in nb.cells if c.get("id") != NOTICE_ID]
        if found.flags:
            text = "**Flagged for review by the autograder.**\n\n" + "\n".join(f"- {x}" for x in found.flags)
            if found.notes:
                text += "\n\nNotes:\n\n" + "\n".join(f"- {x}" for x in found.notes[:20])
            notice = new_markdown_cell(text)
            notice["id"] = NOTICE_ID
            nb.cells.insert(0, notice)
        info = resources.get("nbgrader", {})
        if not (info.get("student") and info.get("assignment")):
            return nb, resources
        was = rep.record_notebook(report_file(self, info, found.scratch), found.notebook, found.flags, found.notes,
                                  found.sandbox)
        if info.get("db_url"):
            flagged = True if found.flags else (False if was else None)
            rep.set_gradebook_flag(info["db_url"], info["assignment"], info["student"], found.notebook, flagged)
        return nb, resources
