"""`course release`: generate release/ from source/, but only for a reference that earns full marks."""

from __future__ import annotations

import shutil

from course.grading.coursedir import Course, CourseError, last_error_line, run_api


def verify_reference(course: Course, assignment: str) -> tuple[float, float, dict[str, tuple[float, float]]]:
    """Autograde the source notebook as a student in a scratch copy; return (score, max, cells)."""
    from course.grading.canary import grade_reference

    got, best, cells, _why = grade_reference(course.root, assignment)
    return got, best, cells


def release(course: Course, assignment: str, verify: bool = True) -> str:
    """Regenerate release/ASSIGNMENT and register it in the gradebook. Returns a one-line report."""
    course.require_assignment(assignment)
    if verify:
        got, best, cells = verify_reference(course, assignment)
        if best <= 0:
            raise CourseError(f"{assignment}: the notebook has no graded test cells (0 points)")
        if got < best:
            lost = ", ".join(f"{k} {s:g}/{m:g}" for k, (s, m) in sorted(cells.items()) if s < m)
            raise CourseError(
                f"{assignment}: refusing to release: the reference solution scores {got:g}/{best:g} (lost: {lost}); "
                "fix source/ so every test passes"
            )
        from course.grading.canary import remember_success

        remember_success(course.root, assignment)  # the canary of `course autograde` need not run again
    target = course.root / "release" / assignment
    if target.exists():
        shutil.rmtree(target)
    result = run_api(course.api.generate_assignment, assignment, force=True, create=True)
    if not result["success"]:
        raise CourseError(f"{assignment}: nbgrader could not generate the release: {last_error_line(result)}")
    return f"{assignment}: released ({best:g} points, reference scores full marks)" if verify else f"{assignment}: released"
