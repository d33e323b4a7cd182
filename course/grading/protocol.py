"""What the grader and the rest of the grading code agree on, in one place.

Grader failures: when grading cannot be trusted for reasons that are not the student's (the
guard cannot install, an instructor's locked cell fails, the kernel would import another
``course`` than the grader's, the reference solution does not earn full marks through the
grader), grading raises :class:`GraderFailure`. Its message starts with
:data:`GRADER_FAILURE`, so that ``course autograde`` can tell it apart in nbgrader's log
from a submission that is merely broken: the student is left ungraded (no zero is written)
and the batch exits non-zero.
"""

from __future__ import annotations

GRADER_FAILURE = "course grader failure:"


class GraderFailure(RuntimeError):
    """Grading could not be trusted, for a reason that is the grader's, not the student's."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{GRADER_FAILURE} {reason}")


def failure_line(text: str) -> str | None:
    """The grader failure's one-line reason in a log, or None."""
    for line in reversed(text.splitlines()):
        at = line.find(GRADER_FAILURE)
        if at >= 0:
            return line[at + len(GRADER_FAILURE):].strip()[:400]
    return None
