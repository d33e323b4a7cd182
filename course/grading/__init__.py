"""The instructor's side of the course: release, autograde, feedback, grades, doctor, demo."""

from course.grading.coursedir import Course, CourseError, Score

__all__ = ["Course", "CourseError", "Score"]
