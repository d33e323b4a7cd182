"""`course autograde`: grade submissions into the gradebook, one student at a time."""

from __future__ import annotations

import time
from dataclasses import dataclass

from course.grading.coursedir import Course, CourseError, Score, last_error_line, run_api


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


def autograde_one(course: Course, assignment: str, student: str, force: bool = True) -> Outcome:
    start = time.perf_counter()
    result = run_api(course.api.autograde, assignment, student, force=force, create=True)
    seconds = time.perf_counter() - start
    if not result["success"]:
        return Outcome(student, False, seconds, None, last_error_line(result), assignment)
    return Outcome(student, True, seconds, course.score(assignment, student), "", assignment)


def autograde(course: Course, assignment: str, student: str | None = None, force: bool = True) -> list[Outcome]:
    students = _check_students(course, assignment, student)
    return [autograde_one(course, assignment, s, force=force) for s in students]
