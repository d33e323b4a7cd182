"""course.grading.similarity, .classsim, .demo and .doctor pinned down in-process (copydetect
for real; nbgrader, the grading and the probes of the machine faked): the oracle of `make
mutation` for the simulated class, the similarity check, the demo and the doctor."""

from __future__ import annotations

import ast
import csv
import json
import types
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook
from tinycourse import code_cell, make_course

from course.grading import classsim, demo, doctor, similarity
from course.grading.autograde import Outcome
from course.grading.coursedir import CourseError, Score

warnings.filterwarnings("ignore", message=".*not in session.*")

STUB = "def area(w, h):\n    \"\"\"The area of a w x h rectangle.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
SOLVED = {
    "alice": "def area(w, h):\n    result = w * h\n    for k in range(3):\n        result = result + k - k\n    return result\n",
    "bob": "def area(width, height):\n    out = width * height\n    for i in range(3):\n        out = out + i - i\n    return out\n",
    "carol": "def area(w, h):\n    return sum(w for _ in range(int(h)))\n\nclass Unrelated:\n    pass\n",
}


def _nb(*cells):
    nb = new_notebook()
    nb.cells = list(cells)
    return nb


def _submission(course, student: str, source: str) -> None:
    path = course.root / "submitted" / student / "01_a" / "01_a.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(_nb(new_markdown_cell("# A"), code_cell(source, "area", solution=True), code_cell("import math", "setup", locked=True),
                       code_cell("assert area(2, 3) == 6", "test_area", grade=True, locked=True, points=1)), str(path))


# similarity --------------------------------------------------------------------------------

def test_solution_code(tmp_path: Path) -> None:
    p = tmp_path / "n.ipynb"
    assert similarity.solution_code(p) == ""
    p.write_text("{")
    assert similarity.solution_code(p) == ""
    p.write_text("[1]")
    assert similarity.solution_code(p) == "\n"
    p.write_text("{}")
    assert similarity.solution_code(p) == "\n"
    p.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "no metadata"},
                                       {"cell_type": "code", "metadata": {"nbgrader": {"solution": True}}}]}))
    assert similarity.solution_code(p) == "\n"
    p.write_text(json.dumps({"cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": True}}, "source": ["a = 1\n", "b = 2"]},
        {"cell_type": "markdown", "metadata": {"nbgrader": {"solution": True}}, "source": "text"},
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": False}}, "source": "given"},
        {"cell_type": "code", "metadata": {}, "source": "plain"},
        "junk",
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": True}}, "source": 7},
    ]}))
    assert similarity.solution_code(p) == "a = 1\nb = 2\n\n7\n"


@pytest.fixture
def course(tmp_path: Path):
    c = make_course(tmp_path / "c")
    rel = c.release_notebook("01_a")
    rel.parent.mkdir(parents=True)
    nbformat.write(_nb(code_cell(STUB, "area", solution=True)), str(rel))
    for s, src in SOLVED.items():
        _submission(c, s, src)
    _submission(c, "dave", STUB)  # untouched: nothing of their own
    (c.root / "submitted" / "erin" / "01_a").mkdir(parents=True)  # no notebook
    return c


def test_compare(course, tmp_path: Path) -> None:
    pairs, page = similarity.compare(course, "01_a", tmp_path / "out", threshold=0.5)
    assert page == tmp_path / "out" / "similarity.html"
    assert [(p.a, p.b) for p in pairs] == [("alice", "bob"), ("alice", "carol"), ("bob", "carol")]
    ab = pairs[0]
    # every 25-character stretch of the normalised code is a fingerprint (copydetect's window for its noise and
    # guarantee thresholds, both 25): a copied stretch that long is always found; this pair shares 20 of them
    assert ab.similarity == 1.0 and ab.a_in_b == 1.0 and ab.b_in_a == 1.0 and ab.tokens == 20
    for p in pairs[1:]:
        assert p.similarity < 0.5 and p.similarity == max(p.a_in_b, p.b_in_a)
    with (tmp_path / "out" / "similarity.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["student_a", "student_b", "similarity", "a_in_b", "b_in_a", "shared_fingerprints", "above_threshold"]
    assert rows[1] == ["alice", "bob", "1.000", "1.000", "1.000", str(ab.tokens), "yes"]
    assert rows[2][:2] == ["alice", "carol"] and rows[2][-1] == "" and rows[2][2] == f"{pairs[1].similarity:.3f}"
    html = page.read_text()
    assert similarity.NOTICE in html
    assert "<p>3 pairs compared; 1 at or above 50%; the top 1 side by side (highlighted: code found in both)." in html
    assert "<h2>alice ~ bob: 100%</h2>" in html and "<p>100% of alice's code appears in bob's; 100% the other way.</p>" in html
    assert "<span class='highlight-red'>" in html and "<span class='highlight-green'>" in html
    assert "carol ~" not in html and "No pair reaches the threshold." not in html
    assert html.startswith(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Similar submissions</title><style>"
        "body{font-family:system-ui,sans-serif;margin:1em 2em;color:#222}.pair{margin:1.5em 0;border-top:2px solid #ccc}"
        ".cols{display:flex;gap:1em}.cols>div{flex:1;min-width:0}pre{background:#f7f7f7;padding:.6em;font-size:12px;"
        "white-space:pre-wrap;overflow-wrap:anywhere}.highlight-red{background:#f9c0c0}.highlight-green{background:#bfe8c0}"
        "</style></head><body>\n")
    assert "All pairs: <a href='similarity.csv'>similarity.csv</a>.</p>\n" in html and html.endswith("</body></html>")
    import re

    red, green = re.findall(r"<pre>(.*?)</pre>", html, re.S)
    assert red.count("<span class='highlight-red'>") == red.count("</span>") >= 1 and "XX" not in red
    assert green.count("<span class='highlight-green'>") == green.count("</span>") >= 1 and "XX" not in green
    assert "range(3)" in html and "&lt;" not in html
    _pairs, page = similarity.compare(course, "01_a", threshold=1.01, students=["alice", "carol"], show=5)
    assert page == course.root / "reports" / "01_a" / "similarity.html"
    assert [(p.a, p.b) for p in _pairs] == [("alice", "carol")]
    assert "<p>No pair reaches the threshold.</p>\n</body></html>" in page.read_text()
    _submission(course, "hal", "def area(w, h):\n    if w < 0 or h > 9:\n        return 0\n    return w * h\n")
    _submission(course, "ivy", "def area(a, b):\n    if a < 0 or b > 9:\n        return 0\n    return a * b\n")
    _pairs, page = similarity.compare(course, "01_a", tmp_path / "esc", threshold=0.0, students=["hal", "ivy"])
    html = page.read_text()
    assert "w &lt; 0 or h &gt; 9" in html and "w < 0" not in html
    assert "a &lt; 0 or b &gt; 9" in html and "a < 0" not in html, "both sides are escaped"


def test_compare_threshold_is_inclusive_and_untouched_notebooks_are_skipped(course, tmp_path: Path) -> None:
    pairs, page = similarity.compare(course, "01_a", tmp_path / "o", threshold=1.0, students=["dave", "erin", "alice", "bob"])
    assert [(p.a, p.b, p.similarity) for p in pairs] == [("alice", "bob", 1.0)]
    with (tmp_path / "o" / "similarity.csv").open(newline="") as f:
        assert list(csv.reader(f))[1][-1] == "yes", "a pair exactly at the threshold is above it"
    assert "1 pairs compared; 1 at or above 100%" in page.read_text()


def test_compare_share_exactly_at_threshold(course, tmp_path: Path, monkeypatch) -> None:
    """7 of 10 fingerprints in common is 70 %, and flagged at a 70 % threshold (no float rounding below it)."""
    prints = {"alice": set(range(10)), "bob": set(range(7)) | {100, 101, 102}, "carol": {200}, "dave": set()}
    monkeypatch.setattr(similarity, "_fingerprint", lambda path, boilerplate: types.SimpleNamespace(hashes=prints[path.stem]))
    pairs, page = similarity.compare(course, "01_a", tmp_path / "o", threshold=0.7, show=0)
    ab = pairs[0]
    assert (ab.a, ab.b, ab.similarity, ab.a_in_b, ab.b_in_a, ab.tokens) == ("alice", "bob", 0.7, 0.7, 0.7, 7)
    with (tmp_path / "o" / "similarity.csv").open(newline="") as f:
        assert list(csv.reader(f))[1] == ["alice", "bob", "0.700", "0.700", "0.700", "7", "yes"]
    assert "3 pairs compared; 1 at or above 70%; the top 0 side by side" in page.read_text()


def test_compare_defaults(course, tmp_path: Path) -> None:
    """Without options: pairs at 60 % or more are flagged, and the 20 most alike shown side by side."""
    for k in range(4):
        _submission(course, f"copy{k}", SOLVED["alice"].replace("result", f"r{k}"))
    pairs, page = similarity.compare(course, "01_a")
    assert len(pairs) == 21 and sum(p.similarity == 1.0 for p in pairs) == 15
    text = page.read_text()
    assert "21 pairs compared; 15 at or above 60%; the top 15 side by side" in text
    for k in range(5):
        _submission(course, f"more{k}", SOLVED["bob"].replace("out", f"o{k}"))
    pairs, page = similarity.compare(course, "01_a")
    assert len(pairs) == 66 and page.read_text().count("<div class='pair'>") == 20
    assert "; the top 20 side by side" in page.read_text()


def test_compare_in_an_ascii_locale(course, tmp_path: Path) -> None:
    """Code beyond ASCII is read, compared and shown even when the instructor's locale is not UTF-8."""
    import locale

    rel = course.release_notebook("01_a")
    nbformat.write(_nb(code_cell(STUB.replace(" x ", " × "), "area", solution=True)), str(rel))
    _submission(course, "alice", SOLVED["alice"].replace("result = w * h", "result = w * h  # aire (m²) × 1"))
    _submission(course, "zoë", SOLVED["bob"].replace("out = width * height", "out = width * height  # surface × 1"))
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        pairs, page = similarity.compare(course, "01_a", tmp_path / "o", students=["alice", "zoë"])
    finally:
        locale.setlocale(locale.LC_CTYPE, before)
    assert [(p.a, p.b, p.similarity) for p in pairs] == [("alice", "zoë", 1.0)]
    html = page.read_text(encoding="utf-8")
    assert "# aire (m²) × 1" in html and "# surface × 1" in html
    assert "alice,zoë," in (tmp_path / "o" / "similarity.csv").read_text(encoding="utf-8")


def test_compare_limits_and_errors(course, tmp_path: Path) -> None:
    pairs, page = similarity.compare(course, "01_a", tmp_path / "o", threshold=0.0, show=2)
    assert page.read_text().count("<div class='pair'>") == 2
    assert "the top 2 side by side" in page.read_text() and "3 at or above 0%" in page.read_text()
    with pytest.raises(CourseError) as err:
        similarity.compare(course, "01_a", tmp_path / "o", students=["alice", "dave", "erin"])
    assert str(err.value) == "01_a: fewer than two submissions with code of their own to compare"
    with pytest.raises(CourseError, match="unknown assignment"):
        similarity.compare(course, "09_z")


# classsim ----------------------------------------------------------------------------------

def test_disguise() -> None:
    src = "import math\n\ndef f(x, *, k=1):\n    total = x + k\n    def g(y):\n        inner = y\n        return inner\n    return g(total)\nz = 1\n"
    out = classsim.disguise(src)
    assert out.endswith("\n")
    tree = ast.parse(out)
    assert {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} == {
        "my_total_value", "my_inner_value", "z"}
    ns: dict = {}
    exec(out, ns)  # noqa: S102
    assert ns["f"](2, k=3) == 5
    assert classsim.disguise("def broken(:") == "def broken(:"
    assert classsim.disguise("def f(a, /, b):\n    c = a + b\n    return c\n") == "def f(a, /, b):\n    my_c_value = a + b\n    return my_c_value\n"


def _sim_course(tmp_path: Path):
    c = make_course(tmp_path / "c")
    src = _nb(new_markdown_cell("# A"), code_cell("def one():\n    return 1", "one", solution=True), code_cell("assert one() == 1", "t1", grade=True, points=1),
              code_cell("def two():\n    return 2", "two", solution=True), code_cell("def three():\n    return 3", "three", solution=True))
    nbformat.write(src, str(c.source_notebook("01_a")))
    rel = c.release_notebook("01_a")
    rel.parent.mkdir(parents=True)
    stubbed = _nb(new_markdown_cell("# A"), *[code_cell("raise NotImplementedError()", gid, solution=True) for gid in ("one", "two", "three")],
                  code_cell("assert one() == 1", "t1", grade=True, points=1))
    nbformat.write(stubbed, str(rel))
    (c.root / "tests" / "wrong").mkdir(parents=True)
    (c.root / "tests" / "right").mkdir(parents=True)
    (c.root / "tests" / "wrong" / "01_a.py").write_text(
        "WRONG = {'one': [('off by one', 'def one():\\n    return 2'), ('none', 'def one():\\n    return None')],\n"
        "         'two': [('three', 'def two():\\n    return 3')]}\n")
    (c.root / "tests" / "right" / "01_a.py").write_text("RIGHT = {'one': [('float', 'def one():\\n    return 1.0')]}\n")
    return c


def test_simulate(tmp_path: Path) -> None:
    c = _sim_course(tmp_path)
    sim = classsim.simulate(c, "01_a", 12, seed=3)
    assert sim.students == [f"student-{k:03d}" for k in range(1, 13)] + ["copy-source", "copy-of-source"]
    assert sim.copied_pair == ("copy-source", "copy-of-source") and sim.trap in ("one", "two")
    assert sim.choices["copy-of-source"] == sim.choices["copy-source"]
    for s in sim.students:
        folder = c.root / "submitted" / s / "01_a"
        assert (folder / "01_a.ipynb").is_file() and (folder / "timestamp.txt").is_file()
        assert (c.root / "autograded" / ".class-notebooks" / f"01_a-{s}.ipynb").is_file()
        picks = sim.choices[s]
        assert set(picks) <= {"one", "two", "three"}
        nb = nbformat.read(str(folder / "01_a.ipynb"), as_version=4)
        cells = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in nb.cells if "nbgrader" in cell.metadata}
        assert nb.cells[0].source == "# A"
        assert set(picks.values()) <= {"reference", "untouched", "right: float", "wrong: off by one", "wrong: none", "wrong: three"}
        assert cells["t1"] == "assert one() == 1"
        for gid in ("one", "two", "three"):
            what = picks.get(gid)
            if what is None:
                raise AssertionError(f"{s} made no choice for {gid}")
            if what == "untouched":
                assert cells[gid] == "raise NotImplementedError()"
            elif what == "reference" and s != "copy-of-source":
                assert cells[gid] == {"one": "def one():\n    return 1", "two": "def two():\n    return 2", "three": "def three():\n    return 3"}[gid]
            elif what == "right: float" and s != "copy-of-source":
                assert gid == "one" and cells[gid] == "def one():\n    return 1.0\n"
            elif s != "copy-of-source":
                assert what.startswith("wrong: ") and gid in ("one", "two")
        assert picks.get("three") in ("reference", "untouched")
    hidden = nbformat.read(str(c.root / "submitted" / "copy-of-source" / "01_a" / "01_a.ipynb"), as_version=4)
    original = nbformat.read(str(c.root / "submitted" / "copy-source" / "01_a" / "01_a.ipynb"), as_version=4)
    for h, o in zip(hidden.cells, original.cells):
        assert h.source == (classsim.disguise(o.source) if o.metadata.get("nbgrader", {}).get("solution") else o.source)
    (tmp_path / "other").mkdir()  # an existing folder is fine
    again = classsim.simulate(c, "01_a", 12, seed=3, out_dir=tmp_path / "other")
    assert again.choices == sim.choices and again.trap == sim.trap
    assert (tmp_path / "other" / "01_a-student-001.ipynb").is_file()


def test_simulate_is_reproducible_and_realistic(tmp_path: Path) -> None:
    """The benchmarks and the demo rely on this exact class for seed 0 (a changed draw changes them)."""
    c = _sim_course(tmp_path)
    sim = classsim.simulate(c, "01_a", 40, seed=0)
    trap_wrong = sum(1 for s in sim.students[:40] if sim.choices[s][sim.trap].startswith("wrong: "))
    untouched = sum(1 for s in sim.students[:40] for v in sim.choices[s].values() if v == "untouched")
    first = sum(1 for s in sim.students[:40] for g, v in sim.choices[s].items() if g != sim.trap and v == "wrong: off by one")
    other = sum(1 for s in sim.students[:40] for g, v in sim.choices[s].items() if g != sim.trap and v == "wrong: none")
    right = sum(1 for s in sim.students[:40] for v in sim.choices[s].values() if v.startswith("right: "))
    summary = (sim.trap, trap_wrong, untouched, first, other, right)
    assert summary == SEED0, summary
    assert classsim.most_common_mistake(sim)[0] == sim.trap
    copies = [classsim.simulate(c, "01_a", 0, seed=k, out_dir=tmp_path / f"copy{k}").choices["copy-source"] for k in range(6)]
    copies = [tuple(picks[g] for g in ("one", "two", "three")) for picks in copies]
    assert copies == COPIES, copies
    assert classsim.simulate(c, "01_a", 0, out_dir=tmp_path / "default").choices == classsim.simulate(c, "01_a", 0, seed=0).choices


SEED0 = ("two", 37, 0, 12, 4, 10)
# copy-source's choices for one, two, three (a fairly good student, skill 0.8) for seeds 0..5
COPIES = [("reference", "wrong: three", "reference"), ("wrong: off by one", "reference", "reference"),
          ("wrong: off by one", "wrong: three", "reference"), ("right: float", "wrong: three", "reference"),
          ("wrong: off by one", "reference", "reference"), ("wrong: off by one", "wrong: three", "reference")]


def test_most_common_mistake() -> None:
    sim = classsim.Simulated(["a", "b", "c", "copy-of-source"], {
        "a": {"one": "wrong: x", "two": "reference"},
        "b": {"one": "wrong: x", "two": "wrong: y"},
        "c": {"one": "untouched", "two": "wrong: y"},
        "copy-of-source": {"two": "wrong: y"},
    })
    assert classsim.most_common_mistake(sim) == ("one", "x", 2)
    sim.choices["c"]["three"] = "wrong: y"
    sim.choices["a"]["three"] = "wrong: y"
    sim.choices["b"]["three"] = "wrong: y"
    assert classsim.most_common_mistake(sim) == ("three", "y", 3)
    assert classsim.Simulated([]).trap is None and classsim.Simulated([]).choices == {}


def test_solution_ids() -> None:
    nb = _nb(code_cell("", "a", solution=True), code_cell("", "t", grade=True), code_cell(""), code_cell("", "b", solution=True))
    assert classsim._solution_ids(nb) == ["a", "b"]


# demo --------------------------------------------------------------------------------------

def test_half_done(tmp_path: Path) -> None:
    src = _nb(new_markdown_cell("intro"), *[code_cell(f"solved {k}", f"e{k}", solution=True) for k in range(5)], code_cell("t", "t", grade=True))
    rel = _nb(*[code_cell(f"stub {k}", f"e{k}", solution=True) for k in range(5)], code_cell("t", "t", grade=True), code_cell("x"))
    nbformat.write(src, str(tmp_path / "s.ipynb"))
    nbformat.write(rel, str(tmp_path / "r.ipynb"))
    out = demo.half_done(tmp_path / "s.ipynb", tmp_path / "r.ipynb")
    assert [c.source for c in out.cells] == ["solved 0", "solved 1", "stub 2", "stub 3", "stub 4", "t", "x"]
    one = _nb(code_cell("stub", "e0", solution=True))
    nbformat.write(one, str(tmp_path / "r1.ipynb"))
    assert demo.half_done(tmp_path / "s.ipynb", tmp_path / "r1.ipynb").cells[0].source == "solved 0"
    assert nbformat.read(str(tmp_path / "r.ipynb"), as_version=4).cells[0].source == "stub 0", "the release is not changed"
    for n, solved in ((2, 1), (3, 1), (4, 2)):
        nbformat.write(_nb(*[code_cell(f"stub {k}", f"e{k}", solution=True) for k in range(n)]), str(tmp_path / "rn.ipynb"))
        got = [c.source for c in demo.half_done(tmp_path / "s.ipynb", tmp_path / "rn.ipynb").cells]
        assert got == [f"solved {k}" for k in range(solved)] + [f"stub {k}" for k in range(solved, n)], n


@pytest.fixture
def demo_course(tmp_path: Path, monkeypatch):
    from course.grading import analytics, feedback, grades, lms, parallel

    c = make_course(tmp_path / "c", ("01_a", "02_b"))
    for a in ("01_a", "02_b"):
        nbformat.write(_nb(code_cell("solved", "e", solution=True)), str(c.source_notebook(a)))
    calls = []

    def fake_release(course, a):
        rel = course.release_notebook(a)
        rel.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(_nb(code_cell("stub", "e", solution=True)), str(rel))
        with course.gradebook() as gb:
            gb.update_or_create_assignment(a)
        calls.append(("release", a))
        return f"{a}: released"

    def many(course, names, jobs=None, force=False, say=print, only=None):
        assert course is c, "graded in the demo's course"
        calls.append(("grade", list(names), jobs, force, list(only)))
        say(f"graded {len(only)} submission(s)")
        return [Outcome(s, s != "demo-untouched", 1.0, None, "", a) for a, s in only], []

    monkeypatch.setattr(demo, "release", fake_release)
    monkeypatch.setattr(parallel, "autograde_many", many)
    monkeypatch.setattr(demo.fb, "feedback", lambda course, a: calls.append(("feedback", a) if course is c else ("feedback elsewhere", a)))
    scores = [Score("demo-reference", "01_a", 1, 1, {}), Score("someone", "01_a", 0, 1, {}), Score("demo-halfdone", "02_b", 1, 4, {})]
    monkeypatch.setattr(demo.gr, "export", lambda course: (course.root / "grades" / "grades.csv", scores,
                                                           [course.root / "grades" / f"{a}_hist.png" for a in ("01_a", "02_b")]))
    monkeypatch.setattr(analytics, "write_report", lambda course, a: course.root / "reports" / a / "index.html")
    monkeypatch.setattr(lms, "export", lambda course, fmt: course.root / "grades" / f"{fmt}.csv")
    del grades, feedback
    return types.SimpleNamespace(course=c, calls=calls, scores=scores)


@pytest.mark.parametrize("again", [False, True], ids=["first demo", "after an earlier demo"])
def test_demo_run(demo_course, again: bool) -> None:
    from course.grading import grades

    c = demo_course.course
    lines = []
    assert not (c.root / "autograded").exists()
    if again:
        (c.root / "autograded" / ".demo-notebooks").mkdir(parents=True)  # left by an earlier demo: no matter
    got = demo.run(c, say=lines.append, jobs=2)
    assert got == [demo_course.scores[0], demo_course.scores[2]], "the demo students' scores only"
    pairs = [(a, s) for a in ("01_a", "02_b") for s in demo.STUDENTS]
    assert demo_course.calls == [("release", "01_a"), ("release", "02_b"), ("grade", ["01_a", "02_b"], 2, True, pairs),
                                 ("feedback", "01_a"), ("feedback", "02_b")]
    for a in ("01_a", "02_b"):
        assert (c.root / "submitted" / "demo-reference" / a / f"{a}.ipynb").read_bytes() == c.source_notebook(a).read_bytes()
        assert (c.root / "submitted" / "demo-untouched" / a / f"{a}.ipynb").read_bytes() == c.release_notebook(a).read_bytes()
        half = nbformat.read(str(c.root / "submitted" / "demo-halfdone" / a / f"{a}.ipynb"), as_version=4)
        assert half.cells[0].source == "solved"  # the first half (of one exercise: one) is solved
        assert (c.root / "autograded" / ".demo-notebooks" / f"{a}-halfdone.ipynb").is_file()
    with c.gradebook() as gb:
        ada = gb.find_student("demo-reference")
        assert (ada.first_name, ada.last_name, ada.email) == ("Ada", "Lovelace", "demo-reference@example.edu")
        assert gb.find_student("demo-halfdone").last_name == "Hopper"
    assert lines[:2] == ["01_a: released", "02_b: released"]
    assert lines[2:9] == ["", "graded 6 submission(s)", "01_a: feedback written to feedback/<student>/01_a/",
                          "02_b: feedback written to feedback/<student>/02_b/", "",
                          grades.table(got), "\ngrades: grades/grades.csv; histograms: grades/01_a_hist.png, grades/02_b_hist.png"]
    assert "demo-halfdone" in lines[7] and "someone" not in lines[7]
    assert lines[-3:] == ["01_a: class report reports/01_a/index.html", "02_b: class report reports/02_b/index.html",
                          "2 submission(s) could not be graded: 01_a/demo-untouched, 02_b/demo-untouched"]


def test_demo_run_class(demo_course, monkeypatch) -> None:
    from course.grading import similarity as sim_mod
    from course.grading.similarity import Pair

    c = demo_course.course
    simulated = []

    def simulate(course, a, n, seed):
        simulated.append((course is c, a, n, seed))
        return classsim.Simulated(["s1", "s2"][:n])

    compared = []

    def compare(course, a, students):
        compared.append((course is c, a, students))
        return [Pair("s1", "s2", 0.876, 0.8, 0.876, 9)], course.root / "reports" / a / "similarity.html"

    monkeypatch.setattr(classsim, "simulate", simulate)
    monkeypatch.setattr(sim_mod, "compare", compare)
    lines = []
    paths = demo.run_class(c, "01_a", 2, say=lines.append, jobs=3, seed=5)
    assert paths == {"report": c.root / "reports" / "01_a" / "index.html", "similarity": c.root / "reports" / "01_a" / "similarity.html",
                     "canvas": c.root / "grades" / "canvas.csv"}
    assert demo_course.calls == [("release", "01_a"), ("grade", ["01_a"], 3, True, [("01_a", "s1"), ("01_a", "s2")])]
    assert simulated == [(True, "01_a", 2, 5)] and compared == [(True, "01_a", ["s1", "s2"])]
    assert lines == ["01_a: released",
                     "01_a: 2 simulated submissions (with a planted copied pair: copy-source ~ copy-of-source)",
                     "graded 2 submission(s)",
                     "class report: reports/01_a/index.html",
                     "similarity: reports/01_a/similarity.html (most alike: s1 ~ s2, 88%)",
                     "grades for Canvas: grades/canvas.csv"]
    demo.run_class(c, "01_a", 1, say=lines.append)
    assert [x for x in demo_course.calls if x[0] == "release"] == [("release", "01_a")], "released already: not again"
    assert simulated[-1] == (True, "01_a", 1, 0), "seed 0 unless told"
    c.release_notebook("01_a").unlink()
    demo.run_class(c, "01_a", 1, say=lines.append)
    assert [x for x in demo_course.calls if x[0] == "release"] == [("release", "01_a")] * 2
    monkeypatch.setattr(classsim, "simulate", lambda course, a, n, seed: classsim.Simulated(["demo-untouched"]))
    with pytest.raises(CourseError) as err:
        demo.run_class(c, "02_b", 1, say=lines.append)
    assert str(err.value) == "1 simulated submission(s) could not be graded: demo-untouched: "


# doctor ------------------------------------------------------------------------------------

def test_version() -> None:
    import importlib.metadata as md

    assert doctor._version("nbgrader") == md.version("nbgrader")
    assert doctor._version("no-such-distribution-xyz") == "not installed"


def test_lab_extension_ok(monkeypatch) -> None:
    seen = {}

    def run(cmd, capture_output, text, timeout):
        seen.update(cmd=cmd, timeout=timeout, flags=(capture_output, text))
        return types.SimpleNamespace(stdout=seen["out"], stderr=seen.get("err", ""))

    monkeypatch.setattr(doctor.subprocess, "run", run)
    seen["out"] = "JupyterLab\n  \x1b[32m@jupyter/nbgrader v0.9 enabled OK\x1b[0m\n"
    assert doctor.lab_extension_ok() == (True, "@jupyter/nbgrader v0.9 enabled OK")
    assert seen["cmd"][1:] == ["labextension", "list"] and seen["timeout"] == 60 and seen["flags"] == (True, True)
    seen["out"], seen["err"] = "", "@jupyter/nbgrader v0.9 disabled OK\n"
    assert doctor.lab_extension_ok() == (False, "@jupyter/nbgrader v0.9 disabled OK")
    seen["err"] = "@jupyter/nbgrader v0.9 enabled X"
    assert doctor.lab_extension_ok()[0] is False
    seen["err"] = "other"
    assert doctor.lab_extension_ok() == (False, "@jupyter/nbgrader is not listed by `jupyter labextension list`")

    def fail(*a, **k):
        raise OSError("no jupyter")

    monkeypatch.setattr(doctor.subprocess, "run", fail)
    assert doctor.lab_extension_ok() == (False, "could not run `jupyter labextension list`: no jupyter")


def test_lab_extension_command(monkeypatch, tmp_path: Path) -> None:
    seen = []
    monkeypatch.setattr(doctor.subprocess, "run", lambda cmd, **k: seen.append(cmd) or types.SimpleNamespace(stdout="", stderr=""))
    monkeypatch.setattr(doctor.sys, "executable", str(tmp_path / "python"))
    doctor.lab_extension_ok()
    (tmp_path / "jupyter").write_text("")
    doctor.lab_extension_ok()
    assert seen == [["jupyter", "labextension", "list"], [str(tmp_path / "jupyter"), "labextension", "list"]]


def test_checks(tmp_path: Path, monkeypatch) -> None:
    import torch

    import course
    from course import data, device
    from course.grading import sandbox

    c = make_course(tmp_path / "c", ("01_a", "02_b", "03_c"))
    (c.root / "release" / "01_a").mkdir(parents=True)
    c.release_notebook("01_a").write_text("{}")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(course, "get_device", lambda: torch.device("cpu"))
    monkeypatch.setattr(course, "devices", lambda: [torch.device("cpu")])
    monkeypatch.setattr(device, "cuda_required", lambda: False)
    monkeypatch.setattr(data, "is_complete", lambda: True)
    monkeypatch.setattr(data, "data_dir", lambda: Path("/d"))
    monkeypatch.setattr(doctor, "lab_extension_ok", lambda: (True, "ext line"))
    monkeypatch.setattr(doctor, "_version", lambda dist: "not installed" if dist == "pandas" else "1.0")
    box = types.SimpleNamespace(available=False, describe=lambda: "no sandbox", explain=lambda: "install bubblewrap")
    monkeypatch.setattr(sandbox, "support", lambda: box)
    monkeypatch.setattr(sandbox, "mode", lambda: "auto")
    monkeypatch.setattr(sandbox, "provisioner_registered", lambda: True)
    rows = doctor.checks(c)
    assert rows[0][0] == "python" and rows[0][1] is True
    assert rows[1:7] == [("torch", True, "1.0"), ("torchvision", True, "1.0"), ("nbgrader", True, "1.0"), ("jupyterlab", True, "1.0"),
                         ("matplotlib", True, "1.0"), ("pandas", False, "not installed")]
    assert rows[7:] == [
        ("device", True, "cpu (CUDA not available)"),
        ("test devices", True, "cpu"),
        ("data", True, "/d (ready)"),
        ("nbgrader lab extension", True, "ext line"),
        ("gradebook", True, c.db_url),
        ("grading sandbox", True, "no sandbox; install bubblewrap"),
        ("kernel provisioner", True, "course-sandbox registered: grading kernels start through it"),
        ("assignments", False, "3 in source/; not released: 02_b, 03_c"),
    ]
    monkeypatch.setattr(sandbox, "mode", lambda: "required")
    monkeypatch.setattr(data, "is_complete", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: {0: "H200"}[i])
    monkeypatch.setattr(course, "devices", lambda: [torch.device("cpu"), torch.device("cuda")])
    monkeypatch.setattr(device, "cuda_required", lambda: True)
    for a in ("02_b", "03_c"):
        c.release_notebook(a).parent.mkdir(parents=True)
        c.release_notebook(a).write_text("{}")
    rows = dict((r[0], r[1:]) for r in doctor.checks(c))
    assert rows["device"] == (True, "cpu (CUDA available: H200)")
    assert rows["test devices"] == (True, "cpu, cuda")
    assert rows["COURSE_REQUIRE_CUDA"] == (True, "set: CUDA checks are mandatory")
    assert rows["data"] == (False, "/d (missing: run `course data`)")
    assert rows["grading sandbox"] == (False, "no sandbox; install bubblewrap")
    assert rows["assignments"] == (True, "3 in source/, all released")
    box.available = True
    assert dict((r[0], r[1:]) for r in doctor.checks(c))["grading sandbox"][0] is True
    monkeypatch.setattr(sandbox, "provisioner_registered", lambda: False)
    assert dict((r[0], r[1:]) for r in doctor.checks(c))["kernel provisioner"] == (
        False, "course-sandbox is not registered, so nothing can be graded: run `make setup` (or pip install -e .)")

    def missing():
        raise device.CudaRequiredError("CUDA required but missing")

    monkeypatch.setattr(course, "devices", missing)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    rows = dict((r[0], r[1:]) for r in doctor.checks(c))
    assert rows["test devices"] == (False, "CUDA required but missing")
    assert rows["COURSE_REQUIRE_CUDA"] == (False, "set: CUDA checks are mandatory")
    monkeypatch.delattr(data, "is_complete")
    rows = dict((r[0], r[1:]) for r in doctor.checks(c))
    assert rows["data"] == (False, "course.data unavailable: module 'course.data' has no attribute 'is_complete'")
    monkeypatch.setattr(doctor.sys, "version_info", (3, 10, 0))
    assert doctor.checks(c)[0][1] is False
