"""course.grading.analytics pinned down on a tiny gradebook and hand-made autograded notebooks:
the oracle of `make mutation` for the class report (in-process, no kernels)."""

from __future__ import annotations

import csv
import re
import warnings
from html.parser import HTMLParser
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


_TEXT_ELEMENTS = {"title", "style", "h1", "h2", "p", "b", "a", "code", "span", "div", "td", "th"}
_CSS_PROPERTIES = {"background", "background-color", "border", "border-bottom", "border-collapse", "border-top", "color", "display",
                   "font-family", "font-size", "font-weight", "height", "line-height", "margin", "margin-bottom", "margin-top",
                   "max-width", "overflow-wrap", "padding", "text-align", "vertical-align", "white-space", "width"}


class _Page(HTMLParser):
    """Well-formedness of a report page: balanced elements, no text outside text elements, the links."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open, self.problems, self.tags, self.classes, self.links, self.style = [], [], set(), set(), [], ""
        self.feed(page)
        self.close()
        if self.open:
            self.problems.append(f"unclosed {self.open}")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        self.classes.update((a.get("class") or "").split())
        self.links += [a[k] for k in ("href", "src") if k in a]
        if tag not in ("meta", "img"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}> closes nothing open")

    def handle_data(self, data):
        if data.strip() and (not self.open or self.open[-1] not in _TEXT_ELEMENTS):
            self.problems.append(f"stray text {data!r} in <{self.open[-1] if self.open else ''}>")
        if self.open and self.open[-1] == "style":
            self.style += data


def _check_page(index: Path) -> _Page:
    """The page is a standards-mode HTML document, well formed, whose links all lead to the files beside it."""
    page = index.read_text(encoding="utf-8")
    assert page.lower().startswith("<!doctype html><html><head><meta charset='utf-8'>"), "standards mode, UTF-8"
    parsed = _Page(page)
    assert parsed.problems == []
    assert sorted(parsed.links) == sorted(p.name for p in index.parent.iterdir() if p != index), "each file linked once"
    return parsed


def _check_style(parsed: _Page) -> None:
    """Every rule of the style sheet parses and applies to an element or a class of the page (classes are case-sensitive)."""
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", parsed.style)
    assert rules and "".join(f"{sel}{{{body}}}" for sel, body in rules) == parsed.style
    for selectors, body in rules:
        for sel in selectors.split(","):
            m = re.fullmatch(r"([A-Za-z0-9]*)(?:\.([\w-]+))?", sel.strip())
            assert m and (m[1] or m[2]), sel
            assert (not m[1] or m[1].lower() in parsed.tags) and (not m[2] or m[2] in parsed.classes), sel
        for decl in filter(str.strip, body.split(";")):
            prop, _, value = decl.partition(":")
            assert prop.strip().lower() in _CSS_PROPERTIES and value.strip(), decl


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
    assert ("2 flagged for review. CSV files: <a href='students.csv'>students</a>, <a href='exercises.csv'>exercises</a>, "
            "<a href='failures.csv'>failures</a>.</p>") in page
    assert ("<h2>Exercises, hardest first</h2><table><tr><th>exercise</th><th>points</th><th>passed</th><th>not started</th>"
            "<th>most common failures (values masked)</th></tr>") in page
    assert "<h2>Flagged for review (2)</h2>\n<table><tr><th>student</th><th>score</th><th>why</th></tr>" in page
    _check_style(_check_page(index))


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
    assert "<td class='n'>1/1 (100%)</td>" in page
    _check_page(index)


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


def _no_plots(monkeypatch) -> None:
    monkeypatch.setattr(analytics, "_plots", lambda exercises, students, out: ["scores.png", "pass_rate.png", "heatmap.png"])


def test_report_is_utf8_whatever_the_locale(tmp_path: Path, monkeypatch) -> None:
    """An instructor whose locale is not UTF-8 still gets the learners' messages, and files any
    spreadsheet or browser reads as UTF-8."""
    import io

    _no_plots(monkeypatch)
    course = make_course(tmp_path / "c")
    add_grades(course, "01_a", {"test_über": 1}, {"zoë": {"test_über": 0}})
    _write_graded(course, "zoë", [code_cell("", "test_über", grade=True, outputs=[_error("CheckFailed", "shape (2, 3) ≠ (3, 2)")])])
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "ascii")
    index = analytics.write_report(course, "01_a")
    out = index.parent
    monkeypatch.undo()
    assert [r[0] for r in _csv(out / "students.csv")] == ["student", "zoë"]
    assert _csv(out / "exercises.csv")[1][0] == "test_über"
    assert _csv(out / "failures.csv")[1] == ["test_über", "1", "shape (…) ≠ (…)", "zoë", "shape (2, 3) ≠ (3, 2)"]
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


def test_quartiles_stay_within_the_class(tmp_path: Path, monkeypatch) -> None:
    """The class is the whole population: its quartiles never fall outside its scores, even for two students."""
    _no_plots(monkeypatch)
    course = make_course(tmp_path / "c")
    add_grades(course, "01_a", {"test_one": 5}, {"ann": {"test_one": 1}, "ben": {"test_one": 5}})
    page = analytics.write_report(course, "01_a").read_text(encoding="utf-8")
    assert "<p>2 students graded. Median 60%, quartiles 40% – 80%, mean 60%. 0 flagged for review." in page


def test_test_outcomes_of_sparse_notebooks(tmp_path: Path) -> None:
    """Hand-edited or foreign notebooks (no cells, cells without metadata or outputs) give no failures, no crash."""
    import json

    p = tmp_path / "n.ipynb"
    p.write_text("{}")
    assert analytics._test_outcomes(p) == {}
    p.write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "source": "no metadata"},
        {"cell_type": "markdown", "metadata": {}, "source": "not an nbgrader cell"},
        {"cell_type": "markdown", "metadata": {"nbgrader": {"grade": True, "grade_id": "m"}}, "source": "no outputs"},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "grade_id": "t"}}, "source": "",
         "outputs": [{"output_type": "error", "ename": "E", "evalue": "e", "traceback": []}]},
    ]}))
    assert analytics._test_outcomes(p) == {"t": ("E", "e")}


def _larger_class(tmp_path: Path):
    """Seven students; test_three was added to the gradebook after grading, so nobody has a grade for it."""
    course = make_course(tmp_path / "c")
    ids = [f"s{i}" for i in range(1, 8)]
    add_grades(course, "01_a", {"test_one": 1, "test_two": 1}, {s: {"test_one": 0, "test_two": 0} for s in ids})
    with course.gradebook() as gb:
        gb.update_or_create_grade_cell("test_three", "01_a", "01_a", max_score=1, cell_type="code")
    two = ["alpha went wrong", "beta went wrong", "gamma went wrong", "delta went wrong", "epsilon went wrong",
           "zeta went wrong", "zeta went wrong"]
    for i, s in enumerate(ids, 1):
        one = _error("NotImplementedError", "") if s == "s7" else _error("CheckFailed", f"wrong value {i}")
        cells = [code_cell("", "test_one", grade=True, outputs=[one]),
                 code_cell("", "test_two", grade=True, outputs=[_error("CheckFailed", two[i - 1])])]
        if s == "s1":
            cells.append(code_cell("", "test_three", grade=True, outputs=[_error("CheckFailed", "expected " + "w" * 450)]))
        _write_graded(course, s, cells)
        if s != "s7":
            path = report.report_path(course.root / "autograded", s, "01_a")
            report.record_notebook(path, "01_a", [f"r{k}" for k in range(1, 7)] if s == "s1" else [], [], "")
            report.record_seconds(path, [0.0, 0.2, 0.4, 0.6, 0.8, 12.0][i - 1])
    return course, ids


def test_report_of_a_larger_class(tmp_path: Path, monkeypatch) -> None:
    _no_plots(monkeypatch)
    course, ids = _larger_class(tmp_path)
    exercises, students = analytics.collect(course, "01_a")
    one, two, three = exercises
    assert (one.failed, one.not_started) == (ids[:6], ["s7"])
    assert three.passed == [] and three.failed == ids, "no grade is no point; a stub in test_one does not hide test_three"
    assert [s for s, _ in three.failures["lost points without an error message"]] == ids[1:]
    [(student, message)] = three.failures["expected " + "w" * 391]
    assert student == "s1" and message == "expected " + "w" * 391, "example messages are cut at 400 characters"
    assert all(s.cells.keys() == {"test_one", "test_two"} for s in students)

    index = analytics.write_report(course, "01_a")
    out = index.parent
    rows = _csv(out / "students.csv")
    assert rows[0][-3:] == ["test_one", "test_two", "test_three"] and [r[-1] for r in rows[1:]] == ["0"] * 7
    assert rows[1][:7] == ["s1", "0", "3", "0.0", "yes", "r1 | r2 | r3 | r4 | r5", "0.0"]
    fails = _csv(out / "failures.csv")
    assert fails[1][:4] == ["test_one", "6", "wrong value #", "s1 s2 s3 s4 s5"] and fails[1][4].startswith("wrong value ")
    assert fails[2] == ["test_two", "2", "zeta went wrong", "s6 s7", "zeta went wrong"], "most common first"
    assert sorted(r[2] for r in fails[3:8]) == ["alpha went wrong", "beta went wrong", "delta went wrong", "epsilon went wrong",
                                                "gamma went wrong"]

    page = index.read_text(encoding="utf-8")
    row_one = page.split("<tr><td><code>test_one</code></td>")[1].split("</tr>")[0]
    assert "<div>6 students: <span class='tpl'>wrong value #</span> <span class='muted'>(e.g. s1, s2, s3)</span></div>" in row_one
    row_two = page.split("<tr><td><code>test_two</code></td>")[1].split("</tr>")[0]
    assert "<td><div>2 students: <span class='tpl'>zeta went wrong</span> <span class='muted'>(e.g. s6, s7)</span></div><div>1 student: " in row_two
    assert row_two.count("<div>") == 5 and row_two.count("</div><div>") == 4, "five templates at most by default"
    assert "<tr><td>s1</td><td class='n'>0/3</td><td>r1 | r2 | r3</td></tr>" in page
    slowest = page.split("<h2>Slowest gradings</h2>")[1]
    assert [row.split("</td>")[0] for row in slowest.split("<tr><td>")[1:]] == ["s6", "s5", "s4", "s3", "s2"]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _drawn(monkeypatch, exercises, students, out: Path, save: bool = True) -> dict:
    """Run _plots; return each figure as it was when saved, by file name."""
    import matplotlib.figure

    figures, real = {}, matplotlib.figure.Figure.savefig

    def savefig(fig, path, **kw):
        figures[Path(path).name] = fig
        if save:
            real(fig, path, **kw)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    assert analytics._plots(exercises, students, out) == ["scores.png", "pass_rate.png", "heatmap.png"]
    monkeypatch.undo()
    return figures


def test_plots_as_drawn(monkeypatch, tmp_path: Path) -> None:
    """Sizes, titles, axes and colours of the three plots, whatever the instructor's matplotlibrc says."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba

    exercises = [Exercise(f"test_e{i}", 1.0, passed=["a"] if i == 0 else [], failed=["b", "c"]) for i in range(7)]
    students = [Student("a", 1, 7, {"test_e0": 1.0}), Student("b", 0.5, 7, {"test_e0": 0.5}), Student("c", 0, 7, {})]
    with matplotlib.rc_context({"figure.dpi": 72, "savefig.dpi": 72, "image.aspect": "equal", "image.interpolation": "bilinear"}):
        figs = _drawn(monkeypatch, exercises, students, tmp_path)
    assert plt.get_fignums() == [], "every figure is closed"
    assert {n: _png_size(tmp_path / n) for n in figs} == {"scores.png": (600, 300), "pass_rate.png": (600, 345), "heatmap.png": (515, 262)}

    ax = figs["scores.png"].axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Scores of 3 students", "score (%)", "students")
    bar = ax.patches[0]
    assert (bar.get_facecolor(), bar.get_edgecolor()) == (to_rgba("#3b6ea8"), to_rgba("white"))

    ax = figs["pass_rate.png"].axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_xlim()) == ("Pass rate per exercise", "students who passed (%)", (0, 100))
    assert ax.patches[-1].get_width() == pytest.approx(100 / 3) and ax.patches[-1].get_facecolor() == to_rgba("#2e8540")

    fig = figs["heatmap.png"]
    ax, cbar = fig.axes
    assert (ax.get_title(), ax.get_ylabel()) == ("Share of each exercise's points, per student", "3 students")
    [image] = ax.get_images()
    assert image.get_array().tolist()[2] == [0.0] * 7, "no grade is no share"
    assert (ax.get_aspect(), image.get_interpolation()) == ("auto", "nearest")
    heat, bar = ax.get_position(), cbar.get_position(original=True)
    assert image.colorbar.ax is cbar and heat.width / (bar.x1 - heat.x0) > 0.9, "the colour bar keeps to a thin strip"
    ticks = ax.get_xticklabels()
    assert [t.get_text() for t in ticks] == [f"e{i}" for i in range(7)]
    assert {(t.get_rotation(), t.get_horizontalalignment(), t.get_fontsize()) for t in ticks} == {(60, "right", 8)}
    assert [(t.get_text(), t.get_fontsize()) for t in ax.get_yticklabels()] == [("a", 7), ("b", 7), ("c", 7)]


def test_heatmap_of_large_classes(monkeypatch, tmp_path: Path) -> None:
    """Up to 40 students are named on the heatmap; beyond, no names. It grows with the class up to 12 inches."""
    exercises = [Exercise("test_a", 2.0, failed=["x"])]

    def heatmap(n: int):
        students = [Student(f"s{i:03}", 0, 2, {}) for i in range(n)]
        figs = _drawn(monkeypatch, exercises, students, tmp_path, save=False)
        assert figs["pass_rate.png"].axes[0].get_xlim() == (0, 100), "the pass-rate axis is 0-100 % even when nobody passed"
        return figs["heatmap.png"]

    names = [t.get_text() for t in heatmap(40).axes[0].get_yticklabels()]
    assert names == [f"s{i:03}" for i in range(40)]
    assert heatmap(41).axes[0].get_yticklabels() == []
    assert tuple(heatmap(238).get_size_inches()) == (5, 12)
