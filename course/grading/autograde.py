"""`course autograde`: grade submissions into the gradebook, one student at a time."""

from __future__ import annotations

import time
from dataclasses import dataclass

from course.grading.coursedir import Course, CourseError, Score, last_error_line, run_api
from course.grading.protocol import GRADER_FAILURE


@dataclass
class Outcome:
    student: str
    ok: bool
    seconds: float
    score: Score | None = None
    message: str = ""
    assignment: str = ""


def _check_students(course: Course, assignment: str, student: str | None) -> list[str]:
    course.require_assignment(assignment)
    with course.gradebook() as gb:
        known = {a.name for a in gb.assignments}
    if assignment not in known:
        raise CourseError(f"{assignment} is not in the gradebook yet: run `course release {assignment}` first")
    students = course.submitted_students(assignment)
    if student is not None:
        if student not in students:
            raise CourseError(
                f"no submission for student {student!r}: expected the folder submitted/{student}/{assignment}/ "
                "(use `nbgrader collect` or copy the notebook there)"
            )
        return [student]
    if not students:
        raise CourseError(f"no submissions for {assignment}: expected folders submitted/<student>/{assignment}/")
    return students


# nbgrader failures that are the grader's problem, not the submission's: these fail the
# student's grading (and the batch's exit status) instead of scoring 0.
GRADER_FAILURES = (GRADER_FAILURE, "a sandbox is required", "error accessing the nbgrader database", "No assignment with ID",
                   "OperationalError", "database is locked")


def autograde_one(course: Course, assignment: str, student: str, force: bool = True) -> Outcome:
    """Grade one student. Every grading path (sequential, the process pool, Dask) calls this.

    A submission nbgrader cannot grade at all (no notebook, ...) is not dropped: it is scored 0
    in the gradebook, flagged for review with the reason, and reported as graded. Only that
    student's rows are touched.
    """
    start = time.perf_counter()
    result = run_api(course.api.autograde, assignment, student, force=force, create=True)
    seconds = time.perf_counter() - start
    if not result["success"]:
        text = (result.get("error") or "") + (result.get("log") or "")
        if any(marker in text for marker in GRADER_FAILURES):
            return Outcome(student, False, seconds, None, f"not graded: {last_error_line(result)}", assignment)
        reason = _failure_reason(course, assignment, student, result)
        try:
            _grade_as_zero(course, assignment, student, reason)
        except Exception as err:  # noqa: BLE001 - report, do not crash the batch
            return Outcome(student, False, seconds, None, f"{reason}; and it could not be recorded: {err}", assignment)
        score = course.score(assignment, student)
        return Outcome(student, True, time.perf_counter() - start, score, f"graded 0: {reason}", assignment)
    _record_seconds(course, assignment, student, seconds)
    flagged, reasons, _notes = _flags(course, assignment, student)
    message = ("flagged for review: " + "; ".join(reasons[:3])) if flagged else ""
    return Outcome(student, True, seconds, course.score(assignment, student), message, assignment)


def _record_seconds(course: Course, assignment: str, student: str, seconds: float) -> None:
    from course.grading import report

    report.record_seconds(report.report_path(course.root / "autograded", student, assignment), seconds)


def _flags(course: Course, assignment: str, student: str) -> tuple[bool, list[str], list[str]]:
    from course.grading import report

    return report.summary(report.report_path(course.root / "autograded", student, assignment))


def _failure_reason(course: Course, assignment: str, student: str, result: dict) -> str:
    folder = course.root / "submitted" / student / assignment
    expected = sorted(p.name for p in (course.root / "source" / assignment).glob("*.ipynb"))
    found = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
    if not found:
        others = sorted(p.name for p in folder.iterdir())[:5] if folder.is_dir() else []
        return f"no notebook submitted (expected {', '.join(expected)}" + (f"; the folder holds {', '.join(others)})" if others else ")")
    if not set(expected) & set(found):
        return f"the notebook is missing: expected {', '.join(expected)}, found {', '.join(found[:5])}"
    return f"nbgrader could not grade the submission: {last_error_line(result)}"


def _grade_as_zero(course: Course, assignment: str, student: str, reason: str) -> None:
    """Score every cell of this student's submission 0 and flag it, touching nobody else's rows."""
    import warnings

    from nbgrader.api import MissingEntry

    from course.grading import report

    with course.gradebook() as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush notes while nbgrader creates the rows
        gb.update_or_create_student(student)
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            sub = gb.update_or_create_submission(assignment, student)
        names = []
        for nb in sub.notebooks:
            names.append(nb.name)
            nb.flagged = True
            for grade in nb.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()
    report.record_failure(report.report_path(course.root / "autograded", student, assignment), reason, names)
