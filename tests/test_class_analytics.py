"""What an instructor learns from a graded class: a simulated class with realistic mistakes is
graded, then the class report finds its most common mistake, the similarity check ranks a
planted copy first, and the LMS exports have the documented columns with late penalties."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from course.grading import cli
from course.grading.analytics import template
from course.grading.classsim import COPY_SOURCE, COPY_TARGET, disguise, most_common_mistake, simulate
from course.grading.coursedir import Course, scratch_course
from course.grading.release import release, set_due_date

NAME = "04_nn"
STUDENTS = 10


def test_template_masks_values_but_keeps_the_words() -> None:
    a = template("MLP()(x) on cuda:0 should have shape (4, 10), but it has shape (4, 1).")
    b = template("MLP()(x) on cuda:1 should have shape (7, 10), but it has shape (7, 1).")
    assert a == b == "MLP()(x) on cuda should have shape (…), but it has shape (…)."
    assert template("got 0.25, expected 0.5") == template("got 1e-3, expected 3")
    assert template("'foo' is not 'bar'") == "'…' is not '…'"


def test_disguise_renames_locals_and_reformats() -> None:
    src = "def f(x):\n    total   = x*2  # comment\n    return total\n"
    out = disguise(src)
    assert "total" not in out.replace("my_total_value", "") and "my_total_value" in out and "# comment" not in out
    ns: dict = {}
    exec(out, ns)
    assert ns["f"](3) == 6


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Course, object]:
    from course.grading.parallel import autograde_many

    root = tmp_path_factory.mktemp("class") / "course"
    course = scratch_course(Course(ROOT), root, [NAME])
    for bank in ("wrong", "right"):
        if (ROOT / "tests" / bank / f"{NAME}.py").is_file():
            (root / "tests" / bank).mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / "tests" / bank / f"{NAME}.py", root / "tests" / bank / f"{NAME}.py")
    release(course, NAME, verify=False)
    sim = simulate(course, NAME, STUDENTS, seed=3)
    set_due_date(course, NAME, "2098-01-01 00:00+00:00")
    (root / "submitted" / COPY_TARGET / NAME / "timestamp.txt").write_text("2099-01-01 00:00:00.000000 UTC")
    outcomes, _ = autograde_many(course, [NAME], jobs=2, force=True, say=lambda _: None, only=[(NAME, s) for s in sim.students])
    assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok]
    return course, sim


@pytest.mark.slow
def test_report_finds_the_most_common_mistake(graded_class) -> None:
    course, sim = graded_class
    assert cli.main(["--root", str(course.root), "report", NAME]) == 0
    out = course.root / "reports" / NAME
    for name in ("index.html", "students.csv", "exercises.csv", "failures.csv", "scores.png", "pass_rate.png", "heatmap.png"):
        assert (out / name).is_file(), name
    gid, mistake, n = most_common_mistake(sim)
    rows = list(csv.DictReader((out / "failures.csv").open()))
    top = max(rows, key=lambda r: int(r["students"]))
    assert top["exercise"] == f"test_{gid}", (top, gid, mistake, n)
    assert int(top["students"]) >= n
    assert f"{top['students']} students" in (out / "index.html").read_text()
    students = list(csv.DictReader((out / "students.csv").open()))
    assert len(students) == len(sim.students)
    assert {"student", "score", "max_score", "percent", "flagged", "grading_seconds"} <= set(students[0])


@pytest.mark.slow
def test_similarity_ranks_the_planted_copy_first(graded_class) -> None:
    from course.grading.similarity import compare

    course, sim = graded_class
    pairs, page = compare(course, NAME, students=sim.students)
    assert {pairs[0].a, pairs[0].b} == {COPY_SOURCE, COPY_TARGET}, pairs[:3]
    assert pairs[0].similarity >= 0.7  # reformatting moves a few fingerprints; renaming moves none
    honest = [p for p in pairs if COPY_TARGET not in (p.a, p.b) and COPY_SOURCE not in (p.a, p.b)]
    assert min(p.similarity for p in honest) < 0.6
    assert pairs[0].similarity - max(p.similarity for p in honest) > 0.05
    text = page.read_text()
    assert "not a verdict" in text and COPY_TARGET in text
    assert (course.root / "reports" / NAME / "similarity.csv").is_file()


@pytest.mark.slow
def test_lms_exports_have_the_documented_columns_and_late_penalties(graded_class, tmp_path: Path) -> None:
    course, sim = graded_class
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "first_name", "last_name", "email", "lms_user_id"])
        for k, sid in enumerate(sim.students):
            w.writerow([sid, f"First{k}", f"Last{k}", f"{sid}@example.edu", str(9000 + k)])
    for fmt, header in (
        ("canvas", ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", NAME]),
        ("moodle", ["First name", "Last name", "ID number", "Email address", "Username", NAME]),
        ("csv", ["student", "lms_user_id", f"{NAME} score", f"{NAME} late penalty", f"{NAME} final", "total final", "total max"]),
    ):
        assert cli.main(["--root", str(course.root), "grades", "--format", fmt, "--roster", str(roster)]) == 0
        rows = list(csv.reader((course.root / "grades" / f"{fmt}.csv").open()))
        assert rows[0] == header, (fmt, rows[0])
    canvas = list(csv.reader((course.root / "grades" / "canvas.csv").open()))
    assert canvas[1][0].strip() == "Points Possible"
    late = list(csv.DictReader((course.root / "grades" / "late_penalties.csv").open()))
    assert [r["student"] for r in late] == [COPY_TARGET] and float(late[0]["final"]) == 0.0
    table = {r["student"]: r for r in csv.DictReader((course.root / "grades" / "csv.csv").open())}
    assert float(table[COPY_TARGET][f"{NAME} final"]) == 0.0
    assert float(table[COPY_TARGET][f"{NAME} late penalty"]) == float(table[COPY_TARGET][f"{NAME} score"]) > 0
    by_id = {r[3]: r for r in canvas[2:]}
    assert by_id[COPY_TARGET][4 + 1] == "0" and by_id[COPY_SOURCE][1] == str(9000 + sim.students.index(COPY_SOURCE))
