"""`course feedback`: HTML feedback for every autograded submission of an assignment."""

from __future__ import annotations

from pathlib import Path

from course.grading.coursedir import Course, CourseError, last_error_line, run_api


def feedback(course: Course, assignment: str, student: str | None = None) -> list[Path]:
    course.require_assignment(assignment)
    graded = course.root / "autograded"
    students = sorted(p.name for p in graded.iterdir() if (p / assignment).is_dir()) if graded.is_dir() else []
    if student is not None and student not in students:
        raise CourseError(f"nothing autograded for {student} in {assignment} yet: run `course autograde {assignment} --student {student}` first")
    if not students:
        raise CourseError(f"nothing autograded for {assignment} yet: run `course autograde {assignment}` first")
    result = run_api(course.api.generate_feedback, assignment, student_id=student, force=True)
    if not result["success"]:
        raise CourseError(f"{assignment}: nbgrader could not generate feedback: {last_error_line(result)}")
    return sorted((course.root / "feedback").glob(f"*/{assignment}/*.html"))
