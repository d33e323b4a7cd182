"""`course demo`: the instructor's whole loop, headless, with three simulated students."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat

from course.grading import feedback as fb
from course.grading import grades as gr
from course.grading.coursedir import Course, CourseError, submit
from course.grading.release import release

STUDENTS = ("demo-reference", "demo-untouched", "demo-halfdone")
# Their names, as a roster gives them (Formgrader shows "Lovelace, Ada", not "None, None").
NAMES = {"demo-reference": ("Ada", "Lovelace"), "demo-untouched": ("Alan", "Turing"), "demo-halfdone": ("Grace", "Hopper")}


def half_done(source: Path, released: Path) -> nbformat.NotebookNode:
    """The released notebook with the first half of its exercises solved (from the source)."""
    src = nbformat.read(str(source), as_version=4)
    rel = nbformat.read(str(released), as_version=4)
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in src.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    ids = [c.metadata["nbgrader"]["grade_id"] for c in rel.cells if c.metadata.get("nbgrader", {}).get("solution")]
    solved = set(ids[: max(1, len(ids) // 2)])
    for cell in rel.cells:  # rel is this function's own copy, read from the file above
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in solved and cell.metadata["nbgrader"].get("solution"):
            cell.source = solutions[gid]
    return rel


def run(course: Course, say: Callable[[str], None] = print, jobs: int | None = None) -> list[gr.Score]:
    from course.grading.parallel import autograde_many

    assignments = course.assignments()
    for a in assignments:
        say(release(course, a))
    scratch = course.root / "autograded" / ".demo-notebooks"
    scratch.mkdir(parents=True, exist_ok=True)
    for a in assignments:
        half = scratch / f"{a}-halfdone.ipynb"
        nbformat.write(half_done(course.source_notebook(a), course.release_notebook(a)), str(half))
        submit(course, a, "demo-reference", course.source_notebook(a))
        submit(course, a, "demo-untouched", course.release_notebook(a))
        submit(course, a, "demo-halfdone", half)
    with course.gradebook() as gb:
        for sid, (first, last) in NAMES.items():
            gb.update_or_create_student(sid, first_name=first, last_name=last, email=f"{sid}@example.edu")
    say("")
    demo = [(a, s) for a in assignments for s in STUDENTS]
    outcomes, _ = autograde_many(course, assignments, jobs=jobs, force=True, say=say, only=demo)
    failed = [o for o in outcomes if not o.ok]
    for a in assignments:
        fb.feedback(course, a)
        say(f"{a}: feedback written to feedback/<student>/{a}/")
    csv_path, scores, hists = gr.export(course)
    demo_scores = [s for s in scores if s.student in STUDENTS]
    say("")
    say(gr.table(demo_scores))
    say(f"\ngrades: {csv_path.relative_to(course.root)}; histograms: {', '.join(str(h.relative_to(course.root)) for h in hists)}")
    from course.grading.analytics import write_report

    for a in assignments:
        say(f"{a}: class report {write_report(course, a).relative_to(course.root)}")
    if failed:
        say(f"{len(failed)} submission(s) could not be graded: {', '.join(f'{o.assignment}/{o.student}' for o in failed)}")
    return demo_scores


def run_class(course: Course, assignment: str, students: int, say: Callable[[str], None] = print,
              jobs: int | None = None, seed: int = 0) -> dict[str, Path]:
    """A simulated class of ``students`` (course.grading.classsim) graded, reported and compared."""
    from course.grading.analytics import write_report
    from course.grading.classsim import simulate
    from course.grading.lms import export
    from course.grading.parallel import autograde_many
    from course.grading.similarity import compare

    course.require_assignment(assignment)
    with course.gradebook() as gb:
        known = {a.name for a in gb.assignments}
    if assignment not in known or not course.release_notebook(assignment).is_file():
        say(release(course, assignment))
    sim = simulate(course, assignment, students, seed=seed)
    say(f"{assignment}: {len(sim.students)} simulated submissions (with a planted copied pair: {' ~ '.join(sim.copied_pair)})")
    outcomes, _ = autograde_many(course, [assignment], jobs=jobs, force=True, say=say, only=[(assignment, s) for s in sim.students])
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise CourseError(f"{len(failed)} simulated submission(s) could not be graded: {failed[0].student}: {failed[0].message}")
    paths = {"report": write_report(course, assignment)}
    pairs, paths["similarity"] = compare(course, assignment, students=sim.students)
    paths["canvas"] = export(course, "canvas")
    say(f"class report: {paths['report'].relative_to(course.root)}")
    say(f"similarity: {paths['similarity'].relative_to(course.root)} (most alike: {pairs[0].a} ~ {pairs[0].b}, {pairs[0].similarity:.0%})")
    say(f"grades for Canvas: {paths['canvas'].relative_to(course.root)}")
    return paths
