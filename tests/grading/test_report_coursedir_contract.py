"""course.grading.report and .coursedir pinned down in-process: the oracle of `make mutation`
for the grading reports and the course folder (a tiny gradebook, no kernels, no nbgrader runs)."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_notebook
from tinycourse import add_grades, make_course

from course.grading import coursedir, report
from course.grading.coursedir import Course, CourseError, Score

warnings.filterwarnings("ignore", message=".*not in session.*")


# report ------------------------------------------------------------------------------------

def test_report_path() -> None:
    assert report.report_path("/x/autograded", "s", "01_a") == Path("/x/autograded/s/01_a.grading.json")


def test_load(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    assert report.load(p) == {}
    p.write_text('{"a": 1}')
    assert report.load(p) == {"a": 1}
    p.write_text("[1]")
    assert report.load(p) == {}
    p.write_text("{")
    assert report.load(p) == {}
    p.write_bytes(b"\xff\xfe")
    assert report.load(p) == {}
    link = tmp_path / "l.json"
    target = tmp_path / "t.json"
    target.write_text('{"b": 2}')
    link.symlink_to(target)
    assert report.load(link) == {}
    d = tmp_path / "d.json"
    d.mkdir()
    assert report.load(d) == {}


def test_save(tmp_path: Path) -> None:
    p = tmp_path / "new" / "dir" / "r.json"
    report.save(p, {"b": 1, "a": [1, 2]})
    assert p.read_text(encoding="utf-8") == json.dumps({"b": 1, "a": [1, 2]}, indent=1, sort_keys=True)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644
    assert sorted(x.name for x in p.parent.iterdir()) == ["r.json"]
    target = tmp_path / "precious"
    target.write_text("keep")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    report.save(link, {"x": 1})
    assert target.read_text() == "keep" and not link.is_symlink() and report.load(link) == {"x": 1}
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere")
    report.save(dangling, {"y": 1})
    assert not dangling.is_symlink() and not (tmp_path / "nowhere").exists()
    d = tmp_path / "d.json"
    (d / "sub").mkdir(parents=True)
    report.save(d, {"z": 1})
    assert d.is_file() and report.load(d) == {"z": 1}
    dirlink = tmp_path / "dl.json"
    (tmp_path / "realdir").mkdir()
    (tmp_path / "realdir" / "f").write_text("f")
    dirlink.symlink_to(tmp_path / "realdir")
    report.save(dirlink, {"w": 1})
    assert (tmp_path / "realdir" / "f").read_text() == "f" and report.load(dirlink) == {"w": 1}


def test_save_replaces_from_the_same_folder(tmp_path: Path, monkeypatch) -> None:
    moves = []
    real = os.replace
    monkeypatch.setattr(report.os, "replace", lambda src, dst: moves.append((Path(src).parent, Path(dst))) or real(src, dst))
    p = tmp_path / "sub" / "r.json"
    report.save(p, {"a": 1})
    assert moves == [(p.parent, p)], "the rename is atomic only within one file system"


def test_record_and_summarise(tmp_path: Path) -> None:
    p = report.report_path(tmp_path, "s", "a")
    report.record_seconds(p, 3.14159)
    assert not p.exists(), "no report, no time"
    assert report.record_notebook(p, "a", ["f1", "f2"], ["n1"], "bwrap") is False
    assert report.load(p) == {"notebooks": {"a": {"flagged": True, "flags": ["f1", "f2"], "notes": ["n1"], "sandbox": "bwrap"}}}
    report.record_seconds(p, 3.14159)
    assert report.load(p)["seconds"] == 3.14
    report.record_ungraded(p, "the guard failed")
    assert report.summary(p) == (True, ["not graded (the grader's failure): the guard failed", "f1", "f2"], ["n1"])
    assert report.record_notebook(p, "a", [], [], "") is True
    assert "ungraded" not in report.load(p) and report.summary(p) == (False, [], [])
    assert report.record_notebook(p, "a", [], [], "") is False
    report.record_failure(p, "no notebook submitted", ["a", "b"])
    data = report.load(p)
    assert data["failure"] == "no notebook submitted" and data["seconds"] == 3.14
    assert data["notebooks"] == {nb: {"flagged": True, "flags": ["no notebook submitted"], "notes": [], "sandbox": ""} for nb in ("a", "b")}
    assert report.summary(p) == (True, ["no notebook submitted", "a: no notebook submitted", "b: no notebook submitted"], [])
    report.record_notebook(p, "a", ["x"], [], "")
    assert "failure" not in report.load(p)


def test_summary_of_several_notebooks(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    report.save(p, {"notebooks": {"b": {"flags": ["same", "same"], "notes": [1]}, "a": {"flags": ["one"], "notes": ["n"]}}})
    assert report.summary(p) == (True, ["a: one", "b: same"], ["n", "1"])
    report.save(p, {"notebooks": {"a": {"flags": ["same", "same"]}}})
    assert report.summary(p) == (True, ["same"], [])
    report.save(p, {"notebooks": {"a": {"notes": ["only a note"]}}})
    assert report.summary(p) == (False, [], ["only a note"])
    assert report.summary(tmp_path / "none.json") == (False, [], [])


@pytest.fixture
def course(tmp_path: Path) -> Course:
    c = make_course(tmp_path / "c", ("01_a", "02_b"))
    add_grades(c, "01_a", {"t1": 2, "t2": 3}, {"alice": {"t1": 2, "t2": 3}, "bob": {"t1": 1}})
    return c


def test_gradebook_flag(course: Course) -> None:
    report.set_gradebook_flag("sqlite:////nonexistent/dir/x.db", "01_a", "alice", "01_a", None)
    report.set_gradebook_flag(course.db_url, "01_a", "nobody", "01_a", True)
    report.set_gradebook_flag(course.db_url, "01_a", "alice", "01_a", True)

    def flag() -> bool:
        with course.gradebook() as gb:
            return gb.find_submission_notebook("01_a", "01_a", "alice").flagged

    assert flag() is True
    report.set_gradebook_flag(course.db_url, "01_a", "alice", "01_a", True)
    assert flag() is True
    report.set_gradebook_flag(course.db_url, "01_a", "alice", "01_a", False)
    assert flag() is False


def test_forget_unscored(course: Course) -> None:
    with course.gradebook() as gb:
        gb.update_or_create_student("carol")
        gb.add_submission("01_a", "carol")
        gb.update_or_create_student("dave")
        gb.add_submission("01_a", "dave")
        g = gb.find_grade("t2", "01_a", "01_a", "dave")
        g.manual_score = 1
        gb.db.commit()
    report.forget_unscored(course.db_url, "01_a", "nobody")
    report.forget_unscored(course.db_url, "01_a", "carol")
    report.forget_unscored(course.db_url, "01_a", "dave")
    report.forget_unscored(course.db_url, "01_a", "bob")
    assert course.score("01_a", "carol") is None
    assert course.score("01_a", "dave") is not None and course.score("01_a", "bob") is not None


# coursedir ---------------------------------------------------------------------------------

def test_score_percent() -> None:
    assert Score("s", "a", 1, 4, {}).percent == 25.0
    assert Score("s", "a", 1, 0, {}).percent == 0.0


def test_ensure_tools_on_path(monkeypatch) -> None:
    bindir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", os.pathsep.join(["/a", bindir, "/b"]))
    coursedir.ensure_tools_on_path()
    assert os.environ["PATH"] == os.pathsep.join([bindir, "/a", "/b"])
    coursedir.ensure_tools_on_path()
    assert os.environ["PATH"] == os.pathsep.join([bindir, "/a", "/b"])
    monkeypatch.setenv("PATH", os.pathsep.join([bindir, "/a", bindir]))
    coursedir.ensure_tools_on_path()
    assert os.environ["PATH"] == os.pathsep.join([bindir, "/a", bindir]), "already first: left alone"
    monkeypatch.delenv("PATH")
    coursedir.ensure_tools_on_path()
    assert os.environ["PATH"] == os.pathsep.join([bindir, ""])


def test_coursedir_of_a_preprocessor() -> None:
    """A grading preprocessor finds the course folder through its exporter's converter (nbgrader's
    Autograde app); run outside one (a test, a bare exporter) it gets None, never an error."""
    cd = object()
    converter = SimpleNamespace(coursedir=cd)
    assert coursedir.coursedir_of(SimpleNamespace(parent=SimpleNamespace(parent=converter))) is cd
    assert coursedir.coursedir_of(SimpleNamespace(parent=SimpleNamespace(parent=object()))) is None
    assert coursedir.coursedir_of(SimpleNamespace(parent=object())) is None
    assert coursedir.coursedir_of(SimpleNamespace(parent=None)) is None


def test_quiet_traitlets() -> None:
    logging.getLogger("traitlets").setLevel(logging.DEBUG)
    coursedir._quiet_traitlets()
    assert logging.getLogger("traitlets").level == logging.ERROR


def test_course_root(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(CourseError) as err:
        Course(tmp_path)
    assert str(err.value) == f"{tmp_path.resolve()} has no nbgrader_config.py: is this the course repository?"
    c = make_course(tmp_path / "c")
    sub = c.root / "source" / "01_a"
    assert coursedir._find_root(sub) == c.root
    assert coursedir._find_root(tmp_path) is None
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "nbgrader_config.py").write_text("")
    assert coursedir._find_root(tmp_path / "d") is None, "a config without source/ is not a course"
    monkeypatch.chdir(sub)
    assert Course().root == c.root
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(coursedir, "repo_root", lambda: None)
    with pytest.raises(CourseError) as err:
        Course()
    assert str(err.value) == "no nbgrader_config.py here or above: run this inside the course repository"
    monkeypatch.setattr(coursedir, "repo_root", lambda: c.root)
    assert Course().root == c.root
    assert Course(str(c.root / "source" / "..")).root == c.root


def test_db_url(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    c = make_course(tmp_path / "c")
    plain = Course(c.root)
    assert plain.db_url == f"sqlite:///{c.root / 'gradebook.db'}"
    monkeypatch.setenv("COURSE_DB_URL", "postgresql://x/y")
    assert plain.db_url == "postgresql://x/y"
    assert Course(c.root, db_url="sqlite:////o.db").db_url == "sqlite:////o.db"
    (c.root / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.db_url = 'sqlite:////cfg.db'\n")
    assert plain.db_url == "sqlite:////cfg.db"
    assert Course(c.root, db_url="sqlite:////o.db").db_url == "sqlite:////o.db"
    cfg = plain.config()
    assert cfg.CourseDirectory.root == str(c.root)


def test_api_is_made_once(tmp_path: Path) -> None:
    c = make_course(tmp_path / "c")
    api = c.api
    assert api is c.api
    assert api.coursedir.root == str(c.root) and api.log.level == logging.ERROR
    assert api.gradebook_url == c.db_url if hasattr(api, "gradebook_url") else api.coursedir.db_url == c.db_url


def test_assignments_and_submissions(tmp_path: Path) -> None:
    c = make_course(tmp_path / "c", ("02_b", "01_a"))
    (c.root / "source" / "03_nothing").mkdir()
    (c.root / "source" / "04_file.ipynb").write_text("{}")
    assert c.assignments() == ["01_a", "02_b"]
    assert c.require_assignment("01_a") == "01_a"
    with pytest.raises(CourseError) as err:
        c.require_assignment("09_z")
    assert str(err.value) == "unknown assignment '09_z': the course has 01_a, 02_b"
    assert c.source_notebook("01_a") == c.root / "source" / "01_a" / "01_a.ipynb"
    assert c.release_notebook("01_a") == c.root / "release" / "01_a" / "01_a.ipynb"
    assert c.submitted_students("01_a") == []
    for s in ("bob", "alice"):
        (c.root / "submitted" / s / "01_a").mkdir(parents=True)
    (c.root / "submitted" / "carol" / "02_b").mkdir(parents=True)
    (c.root / "submitted" / "file").write_text("")
    assert c.submitted_students("01_a") == ["alice", "bob"]
    empty = make_course(tmp_path / "e", ())
    assert empty.assignments() == []
    (empty.root / "source").mkdir()
    assert empty.assignments() == []
    with pytest.raises(CourseError) as err:
        empty.require_assignment("01_a")
    assert str(err.value) == "unknown assignment '01_a': the course has none"


def test_scores(course: Course) -> None:
    assert course.score("01_a", "nobody") is None
    assert course.score("01_a", "bob") == Score("bob", "01_a", 1.0, 5.0, {"t1": (1.0, 2.0), "t2": (0.0, 3.0)})
    add_grades(course, "02_b", {"u": 1}, {"alice": {"u": 1}})
    assert [(s.assignment, s.student, s.score) for s in course.scores()] == [
        ("01_a", "alice", 5.0), ("01_a", "bob", 1.0), ("02_b", "alice", 1.0)]


def test_run_api_captures_every_output(capfd) -> None:
    def call(a, b=0):
        print("py out")
        sys.stderr.write("py err\n")
        os.write(1, b"fd out \xff\n")
        os.write(2, b"fd err\n")
        return {"success": True, "args": (a, b), "log": "earlier\n"}

    result = coursedir.run_api(call, 1, b=2)
    assert result["args"] == (1, 2) and result["success"] is True
    assert result["log"] == "earlier\npy out\npy err\nfd out \ufffd\nfd err\n"
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert coursedir.run_api(lambda: {"log": None})["log"] == ""
    assert coursedir.run_api(lambda: {})["log"] == ""
    os.write(1, b"after\n")
    assert capfd.readouterr().out == "after\n"

    def boom():
        raise ValueError("x")

    with pytest.raises(ValueError):
        coursedir.run_api(boom)
    os.write(2, b"still here\n")
    assert capfd.readouterr().err == "still here\n"


def test_last_error_line() -> None:
    ours = {"error": "Traceback\ncourse grader failure: the guard " + "x" * 400, "log": "ValueError: no"}
    assert coursedir.last_error_line(ours) == ("the guard " + "x" * 400)[:300]
    log = "[INFO] start\nValueError: bad thing\n[INFO] done\nPlease see the above traceback\nThere was an error processing assignment x"
    assert coursedir.last_error_line({"log": log}) == "ValueError: bad thing"
    assert coursedir.last_error_line({"error": None, "log": "  it failed  \n\n"}) == "it failed"
    assert coursedir.last_error_line({"log": "a Exception b\nerror: c\nTraceback (most recent call last) Error"}) == "error: c"
    assert coursedir.last_error_line({"error": "just text\nmore text"}) == "more text"
    assert coursedir.last_error_line({"log": "y" * 500}) == "y" * 300
    assert coursedir.last_error_line({"log": "Error " + "z" * 500}) == ("Error " + "z" * 500)[:300]
    assert coursedir.last_error_line({}) == "nbgrader reported a failure without a message"
    assert coursedir.last_error_line({"log": "Please see the error log\n"}) == "nbgrader reported a failure without a message"
    assert coursedir.last_error_line({"log": "a\nPlease see the the above traceback"}) == "a"
    assert coursedir.last_error_line({"error": "x failed", "log": "y"}) == "x failed"


def test_scratch_course_and_submit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COURSE_DB_URL", "postgresql://shared/db")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    import time

    time.tzset()
    c = make_course(tmp_path / "c", ("01_a", "02_b"))
    (c.root / "source" / "01_a" / "data.csv").write_text("1")
    scratch = coursedir.scratch_course(c, tmp_path / "s" / "t", ["01_a"])
    assert scratch.root == (tmp_path / "s" / "t").resolve()
    assert scratch.db_url == f"sqlite:///{tmp_path / 's' / 't' / 'gradebook.db'}"
    assert (scratch.root / "nbgrader_config.py").read_text() == (c.root / "nbgrader_config.py").read_text()
    assert scratch.assignments() == ["01_a"] and (scratch.root / "source" / "01_a" / "data.csv").read_text() == "1"
    coursedir.scratch_course(c, tmp_path / "s" / "t", ["01_a"])  # again: no error
    nb = tmp_path / "mine.ipynb"
    nbformat.write(new_notebook(), str(nb))
    target = coursedir.submit(c, "01_a", "alice", nb)
    assert target == c.root / "submitted" / "alice" / "01_a"
    assert (target / "01_a.ipynb").read_bytes() == nb.read_bytes()
    stamp = (target / "timestamp.txt").read_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} UTC", stamp)
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert abs((datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f UTC") - now).total_seconds()) < 600, "in UTC"
    monkeypatch.delenv("TZ")
    time.tzset()
    (target / "old.txt").write_text("old")
    coursedir.submit(c, "01_a", "alice", nb)
    assert sorted(p.name for p in target.iterdir()) == ["01_a.ipynb", "timestamp.txt"]
