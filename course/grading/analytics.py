"""`course report ASSIGNMENT`: what a graded class got right and wrong.

Per exercise: how many students passed, and the most common failure messages grouped by
template (the values masked), with counts and example students. The hidden tests' messages
are written for learners, so a line reads "37 students: every row of the model's output ... sums
to 1: these are probabilities". For the class: the score distribution, the flagged
submissions, the slowest gradings.

Output: ``reports/ASSIGNMENT/index.html`` with three plots (score histogram, pass rate per
exercise, a students × exercises heatmap) and CSV files beside it (``students.csv``,
``exercises.csv``, ``failures.csv``). It reads the gradebook and the autograded notebooks;
it runs no code and changes nothing.
"""

from __future__ import annotations

import csv
import html
import json
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from course.grading.coursedir import Course, CourseError

_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_QUOTED = re.compile(r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"")
_SEQ = re.compile(r"([(\[])\s*#(?:\s*,\s*#)*\s*,?\s*([)\]])")
_SPACES = re.compile(r"\s+")
NOT_STARTED = "not started (the stub still raises NotImplementedError)"


def template(message: str) -> str:
    """A failure message with its values masked, so that the same mistake groups together."""
    text = _QUOTED.sub("'…'", message.strip().splitlines()[0] if message.strip() else "")
    text = re.sub(r"cuda:\d+", "cuda", text)
    text = _NUMBER.sub("#", text)
    text = _SEQ.sub(lambda m: f"{m.group(1)}…{m.group(2)}", text)
    return _SPACES.sub(" ", text)[:400]


@dataclass
class Exercise:
    name: str
    points: float
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)
    failures: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))  # template -> [(student, message)]

    @property
    def pass_rate(self) -> float:
        n = len(self.passed) + len(self.failed) + len(self.not_started)
        return len(self.passed) / n if n else 0.0


@dataclass
class Student:
    id: str
    score: float
    max_score: float
    cells: dict[str, float]
    flagged: bool = False
    reasons: list[str] = field(default_factory=list)
    seconds: float | None = None

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


def _test_outcomes(notebook: Path) -> dict[str, tuple[str, str]]:
    """grade_id of each failed test cell -> (ename, evalue), read from an autograded notebook."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                out[str(meta.get("grade_id"))] = (str(o.get("ename", "")), str(o.get("evalue", "")))
                break
    return out


def collect(course: Course, assignment: str) -> tuple[list[Exercise], list[Student]]:
    """Exercises and students of a graded assignment, from the gradebook and autograded/."""
    from nbgrader.api import MissingEntry

    from course.grading import report
    from course.grading.grades import flagged_in_gradebook

    course.require_assignment(assignment)
    exercises: dict[str, Exercise] = {}
    students: list[Student] = []
    marked = flagged_in_gradebook(course)
    with course.gradebook() as gb:
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"{assignment} is not in the gradebook: release and autograde it first") from None
        for nb in a.notebooks:
            for cell in nb.grade_cells:
                if cell.cell_type == "code":
                    exercises.setdefault(cell.name, Exercise(cell.name, float(cell.max_score)))
        for sub in a.submissions:
            cells: dict[str, float] = {}
            for snb in sub.notebooks:
                for g in snb.grades:
                    if g.name in exercises:
                        cells[g.name] = float(g.score)
            students.append(Student(sub.student.id, float(sub.score), float(sub.max_score), cells))
    for st in students:
        path = report.report_path(course.root / "autograded", st.id, assignment)
        flagged, reasons, _ = report.summary(path)
        st.flagged = flagged or (assignment, st.id) in marked
        st.reasons = reasons
        st.seconds = report.load(path).get("seconds")
        failures = _test_outcomes(course.root / "autograded" / st.id / assignment / f"{assignment}.ipynb")
        for name, ex in exercises.items():
            got = st.cells.get(name, 0.0)
            if got >= ex.points:
                ex.passed.append(st.id)
                continue
            ename, evalue = failures.get(name, ("", ""))
            if ename == "NotImplementedError":
                ex.not_started.append(st.id)
                continue
            ex.failed.append(st.id)
            message = evalue.strip() or ename.strip() or "lost points without an error message"
            ex.failures[template(message)].append((st.id, message.splitlines()[0][:400]))
    students.sort(key=lambda s: s.id)
    return list(exercises.values()), students


def _plots(exercises: list[Exercise], students: list[Student], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = []
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist([s.percent for s in students], bins=np.linspace(0, 100.001, 11), color="#3b6ea8", edgecolor="white")
    ax.set_xlabel("score (%)")
    ax.set_ylabel("students")
    ax.set_title(f"Scores of {len(students)} students")
    fig.tight_layout()
    fig.savefig(out / "scores.png", dpi=100)
    plt.close(fig)
    names.append("scores.png")

    fig, ax = plt.subplots(figsize=(6, 0.35 * len(exercises) + 1))
    labels = [e.name.removeprefix("test_") for e in exercises]
    ax.barh(labels[::-1], [100 * e.pass_rate for e in exercises][::-1], color="#2e8540")
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed (%)")
    ax.set_title("Pass rate per exercise")
    fig.tight_layout()
    fig.savefig(out / "pass_rate.png", dpi=100)
    plt.close(fig)
    names.append("pass_rate.png")

    grid = np.array([[s.cells.get(e.name, 0.0) / e.points if e.points else 0.0 for e in exercises] for s in students] or [[0.0]])
    fig, ax = plt.subplots(figsize=(max(5, 0.45 * len(exercises) + 2), min(12, 0.04 * len(students) + 2.5)))
    im = ax.imshow(grid, aspect="auto", cmap="RdYlGn", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks(range(len(exercises)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks([] if len(students) > 40 else range(len(students)), [] if len(students) > 40 else [s.id for s in students], fontsize=7)
    ax.set_ylabel(f"{len(students)} students")
    ax.set_title("Share of each exercise's points, per student")
    fig.colorbar(im, ax=ax, fraction=0.03)
    fig.tight_layout()
    fig.savefig(out / "heatmap.png", dpi=100)
    plt.close(fig)
    names.append("heatmap.png")
    return names


def _students_word(n: int) -> str:
    return f"{n} student" + ("" if n == 1 else "s")


def write_report(course: Course, assignment: str, out_dir: Path | None = None, top: int = 5) -> Path:
    """Write reports/ASSIGNMENT/ (index.html, plots, CSVs); return the path of index.html."""
    exercises, students = collect(course, assignment)
    if not students:
        raise CourseError(f"no graded submissions for {assignment} yet: run `course autograde {assignment}` first")
    out = out_dir or course.root / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    plots = _plots(exercises, students, out)

    with (out / "students.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "score", "max_score", "percent", "flagged", "reasons", "grading_seconds", *[e.name for e in exercises]])
        for s in students:
            w.writerow([s.id, f"{s.score:g}", f"{s.max_score:g}", f"{s.percent:.1f}", "yes" if s.flagged else "",
                        " | ".join(s.reasons[:5]), "" if s.seconds is None else f"{s.seconds:.1f}",
                        *[f"{s.cells.get(e.name, 0):g}" for e in exercises]])
    with (out / "exercises.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["exercise", "points", "passed", "failed", "not_started", "pass_rate"])
        for e in exercises:
            w.writerow([e.name, f"{e.points:g}", len(e.passed), len(e.failed), len(e.not_started), f"{e.pass_rate:.3f}"])
    with (out / "failures.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["exercise", "students", "message_template", "example_students", "example_message"])
        for e in exercises:
            for tpl, hits in sorted(e.failures.items(), key=lambda kv: -len(kv[1])):
                w.writerow([e.name, len(hits), tpl, " ".join(sorted({h[0] for h in hits})[:5]), hits[0][1]])

    percents = [s.percent for s in students]
    q = statistics.quantiles(percents, n=4, method="inclusive") if len(percents) > 1 else [percents[0]] * 3
    hardest = sorted(exercises, key=lambda e: e.pass_rate)
    common = Counter()
    for e in exercises:
        for tpl, hits in e.failures.items():
            common[(e.name, tpl)] = len(hits)
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{esc(assignment)}: class report</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border-bottom:1px solid #ddd;padding:.3em .5em;"
        "text-align:left;vertical-align:top}td.n{text-align:right;white-space:nowrap}.tpl{overflow-wrap:anywhere}"
        "img{max-width:100%;border:1px solid #eee;margin:.3em 0}.muted{color:#666}h2{margin-top:1.6em}</style></head><body>",
        f"<h1>{esc(assignment)}: what the class got right and wrong</h1>",
        f"<p>{_students_word(len(students))} graded. Median {statistics.median(percents):.0f}%, "
        f"quartiles {q[0]:.0f}% – {q[2]:.0f}%, mean {statistics.fmean(percents):.0f}%. "
        f"{sum(s.flagged for s in students)} flagged for review. CSV files: "
        "<a href='students.csv'>students</a>, <a href='exercises.csv'>exercises</a>, <a href='failures.csv'>failures</a>.</p>",
    ]
    if common:
        (ex_name, tpl), n = common.most_common(1)[0]
        parts.append(f"<p><b>The most common mistake:</b> {_students_word(n)} in <code>{esc(ex_name)}</code>: "
                     f"<span class='tpl'>{esc(tpl)}</span></p>")
    parts += [f"<img src='{p}' alt='{p}'>" for p in plots[:2]]
    parts.append("<h2>Exercises, hardest first</h2><table><tr><th>exercise</th><th>points</th><th>passed</th>"
                 "<th>not started</th><th>most common failures (values masked)</th></tr>")
    for e in hardest:
        rows = sorted(e.failures.items(), key=lambda kv: -len(kv[1]))[:top]
        fails = "".join(
            f"<div>{_students_word(len(h))}: <span class='tpl'>{esc(t)}</span> <span class='muted'>(e.g. "
            f"{esc(', '.join(sorted({x[0] for x in h})[:3]))})</span></div>" for t, h in rows
        ) or "<span class='muted'>none</span>"
        total = len(e.passed) + len(e.failed) + len(e.not_started)
        parts.append(f"<tr><td><code>{esc(e.name)}</code></td><td class='n'>{e.points:g}</td>"
                     f"<td class='n'>{len(e.passed)}/{total} ({100 * e.pass_rate:.0f}%)</td>"
                     f"<td class='n'>{len(e.not_started)}</td><td>{fails}</td></tr>")
    parts.append("</table>")
    parts.append(f"<h2>Students × exercises</h2><img src='{plots[2]}' alt='heatmap'>")
    flagged = [s for s in students if s.flagged]
    parts.append(f"<h2>Flagged for review ({len(flagged)})</h2>")
    if flagged:
        parts.append("<table><tr><th>student</th><th>score</th><th>why</th></tr>")
        parts += [f"<tr><td>{esc(s.id)}</td><td class='n'>{s.score:g}/{s.max_score:g}</td><td>{esc(' | '.join(s.reasons[:3]))}</td></tr>"
                  for s in flagged]
        parts.append("</table>")
    else:
        parts.append("<p class='muted'>None.</p>")
    timed = sorted((s for s in students if s.seconds is not None), key=lambda s: -(s.seconds or 0))[:top]
    parts.append("<h2>Slowest gradings</h2>")
    if timed:
        parts.append("<table><tr><th>student</th><th>grading time</th><th>score</th></tr>")
        parts += [f"<tr><td>{esc(s.id)}</td><td class='n'>{s.seconds:.1f} s</td><td class='n'>{s.score:g}/{s.max_score:g}</td></tr>"
                  for s in timed]
        parts.append("</table>")
    else:
        parts.append("<p class='muted'>No grading times recorded (they are recorded by <code>course autograde</code>).</p>")
    parts.append("</body></html>")
    index = out / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index
