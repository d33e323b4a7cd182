"""`course grades`: every score in the gradebook as a CSV, a printed table and histograms."""

from __future__ import annotations

import csv
from pathlib import Path

from course.grading.coursedir import Course, Score

COLUMNS = ["assignment", "student", "score", "max_score", "percent", "flagged", "review"]


def review(course: Course, assignment: str, student: str, marked: set[tuple[str, str]] | None = None) -> tuple[bool, list[str]]:
    """Whether the autograder (or a grader in Formgrader) flagged a submission, and why."""
    from course.grading import report

    flagged, reasons, _notes = report.summary(report.report_path(course.root / "autograded", student, assignment))
    if marked is None:
        marked = flagged_in_gradebook(course)
    return flagged or (assignment, student) in marked, reasons


def flagged_in_gradebook(course: Course) -> set[tuple[str, str]]:
    """(assignment, student) pairs with nbgrader's flag set on any of their notebooks."""
    with course.gradebook() as gb:
        return {(a.name, sub.student.id) for a in gb.assignments for sub in a.submissions
                if any(nb.flagged for nb in sub.notebooks)}


def export(course: Course, out_dir: Path | None = None) -> tuple[Path, list[Score], list[Path]]:
    out_dir = out_dir or course.root / "grades"
    out_dir.mkdir(parents=True, exist_ok=True)
    scores = course.scores()
    csv_path = out_dir / "grades.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        marked = flagged_in_gradebook(course)
        for s in scores:
            flagged, reasons = review(course, s.assignment, s.student, marked)
            writer.writerow([s.assignment, s.student, f"{s.score:g}", f"{s.max_score:g}", f"{s.percent:.1f}",
                             "yes" if flagged else "", " | ".join(reasons[:5]) + (f" | (+{len(reasons) - 5} more)" if len(reasons) > 5 else "")])
    return csv_path, scores, histograms(scores, out_dir)


def histograms(scores: list[Score], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for assignment in sorted({s.assignment for s in scores}):
        mine = [s for s in scores if s.assignment == assignment]
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.hist([s.percent for s in mine], bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001], color="#3b6ea8", edgecolor="white")
        ax.set_xlabel("score (%)")
        ax.set_ylabel("students")
        ax.set_title(f"{assignment}: {len(mine)} submission(s)")
        fig.tight_layout()
        path = out_dir / f"{assignment}_hist.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


def table(scores: list[Score]) -> str:
    if not scores:
        return "no grades in the gradebook yet"
    rows = [("assignment", "student", "score", "percent")]
    rows += [(s.assignment, s.student, f"{s.score:g}/{s.max_score:g}", f"{s.percent:.0f}%") for s in scores]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
