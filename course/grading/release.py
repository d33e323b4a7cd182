"""`course release`: generate release/ from source/, but only for a reference that earns full marks."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from course.grading.coursedir import Course, CourseError, last_error_line, run_api, scratch_course, submit

REFERENCE = "reference-check"


def verify_reference(course: Course, assignment: str) -> tuple[float, float, dict[str, tuple[float, float]]]:
    """Autograde the source notebook as a student in a scratch copy; return (score, max, cells)."""
    with tempfile.TemporaryDirectory(prefix=f"course-release-{assignment}-") as tmp:
        scratch = scratch_course(course, Path(tmp), [assignment])
        result = run_api(scratch.api.generate_assignment, assignment, force=True, create=True)
        if not result["success"]:
            raise CourseError(f"{assignment}: nbgrader could not generate the release: {last_error_line(result)}")
        submit(scratch, assignment, REFERENCE, scratch.source_notebook(assignment))
        result = run_api(scratch.api.autograde, assignment, REFERENCE, force=True, create=True)
        if not result["success"]:
            raise CourseError(f"{assignment}: the reference solution could not be autograded: {last_error_line(result)}")
        score = scratch.score(assignment, REFERENCE)
        assert score is not None
        return score.score, score.max_score, score.cells


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
    target = course.root / "release" / assignment
    if target.exists():
        shutil.rmtree(target)
    result = run_api(course.api.generate_assignment, assignment, force=True, create=True)
    if not result["success"]:
        raise CourseError(f"{assignment}: nbgrader could not generate the release: {last_error_line(result)}")
    return f"{assignment}: released ({best:g} points, reference scores full marks)" if verify else f"{assignment}: released"
