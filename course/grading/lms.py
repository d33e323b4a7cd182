"""`course grades --format canvas|moodle|csv [--roster FILE]`: grades an LMS can import.

Scores come from the gradebook, one column per assignment, with nbgrader's late-submission
penalty subtracted (nbgrader stores it beside the score; ``nbgrader_config.py`` chooses the
plugin that computes it). Students are matched to the LMS through a roster
(``course.grading.roster``): its ``lms_user_id`` column is the LMS's id for each course id.

- ``canvas``: Canvas's gradebook import layout: ``Student, ID, SIS User ID, SIS Login ID,
  Section``, then one column per assignment, and a ``Points Possible`` row first. ``ID`` is the
  roster's lms_user_id (Canvas's user id), ``SIS Login ID`` the course id.
- ``moodle``: Moodle's grade import from CSV: ``First name, Last name, ID number, Email
  address, Username``, then one column per assignment; at import, map "ID number" (the
  lms_user_id) or "Email address" to the user, and each assignment column to its grade item.
- ``csv``: one row per student: the course id, the LMS id, and per assignment the score, the
  late penalty and the final grade.

Every format also writes ``late_penalties.csv`` beside it: who lost what, and why.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from course.grading.coursedir import Course, CourseError

FORMATS = ("canvas", "moodle", "csv")


@dataclass
class Entry:
    score: float
    max_score: float
    penalty: float

    @property
    def final(self) -> float:
        return max(0.0, self.score - self.penalty)


def collect(course: Course) -> tuple[list[str], dict[str, float], dict[str, dict[str, Entry]]]:
    """(assignments, max score per assignment, student -> assignment -> Entry) from the gradebook."""
    table: dict[str, dict[str, Entry]] = {}
    maxima: dict[str, float] = {}
    with course.gradebook() as gb:
        assignments = sorted(a.name for a in gb.assignments)
        for a in gb.assignments:
            maxima[a.name] = float(a.max_score)
            for sub in a.submissions:
                table.setdefault(sub.student.id, {})[a.name] = Entry(
                    float(sub.score), float(sub.max_score), float(sub.late_submission_penalty or 0.0)
                )
        for st in gb.students:
            table.setdefault(st.id, {})
    return assignments, maxima, table


def export(course: Course, fmt: str, roster: Path | None = None, out_dir: Path | None = None) -> Path:
    """Write grades/<fmt>.csv (and late_penalties.csv); return the path of the main file."""
    from course.grading.roster import read_roster

    if fmt not in FORMATS:
        raise CourseError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    assignments, maxima, table = collect(course)
    if not assignments:
        raise CourseError("the gradebook holds no assignments yet")
    people = {r["id"]: r for r in read_roster(roster)} if roster else {}
    if roster:
        missing = sorted(set(table) - set(people))
        if missing:
            raise CourseError(
                f"{len(missing)} graded student(s) are not in the roster {roster}: {', '.join(missing[:8])}"
                + (" ..." if len(missing) > 8 else "") + " — add them, or their grades cannot be matched in the LMS"
            )
        if fmt in ("canvas", "moodle"):
            no_id = sorted(sid for sid in table if not people[sid]["lms_user_id"] and not people[sid]["email"])
            if no_id:
                raise CourseError(f"roster {roster}: no lms_user_id (or email) for {', '.join(no_id[:8])}")
    with course.gradebook() as gb:
        names = {s.id: (s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or "") for s in gb.students}
    out = out_dir or course.root / "grades"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{fmt}.csv"

    def person(sid: str) -> tuple[str, str, str, str]:
        r = people.get(sid)
        if r:
            return r["first_name"], r["last_name"], r["email"], r["lms_user_id"]
        return names.get(sid, ("", "", "", ""))

    def grade(sid: str, a: str) -> str:
        e = table[sid].get(a)
        return "" if e is None else f"{e.final:g}"

    students = sorted(table)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if fmt == "canvas":
            w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *assignments])
            w.writerow(["    Points Possible", "", "", "", "", *[f"{maxima[a]:g}" for a in assignments]])
            for sid in students:
                first, last, _email, lms = person(sid)
                display = f"{last}, {first}" if last or first else sid
                w.writerow([display, lms, "", sid, "", *[grade(sid, a) for a in assignments]])
        elif fmt == "moodle":
            w.writerow(["First name", "Last name", "ID number", "Email address", "Username", *assignments])
            for sid in students:
                first, last, email, lms = person(sid)
                w.writerow([first, last, lms, email, sid, *[grade(sid, a) for a in assignments]])
        else:
            cols = [c for a in assignments for c in (f"{a} score", f"{a} late penalty", f"{a} final")]
            w.writerow(["student", "lms_user_id", *cols, "total final", "total max"])
            for sid in students:
                _f, _l, _e, lms = person(sid)
                row = []
                for a in assignments:
                    e = table[sid].get(a)
                    row += ["", "", ""] if e is None else [f"{e.score:g}", f"{e.penalty:g}", f"{e.final:g}"]
                total = sum(e.final for e in table[sid].values())
                w.writerow([sid, lms, *row, f"{total:g}", f"{sum(maxima.values()):g}"])
    with (out / "late_penalties.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "assignment", "score", "late_penalty", "final"])
        for sid in students:
            for a, e in sorted(table[sid].items()):
                if e.penalty:
                    w.writerow([sid, a, f"{e.score:g}", f"{e.penalty:g}", f"{e.final:g}"])
    return path
