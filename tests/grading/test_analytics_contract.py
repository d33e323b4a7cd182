"""course.grading.analytics pinned down on a tiny gradebook and hand-made autograded notebooks:
the oracle of `make mutation` for the class report (in-process, no kernels)."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_notebook, new_output
from tinycourse import add_grades, code_cell, make_course

from course.grading import analytics, report
from course.grading.analytics import Exercise, Student
from course.grading.coursedir import CourseError

warnings.filterwarnings("ignore", message=".*not in session.*")


@pytest.mark.parametrize(("message", "want"), [
    ("expected 3.5 but got -2e-3 at x1 and y_2", "expected # but got # at x1 and y_2"),
    ("values .5, +3, 1.5E+3, 7.", "values #, #, #, #"),
    ("shape (2, 3) vs [4,5,] and (1,) and ( 7 )", "shape (…) vs […] and (…) and (…)"),
    ("(a, 1) stays", "(a, #) stays"),
    ("'abc' != \"d e\" on cuda:0 and cuda:12", "'…' != '…' on cuda and cuda"),
    ("it's fine", "it's fine"),
    ("  first line  \n second", "first line "),
    ("", ""),
    ("   ", ""),
    ("a  \t  b", "a b"),
])
def test_template(message: str, want: str) -> None:
    assert analytics.template(message) == want


def test_template_limits() -> None:
    assert analytics.template("w" * 500) == "w" * 400
    long_quote = "'" + "q" * 201 + "'"
    assert analytics.template(long_quote) == long_quote
    assert analytics.template("'" + "q" * 200 + "'") == "'…'"
    assert analytics.NOT_STARTED == "not started (the stub still raises NotImplementedError)"


def test_rates_and_percent() -> None:
    assert Exercise("e", 1.0).pass_rate == 0.0
    assert Exercise("e", 1.0, passed=["a"], failed=["b", "c"], not_started=["d"]).pass_rate == 0.25
    assert Student("s", 1, 4, {}).percent == 25.0 and Student("s", 1, 0, {}).percent == 0.0
    e = Exercise("e", 1.0)
    e.failures["t"].append(("s", "m"))
    assert Exercise("f", 1.0).failures == {}


def _error(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[])


def _write_graded(course, student: str, cells) -> None:
    path = course.root / "autograded" / student / "01_a" / "01_a.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = new_notebook()
    nb.cells = list(cells)
    nbformat.write(nb, str(path))


def test_test_outcomes(tmp_path: Path) -> None:
    p = tmp_path / "n.ipynb"
    assert analytics._test_outcomes(p) == {}
    p.write_text("{")
    assert analytics._test_outcomes(p) == {}
    nb = new_notebook()
    nb.cells = [
        code_cell("", "t1", grade=True, outputs=[new_output("stream", name="stdout", text="x"), _error("A", "a"), _error("B", "b")]),
        code_cell("", "t2", grade=True, outputs=[new_output("stream", name="stdout", text="x")]),
        code_cell("", "sol", grade=True, solution=True, outputs=[_error("C", "c")]),
        code_cell("", "plain", outputs=[_error("D", "d")]),
        code_cell("", "t3", grade=True, outputs=[{"output_type": "error"}]),
    ]
    p.write_text(nbformat.writes(nb, version=4) if False else __import__("json").dumps(nb))
    assert analytics._test_outcomes(p) == {"t1": ("A", "a"), "t3": ("", "")}


@pytest.fixture
def graded(tmp_path: Path):
    course = make_course(tmp_path / "c")
    students = {
        "alice": {"test_one": 2, "test_two": 3},
        "bob": {"test_one": 0, "test_two": 1},
        "carol": {"test_one": 0, "test_two": 0},
        "dave": {"test_one": 1, "test_two": 0},
    }
    add_grades(course, "01_a", {"test_one": 2, "test_two": 3}, students, flagged={"dave"})
    _write_graded(course, "bob", [code_cell("", "test_one", grade=True, outputs=[_error("CheckFailed", "expected 3, got 4\nmore")]),
                                  code_cell("", "test_two", grade=True, outputs=[_error("NotImplementedError", "")])])
    _write_graded(course, "carol", [code_cell("", "test_one", grade=True, outputs=[_error("CheckFailed", "expected 5, got 6")]),
                                    code_cell("", "test_two", grade=True, outputs=[_error("ValueError", "")])])
    report.record_notebook(report.report_path(course.root / "autograded", "carol", "01_a"), "01_a", ["edited a locked cell"], [], "")
    report.record_seconds(report.report_path(course.root / "autograded", "carol", "01_a"), 12.345)
    report.record_notebook(report.report_path(course.root / "autograded", "bob", "01_a"), "01_a", [], [], "")
    report.record_seconds(report.report_path(course.root / "autograded", "bob", "01_a"), 3)
    return course


def test_collect(graded) -> None:
    exercises, students = analytics.collect(graded, "01_a")
    assert [(e.name, e.points) for e in exercises] == [("test_one", 2.0), ("test_two", 3.0)]
    one, two = exercises
    assert (one.passed, one.failed, one.not_started) == (["alice"], ["bob", "carol", "dave"], [])
    assert (two.passed, two.failed, two.not_started) == (["alice"], ["carol", "dave"], ["bob"])
    assert dict(one.failures) == {"expected #, got #": [("bob", "expected 3, got 4"), ("carol", "expected 5, got 6")],
                                  "lost points without an error message": [("dave", "lost points without an error message")]}
    assert dict(two.failures) == {"ValueError": [("carol", "ValueError")],
                                  "lost points without an error message": [("dave", "lost points without an error message")]}
    assert [s.id for s in students] == ["alice", "bob", "carol", "dave"]
    alice, bob, carol, dave = students
    assert (alice.score, alice.max_score, alice.cells) == (5.0, 5.0, {"test_one": 2.0, "test_two": 3.0})
    assert (bob.flagged, bob.reasons, bob.seconds) == (False, [], 3.0)
    assert (carol.flagged, carol.reasons, carol.seconds) == (True, ["edited a locked cell"], 12.35)
    assert (dave.flagged, dave.reasons, dave.seconds) == (True, [], None)


def test_markdown_grade_cells_are_not_exercises(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c")
    add_grades(course, "01_a", {"test_one": 2}, {"s": {"test_one": 2}})
    with course.gradebook() as gb:
        gb.update_or_create_grade_cell("written", "01_a", "01_a", max_score=4, cell_type="markdown")
    exercises, students = analytics.collect(course, "01_a")
    assert [e.name for e in exercises] == ["test_one"] and students[0].cells == {"test_one": 2.0}


def test_collect_errors(graded) -> None:
    with pytest.raises(CourseError, match="unknown assignment"):
        analytics.collect(graded, "09_z")
    other = make_course(graded.root.parent / "o")
    with pytest.raises(CourseError) as err:
        analytics.collect(other, "01_a")
    assert str(err.value) == "01_a is not in the gradebook: release and autograde it first"
    with pytest.raises(CourseError) as err:
        analytics.write_report(other, "01_a")
    assert str(err.value) == "01_a is not in the gradebook: release and autograde it first"
    add_grades(other, "01_a", {"t": 1}, {})
    with pytest.raises(CourseError) as err:
        analytics.write_report(other, "01_a")
    assert str(err.value) == "no graded submissions for 01_a yet: run `course autograde 01_a` first"


def _csv(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def test_write_report(graded, tmp_path: Path) -> None:
    index = analytics.write_report(graded, "01_a", tmp_path / "out", top=1)
    out = tmp_path / "out"
    assert index == out / "index.html"
    assert sorted(p.name for p in out.iterdir()) == ["exercises.csv", "failures.csv", "heatmap.png", "index.html", "pass_rate.png",
                                                     "scores.png", "students.csv"]
    assert _csv(out / "students.csv") == [
        ["student", "score", "max_score", "percent", "flagged", "reasons", "grading_seconds", "test_one", "test_two"],
        ["alice", "5", "5", "100.0", "", "", "", "2", "3"],
        ["bob", "1", "5", "20.0", "", "", "3.0", "0", "1"],
        ["carol", "0", "5", "0.0", "yes", "edited a locked cell", "12.3", "0", "0"],
        ["dave", "1", "5", "20.0", "yes", "", "", "1", "0"],
    ]
    assert _csv(out / "exercises.csv") == [
        ["exercise", "points", "passed", "failed", "not_started", "pass_rate"],
        ["test_one", "2", "1", "3", "0", "0.250"],
        ["test_two", "3", "1", "2", "1", "0.250"],
    ]
    assert _csv(out / "failures.csv") == [
        ["exercise", "students", "message_template", "example_students", "example_message"],
        ["test_one", "2", "expected #, got #", "bob carol", "expected 3, got 4"],
        ["test_one", "1", "lost points without an error message", "dave", "lost points without an error message"],
        ["test_two", "1", "ValueError", "carol", "ValueError"],
        ["test_two", "1", "lost points without an error message", "dave", "lost points without an error message"],
    ]
    page = index.read_text(encoding="utf-8")
    assert "<title>01_a: class report</title>" in page
    assert "<h1>01_a: what the class got right and wrong</h1>" in page
    assert "<p>4 students graded. Median 20%, quartiles 15% – 40%, mean 35%. 2 flagged for review. CSV files: " in page
    assert ("<p><b>The most common mistake:</b> 2 students in <code>test_one</code>: "
            "<span class='tpl'>expected #, got #</span></p>") in page
    assert "<img src='scores.png' alt='scores.png'>\n<img src='pass_rate.png' alt='pass_rate.png'>" in page
    assert ("<tr><td><code>test_one</code></td><td class='n'>2</td><td class='n'>1/4 (25%)</td><td class='n'>0</td>"
            "<td><div>2 students: <span class='tpl'>expected #, got #</span> <span class='muted'>(e.g. bob, carol)</span>"
            "</div></td></tr>") in page
    assert ("<tr><td><code>test_two</code></td><td class='n'>3</td><td class='n'>1/4 (25%)</td><td class='n'>1</td>"
            "<td><div>1 student: <span class='tpl'>ValueError</span> <span class='muted'>(e.g. carol)</span></div></td></tr>") in page
    assert "<h2>Students × exercises</h2><img src='heatmap.png' alt='heatmap'>" in page
    assert "<h2>Flagged for review (2)</h2>" in page
    assert ("<tr><td>carol</td><td class='n'>0/5</td><td>edited a locked cell</td></tr>\n"
            "<tr><td>dave</td><td class='n'>1/5</td><td></td></tr>") in page
    assert "<h2>Slowest gradings</h2>\n<table><tr><th>student</th><th>grading time</th><th>score</th></tr>" in page
    assert "<tr><td>carol</td><td class='n'>12.3 s</td><td class='n'>0/5</td></tr>" in page
    assert "<tr><td>bob</td><td class='n'>3.0 s</td>" not in page, "top=1"
    assert page.endswith("</body></html>")
    assert index.read_text().count("<h2>") == 4


def test_write_report_of_a_clean_class(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c")
    add_grades(course, "01_a", {"test_one": 2}, {"<al>": {"test_one": 2}})
    index = analytics.write_report(course, "01_a")
    assert "<h2>Flagged for review (0)</h2>\n<p class='muted'>None.</p>" in index.read_text()
    with course.gradebook() as gb:
        gb.find_submission_notebook("01_a", "01_a", "<al>").flagged = True
        gb.db.commit()
    assert "<tr><td>&lt;al&gt;</td>" in analytics.write_report(course, "01_a").read_text()
    assert index == course.root / "reports" / "01_a" / "index.html"
    page = index.read_text()
    assert "<p>1 student graded. Median 100%, quartiles 100% – 100%, mean 100%. 1 flagged for review." in page
    assert "most common mistake" not in page
    assert "<td><span class='muted'>none</span></td>" in page
    assert "<p class='muted'>No grading times recorded (they are recorded by <code>course autograde</code>).</p>" in page
    assert "<al>" not in page


def test_plots(monkeypatch, tmp_path: Path) -> None:
    import matplotlib.axes

    seen = {}
    monkeypatch.setattr(matplotlib.axes.Axes, "hist", lambda self, x, bins, **kw: seen.update(hist=(list(x), list(bins))))
    monkeypatch.setattr(matplotlib.axes.Axes, "barh", lambda self, y, w, **kw: seen.update(barh=(list(y), list(w))))
    real_imshow = matplotlib.axes.Axes.imshow
    monkeypatch.setattr(matplotlib.axes.Axes, "imshow", lambda self, grid, **kw: seen.update(grid=grid.tolist(), kw=kw) or real_imshow(self, grid, **kw))
    exercises = [Exercise("test_a", 2.0, passed=["s"], failed=["t"]), Exercise("b", 0.0)]
    students = [Student("s", 2, 2, {"test_a": 2.0}), Student("t", 1, 2, {"test_a": 1.0, "b": 1.0})]
    names = analytics._plots(exercises, students, tmp_path)
    assert names == ["scores.png", "pass_rate.png", "heatmap.png"]
    assert seen["hist"][0] == [100.0, 50.0] and seen["hist"][1][0] == 0 and seen["hist"][1][-1] == 100.001 and len(seen["hist"][1]) == 11
    assert seen["barh"] == (["b", "a"], [0.0, 50.0])
    assert seen["grid"] == [[1.0, 0.0], [0.5, 0.0]]
    assert (seen["kw"]["vmin"], seen["kw"]["vmax"], seen["kw"]["cmap"]) == (0, 1, "RdYlGn")
    analytics._plots(exercises, [], tmp_path)
    assert seen["grid"] == [[0.0]]


def test_students_word() -> None:
    assert analytics._students_word(0) == "0 students"
    assert analytics._students_word(1) == "1 student"
    assert analytics._students_word(2) == "2 students"


def test_report_is_utf8_whatever_the_locale(tmp_path: Path, monkeypatch) -> None:
    """An instructor whose locale is not UTF-8 still gets the learners' messages, and files any
    spreadsheet or browser reads as UTF-8."""
    import io

    course = make_course(tmp_path / "c")
    add_grades(course, "01_a", {"test_one": 1}, {"zoë": {"test_one": 0}})
    _write_graded(course, "zoë", [code_cell("", "test_one", grade=True, outputs=[_error("CheckFailed", "shape (2, 3) ≠ (3, 2)")])])
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "ascii")
    index = analytics.write_report(course, "01_a")
    out = index.parent
    monkeypatch.undo()
    assert [r[0] for r in _csv(out / "students.csv")] == ["student", "zoë"]
    assert _csv(out / "failures.csv")[1] == ["test_one", "1", "shape (…) ≠ (…)", "zoë", "shape (2, 3) ≠ (3, 2)"]
    page = index.read_bytes().decode("utf-8")
    assert "<h2>Students × exercises</h2>" in page and "shape (…) ≠ (…)" in page


def test_blank_error_message_falls_back_to_the_error_name(graded) -> None:
    """`raise AssertionError("\\n")` groups under its exception's name, not under an empty line."""
    _write_graded(graded, "dave", [code_cell("", "test_one", grade=True, outputs=[_error("AssertionError", " \n ")]),
                                   code_cell("", "test_two", grade=True, outputs=[_error(" ", "  ")])])
    one, two = analytics.collect(graded, "01_a")[0]
    assert one.failures["AssertionError"] == [("dave", "AssertionError")]
    assert two.failures["lost points without an error message"] == [("dave", "lost points without an error message")]
    assert "" not in one.failures and "" not in two.failures


def _no_plots(monkeypatch) -> None:
    monkeypatch.setattr(analytics, "_plots", lambda exercises, students, out: ["scores.png", "pass_rate.png", "heatmap.png"])


def test_quartiles_stay_within_the_class(tmp_path: Path, monkeypatch) -> None:
    """The class is the whole population: its quartiles never fall outside its scores, even for two students."""
    _no_plots(monkeypatch)
    course = make_course(tmp_path / "c")
    add_grades(course, "01_a", {"test_one": 5}, {"ann": {"test_one": 1}, "ben": {"test_one": 5}})
    page = analytics.write_report(course, "01_a").read_text(encoding="utf-8")
    assert "<p>2 students graded. Median 60%, quartiles 40% – 80%, mean 60%. 0 flagged for review." in page
