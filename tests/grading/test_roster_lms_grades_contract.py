"""course.grading.roster, .lms and .grades pinned down on a tiny in-process gradebook: the oracle
of `make mutation` for what an instructor exports (no kernels, no nbgrader runs)."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pytest
from tinycourse import add_grades, make_course

from course.grading import grades, lms, report, roster
from course.grading.coursedir import CourseError, Score

warnings.filterwarnings("ignore", message=".*not in session.*")

ROSTER = "\ufeffID , First_Name,last_name,email,lms_user_id\nalice,Alice,Martin,alice@example.edu,123\n,,,,\nbob,Bob,,bob@x.org,\n"


def _write(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


# roster ------------------------------------------------------------------------------------

def test_read_roster_normalises_header_and_cells_and_skips_blank_rows(tmp_path: Path) -> None:
    rows = roster.read_roster(_write(tmp_path, ROSTER.replace("Alice,", " Alice ,")))
    assert rows == [
        {"id": "alice", "first_name": "Alice", "last_name": "Martin", "email": "alice@example.edu", "lms_user_id": "123"},
        {"id": "bob", "first_name": "Bob", "last_name": "", "email": "bob@x.org", "lms_user_id": ""},
    ]


def test_read_roster_only_id_column(tmp_path: Path) -> None:
    assert roster.read_roster(_write(tmp_path, "id\ncarol\n")) == [
        {"id": "carol", "first_name": "", "last_name": "", "email": "", "lms_user_id": ""}
    ]


@pytest.mark.parametrize(("text", "says"), [
    ("name,email\nalice,a@x\n",
     ": the first row must be a header with an 'id' column (and optionally first_name, last_name, email, lms_user_id)"),
    ("id,phone,age\nalice,1,2\n", ": unknown column(s) phone, age; a roster has id, first_name, last_name, email, lms_user_id"),
    ("id\nalice\n\nbo b\n", ", line 3: 'bo b' is not a valid student id (letters, digits, . _ @ + -)"),
    ("id,email\nalice,\nbob,\nalice,x\n", ", line 4: student 'alice' appears twice"),
    ("id,email\n,x@y\n", ", line 2: '' is not a valid student id (letters, digits, . _ @ + -)"),
])
def test_roster_errors_name_the_file_and_line(tmp_path: Path, text: str, says: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(CourseError) as err:
        roster.read_roster(p)
    assert str(err.value) == f"{p}{says}"


def test_an_unreadable_roster_says_why(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(CourseError) as err:
        roster.read_roster(missing)
    assert str(err.value) == f"cannot read the roster {missing}: No such file or directory"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id\nzo\xe9\n".encode("latin-1"))
    with pytest.raises(CourseError) as err:
        roster.read_roster(latin)
    assert str(err.value) == f"{latin} is not UTF-8 text: save the roster as CSV (UTF-8)"


@pytest.mark.parametrize("sid", ["a", "A9", "x" * 64, "a.b_c@d+e-f", "9lives"])
def test_valid_ids(tmp_path: Path, sid: str) -> None:
    assert roster.read_roster(_write(tmp_path, f"id\n{sid}\n"))[0]["id"] == sid


@pytest.mark.parametrize("sid", ["x" * 65, ".a", "-a", "_a", "a/b", "a b", "é"])
def test_invalid_ids(tmp_path: Path, sid: str) -> None:
    with pytest.raises(CourseError, match="is not a valid student id"):
        roster.read_roster(_write(tmp_path, f"id\n{sid}\n"))


def test_import_roster_and_lms_ids(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c")
    path = _write(tmp_path, ROSTER)
    assert roster.import_roster(course, path) == 2
    with course.gradebook() as gb:
        alice, bob = gb.find_student("alice"), gb.find_student("bob")
        assert (alice.first_name, alice.last_name, alice.email, alice.lms_user_id) == ("Alice", "Martin", "alice@example.edu", "123")
        assert (bob.first_name, bob.last_name, bob.email, bob.lms_user_id) == ("Bob", None, "bob@x.org", None)
    assert roster.lms_ids(path) == {"alice": "123"}


# lms ---------------------------------------------------------------------------------------

@pytest.fixture
def graded(tmp_path: Path):
    course = make_course(tmp_path / "c", ("01_a", "02_b"))
    add_grades(course, "01_a", {"t1": 2, "t2": 3}, {"alice": {"t1": 2, "t2": 3}, "bob": {"t1": 1, "t2": 0.5}},
               penalty={"alice": 1.5, "bob": 4})
    add_grades(course, "02_b", {"u": 4}, {"alice": {"u": 2.5}})
    with course.gradebook() as gb:
        gb.update_or_create_student("bob", first_name="Bob", last_name="Stone", email="bob@x.org", lms_user_id="77")
        gb.update_or_create_student("zed")
    return course


def test_entry_final_is_never_negative() -> None:
    assert lms.Entry(3, 5, 1).final == 2
    assert lms.Entry(3, 5, 4).final == 0.0
    assert lms.Entry(3, 5, 3).final == 0.0


def test_collect(graded) -> None:
    assignments, maxima, table = lms.collect(graded)
    assert assignments == ["01_a", "02_b"]
    assert maxima == {"01_a": 5.0, "02_b": 4.0}
    assert table == {
        "alice": {"01_a": lms.Entry(5.0, 5.0, 1.5), "02_b": lms.Entry(2.5, 4.0, 0.0)},
        "bob": {"01_a": lms.Entry(1.5, 5.0, 4.0)},
        "zed": {},
    }


def test_canvas(graded, tmp_path: Path) -> None:
    path = lms.export(graded, "canvas", out_dir=tmp_path / "out")
    assert path == tmp_path / "out" / "canvas.csv"
    assert _rows(path) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_a", "02_b"],
        ["    Points Possible", "", "", "", "", "5", "4"],
        ["alice", "", "", "alice", "", "3.5", "2.5"],
        ["Stone, Bob", "77", "", "bob", "", "0", ""],
        ["zed", "", "", "zed", "", "", ""],
    ]
    assert _rows(tmp_path / "out" / "late_penalties.csv") == [
        ["student", "assignment", "score", "late_penalty", "final"],
        ["alice", "01_a", "5", "1.5", "3.5"],
        ["bob", "01_a", "1.5", "4", "0"],
    ]


def test_canvas_display_name_with_one_name(graded, tmp_path: Path) -> None:
    r = _write(tmp_path, "id,first_name,last_name,lms_user_id\nalice,Alice,,1\nbob,,Stone,2\nzed,,,3\n")
    rows = _rows(lms.export(graded, "canvas", r, tmp_path / "o"))
    assert [row[:2] for row in rows[2:]] == [[", Alice", "1"], ["Stone, ", "2"], ["zed", "3"]]


def test_moodle_with_roster(graded, tmp_path: Path) -> None:
    r = _write(tmp_path, "id,first_name,last_name,email,lms_user_id\nalice,Alice,Martin,a@x,11\nbob,B,S,,22\nzed,Z,Z,z@x,\n")
    path = lms.export(graded, "moodle", r, tmp_path / "o")
    assert path.name == "moodle.csv"
    assert _rows(path) == [
        ["First name", "Last name", "ID number", "Email address", "Username", "01_a", "02_b"],
        ["Alice", "Martin", "11", "a@x", "alice", "3.5", "2.5"],
        ["B", "S", "22", "", "bob", "0", ""],
        ["Z", "Z", "", "z@x", "zed", "", ""],
    ]


def test_moodle_without_roster_uses_the_gradebook(graded, tmp_path: Path) -> None:
    rows = _rows(lms.export(graded, "moodle", None, tmp_path / "o"))
    assert rows[2] == ["Bob", "Stone", "77", "bob@x.org", "bob", "0", ""]
    assert rows[1] == ["", "", "", "", "alice", "3.5", "2.5"]


def test_plain_csv(graded, tmp_path: Path) -> None:
    r = _write(tmp_path, "id,lms_user_id\nalice,11\nbob,\nzed,33\n")
    path = lms.export(graded, "csv", r, tmp_path / "o")
    assert _rows(path) == [
        ["student", "lms_user_id", "01_a score", "01_a late penalty", "01_a final", "02_b score", "02_b late penalty",
         "02_b final", "total final", "total max"],
        ["alice", "11", "5", "1.5", "3.5", "2.5", "0", "2.5", "6", "9"],
        ["bob", "", "1.5", "4", "0", "", "", "", "0", "9"],
        ["zed", "33", "", "", "", "", "", "", "0", "9"],
    ]


def test_default_out_dir(graded, tmp_path: Path) -> None:
    assert lms.export(graded, "csv") == graded.root / "grades" / "csv.csv"
    assert lms.export(graded, "csv") == graded.root / "grades" / "csv.csv"
    assert lms.export(graded, "csv", out_dir=tmp_path / "a" / "b").is_file()
    assert (graded.root / "grades" / "late_penalties.csv").is_file()


def test_export_errors(graded, tmp_path: Path) -> None:
    with pytest.raises(CourseError) as err:
        lms.export(graded, "excel")
    assert str(err.value) == "unknown format 'excel': choose one of canvas, moodle, csv"
    r = _write(tmp_path, "id,lms_user_id\nalice,1\n")
    with pytest.raises(CourseError) as err:
        lms.export(graded, "csv", r)
    assert str(err.value) == (f"2 graded student(s) are not in the roster {r}: bob, zed — add them, or their grades "
                              "cannot be matched in the LMS")
    r = _write(tmp_path, "id,email,lms_user_id\nalice,,1\nbob,b@x,\nzed,,\n", "r2.csv")
    for fmt in ("canvas", "moodle"):
        with pytest.raises(CourseError) as err:
            lms.export(graded, fmt, r)
        assert str(err.value) == f"roster {r}: no lms_user_id (or email) for zed"
    assert lms.export(graded, "csv", r, tmp_path / "ok").is_file()


def test_export_lists_at_most_eight_missing(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c")
    add_grades(course, "01_a", {"t": 1}, {f"s{k}": {"t": 1} for k in range(10)})
    r = _write(tmp_path, "id\ns0\n")
    with pytest.raises(CourseError) as err:
        lms.export(course, "csv", r)
    assert str(err.value) == (f"9 graded student(s) are not in the roster {r}: s1, s2, s3, s4, s5, s6, s7, s8 ... — add "
                              "them, or their grades cannot be matched in the LMS")
    r = _write(tmp_path, "id\ns0\ns9\n", "r8.csv")
    with pytest.raises(CourseError) as err:
        lms.export(course, "csv", r)
    assert str(err.value).startswith(f"8 graded student(s) are not in the roster {r}: s1, s2, s3, s4, s5, s6, s7, s8 — add")
    r = _write(tmp_path, "id,email\n" + "".join(f"s{k},\n" for k in range(10)), "r2.csv")
    with pytest.raises(CourseError) as err:
        lms.export(course, "canvas", r)
    assert str(err.value) == f"roster {r}: no lms_user_id (or email) for s0, s1, s2, s3, s4, s5, s6, s7"


def test_export_needs_assignments(tmp_path: Path) -> None:
    with pytest.raises(CourseError) as err:
        lms.export(make_course(tmp_path / "c"), "csv")
    assert str(err.value) == "the gradebook holds no assignments yet"


# grades ------------------------------------------------------------------------------------

def test_flags_and_review(graded) -> None:
    assert grades.flagged_in_gradebook(graded) == set()
    with graded.gradebook() as gb:
        gb.find_submission_notebook("01_a", "01_a", "bob").flagged = True
        gb.db.commit()
    assert grades.flagged_in_gradebook(graded) == {("01_a", "bob")}
    assert grades.review(graded, "01_a", "bob") == (True, [])
    assert grades.review(graded, "01_a", "alice") == (False, [])
    assert grades.review(graded, "01_a", "bob", set()) == (False, [])
    path = report.report_path(graded.root / "autograded", "alice", "01_a")
    report.record_notebook(path, "01_a", ["edited a locked cell"], ["a note"], "")
    assert grades.review(graded, "01_a", "alice", set()) == (True, ["edited a locked cell"])


def test_grades_export(graded, tmp_path: Path) -> None:
    path = report.report_path(graded.root / "autograded", "alice", "01_a")
    report.record_notebook(path, "01_a", [f"reason {k}" for k in range(7)], [], "")
    path = report.report_path(graded.root / "autograded", "bob", "01_a")
    report.record_notebook(path, "01_a", [f"why {k}" for k in range(6)], [], "")
    add_grades(graded, "03_c", {"v": 1}, {"zed": {"v": 1}})
    with graded.gradebook() as gb:
        gb.find_submission_notebook("02_b", "02_b", "alice").flagged = True
        gb.db.commit()
    csv_path, scores, hists = grades.export(graded, tmp_path / "g")
    assert csv_path == tmp_path / "g" / "grades.csv"
    assert [(s.assignment, s.student, s.score) for s in scores] == [("01_a", "alice", 5.0), ("01_a", "bob", 1.5), ("02_b", "alice", 2.5),
                                                                    ("03_c", "zed", 1.0)]
    assert _rows(csv_path) == [
        ["assignment", "student", "score", "max_score", "percent", "flagged", "review"],
        ["01_a", "alice", "5", "5", "100.0", "yes", "reason 0 | reason 1 | reason 2 | reason 3 | reason 4 | (+2 more)"],
        ["01_a", "bob", "1.5", "5", "30.0", "yes", "why 0 | why 1 | why 2 | why 3 | why 4 | (+1 more)"],
        ["02_b", "alice", "2.5", "4", "62.5", "yes", ""],
        ["03_c", "zed", "1", "1", "100.0", "", ""],
    ]
    assert hists == [tmp_path / "g" / f"{a}_hist.png" for a in ("01_a", "02_b", "03_c")]
    import matplotlib.image

    assert matplotlib.image.imread(str(hists[0])).shape[:2] == (300, 500), "5 x 3 inches at 100 dpi"
    assert grades.export(graded, tmp_path / "g")[0] == csv_path
    assert grades.export(graded, tmp_path / "x" / "y")[0].is_file()
    assert all(h.stat().st_size > 1000 for h in hists)
    default, _s, _h = grades.export(graded)
    assert default == graded.root / "grades" / "grades.csv"


def test_histogram_counts(tmp_path: Path, monkeypatch) -> None:
    import matplotlib.axes

    seen = []
    monkeypatch.setattr(matplotlib.axes.Axes, "hist", lambda self, x, **kw: seen.append((list(x), kw["bins"], kw["color"], kw["edgecolor"])))
    titles = []
    monkeypatch.setattr(matplotlib.axes.Axes, "set_title", lambda self, t, **kw: titles.append(t))
    labels = []
    monkeypatch.setattr(matplotlib.axes.Axes, "set_xlabel", lambda self, t, **kw: labels.append(("x", t)))
    monkeypatch.setattr(matplotlib.axes.Axes, "set_ylabel", lambda self, t, **kw: labels.append(("y", t)))
    scores = [Score("s", "b", 1, 2, {}), Score("t", "a", 2, 2, {}), Score("u", "b", 0, 0, {})]
    grades.histograms(scores, tmp_path)
    bins = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001]
    assert seen == [([100.0], bins, "#3b6ea8", "white"), ([50.0, 0.0], bins, "#3b6ea8", "white")]
    assert labels == [("x", "score (%)"), ("y", "students")] * 2
    assert titles == ["a: 1 submission(s)", "b: 2 submission(s)"]


def test_table() -> None:
    assert grades.table([]) == "no grades in the gradebook yet"
    scores = [Score("alice", "01_a", 5, 5, {}), Score("bob-long-name", "01_a", 1.5, 5, {}), Score("c", "02_b", 1, 3, {})]
    assert grades.table(scores) == (
        "assignment  student        score  percent\n"
        "----------  -------------  -----  -------\n"
        "01_a        alice          5/5    100%\n"
        "01_a        bob-long-name  1.5/5  30%\n"
        "02_b        c              1/3    33%"
    )


def test_lms_export_in_an_ascii_locale(tmp_path: Path) -> None:
    """Names and ids beyond ASCII are written as UTF-8 even when the instructor's locale is not UTF-8."""
    import locale

    course = make_course(tmp_path / "c")
    add_grades(course, "01_a", {"t": 2}, {"zoé": {"t": 2}}, penalty={"zoé": 0.5})
    with course.gradebook() as gb:
        gb.update_or_create_student("zoé", first_name="Zoé", last_name="Ngō")
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        path = lms.export(course, "moodle", out_dir=tmp_path / "o")
    finally:
        locale.setlocale(locale.LC_CTYPE, before)
    assert _rows(path)[1] == ["Zoé", "Ngō", "", "", "zoé", "1.5"]
    assert _rows(tmp_path / "o" / "late_penalties.csv")[1] == ["zoé", "01_a", "2", "0.5", "1.5"]


def test_grades_export_in_an_ascii_locale_and_any_dpi(graded, tmp_path: Path) -> None:
    """grades.csv is UTF-8 (reasons may be translated) whatever the locale; histograms are 500 x 300 whatever the
    instructor's matplotlib settings."""
    import locale

    import matplotlib
    import matplotlib.image

    path = report.report_path(graded.root / "autograded", "alice", "01_a")
    reasons = ["a modifié une cellule verrouillée"] + [f"raison {k}" for k in range(4)]  # exactly five: all listed
    report.record_notebook(path, "01_a", reasons, [], "")
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        with matplotlib.rc_context({"figure.dpi": 40, "savefig.dpi": 40}):
            csv_path, _scores, hists = grades.export(graded, tmp_path / "g")
    finally:
        locale.setlocale(locale.LC_CTYPE, before)
    assert _rows(csv_path)[1] == ["01_a", "alice", "5", "5", "100.0", "yes", " | ".join(reasons)]
    assert matplotlib.image.imread(str(hists[0])).shape[:2] == (300, 500)
