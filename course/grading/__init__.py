"""The instructor's side of the course: release, autograde, feedback, grades, doctor, demo."""

import sys

# jsonschema probes for the optional ``rfc3987_syntax`` package when it is imported, and
# that package compiles a grammar at import time (1-3 s per process) only to check the
# "iri" string format, which no notebook or nbgrader schema uses. Every grading process
# imports jsonschema through nbformat, so it is kept out of these processes; jsonschema
# handles its absence (it skips that one format checker).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from course.grading.coursedir import Course, CourseError, Score  # noqa: E402

__all__ = ["Course", "CourseError", "Score"]
