"""course.grading.autograde, .parallel and .feedback pinned down in-process: nbgrader's API is
replaced by fakes that write what nbgrader would (no kernels); the oracle of `make mutation`."""

from __future__ import annotations

import os
import types
import warnings
from pathlib import Path

import pytest
from tinycourse import add_grades, make_course

from course.grading import autograde, feedback, parallel, report
from course.grading.autograde import Outcome
from course.grading.coursedir import Course, CourseError, Score

warnings.filterwarnings("ignore", message=".*not in session.*")


@pytest.fixture
def course(tmp_path: Path) -> Course:
    c = make_course(tmp_path / "c", ("01_a", "02_b"))
    add_grades(c, "01_a", {"t1": 2, "t2": 3}, {"alice": {"t1": 2, "t2": 3}})
    for s in ("alice", "bob"):
        (c.root / "submitted" / s / "01_a").mkdir(parents=True)
    return c


def _fake_api(course: Course, results: dict) -> list:
    calls = []

    def autograde_call(assignment, student, force, create):
        calls.append((assignment, student, force, create))
        r = results[student]
        return r(course) if callable(r) else dict(r)

    course._api = types.SimpleNamespace(autograde=autograde_call)
    return calls


# autograde ---------------------------------------------------------------------------------

def test_check_students(course: Course) -> None:
    assert autograde._check_students(course, "01_a", None) == ["alice", "bob"]
    assert autograde._check_students(course, "01_a", "bob") == ["bob"]
    with pytest.raises(CourseError) as err:
        autograde._check_students(course, "01_a", "carol")
    assert str(err.value) == ("no submission for student 'carol': expected the folder submitted/carol/01_a/ "
                              "(use `nbgrader collect` or copy the notebook there)")
    with pytest.raises(CourseError) as err:
        autograde._check_students(course, "02_b", None)
    assert str(err.value) == "02_b is not in the gradebook yet: run `course release 02_b` first"
    with course.gradebook() as gb:
        gb.update_or_create_assignment("02_b")
    with pytest.raises(CourseError) as err:
        autograde._check_students(course, "02_b", None)
    assert str(err.value) == "no submissions for 02_b: expected folders submitted/<student>/02_b/"
    with pytest.raises(CourseError, match="unknown assignment '09_z'"):
        autograde._check_students(course, "09_z", None)


def test_grader_failures() -> None:
    assert autograde.GRADER_FAILURES == ("course grader failure:", "a sandbox is required", "error accessing the nbgrader database",
                                         "No assignment with ID", "OperationalError", "database is locked")


def test_autograde_one_success_records_time_and_flags(course: Course) -> None:
    calls = _fake_api(course, {"alice": {"success": True}})
    path = report.report_path(course.root / "autograded", "alice", "01_a")
    report.record_notebook(path, "01_a", ["r1", "r2", "r3", "r4"], [], "")
    out = autograde.autograde_one(course, "01_a", "alice", force=False)
    assert calls == [("01_a", "alice", False, True)]
    assert out.ok and out.student == "alice" and out.assignment == "01_a"
    assert out.message == "flagged for review: r1; r2; r3"
    assert out.score == course.score("01_a", "alice") and 0 <= out.seconds < 60
    assert report.load(path)["seconds"] == round(out.seconds, 2)
    report.record_notebook(path, "01_a", [], [], "")
    assert autograde.autograde_one(course, "01_a", "alice").message == ""
    assert calls[-1] == ("01_a", "alice", True, True)


@pytest.mark.parametrize("marker", autograde.GRADER_FAILURES)
def test_a_grader_failure_leaves_the_student_ungraded(course: Course, marker: str) -> None:
    _fake_api(course, {"bob": {"success": False, "error": None, "log": f"x\nValueError: {marker} here\nPlease see the error log"}})
    out = autograde.autograde_one(course, "01_a", "bob")
    assert (out.student, out.ok, out.score, out.assignment) == ("bob", False, None, "01_a")
    assert isinstance(out.seconds, float) and 0 <= out.seconds < 60
    assert out.message.startswith("not graded: ")
    assert course.score("01_a", "bob") is None
    _fake_api(course, {"bob": {"success": False, "error": f"{marker}", "log": None}})
    assert not autograde.autograde_one(course, "01_a", "bob").ok


def test_a_submission_nbgrader_cannot_grade_scores_zero(course: Course) -> None:
    (course.root / "submitted" / "bob" / "01_a" / "notes.txt").write_text("x")
    _fake_api(course, {"bob": {"success": False, "error": "", "log": "boom failed"}})
    out = autograde.autograde_one(course, "01_a", "bob")
    reason = "no notebook submitted (expected 01_a.ipynb; the folder holds notes.txt)"
    assert (out.student, out.assignment, out.ok, out.message) == ("bob", "01_a", True, f"graded 0: {reason}")
    assert isinstance(out.seconds, float) and 0 <= out.seconds < 60
    assert list(report.load(report.report_path(course.root / "autograded", "bob", "01_a"))["notebooks"]) == ["01_a"]
    assert out.score == Score("bob", "01_a", 0.0, 5.0, {"t1": (0.0, 2.0), "t2": (0.0, 3.0)})
    with course.gradebook() as gb:
        snb = gb.find_submission_notebook("01_a", "01_a", "bob")
        assert snb.flagged and all(g.auto_score == 0 and not g.needs_manual_grade for g in snb.grades)
    assert report.summary(report.report_path(course.root / "autograded", "bob", "01_a")) == (True, [reason], [])
    assert course.score("01_a", "alice").score == 5.0, "nobody else's rows are touched"


def test_failure_reasons(course: Course) -> None:
    import nbformat
    from nbformat.v4 import new_notebook

    def reason(student):
        return autograde._failure_reason(course, "01_a", student, {"error": "", "log": "KeyError: 'x'"})

    assert reason("nobody") == "no notebook submitted (expected 01_a.ipynb)"
    assert reason("bob") == "no notebook submitted (expected 01_a.ipynb)"
    folder = course.root / "submitted" / "bob" / "01_a"
    for k in range(7):
        (folder / f"f{k}.txt").write_text("")
    assert reason("bob") == "no notebook submitted (expected 01_a.ipynb; the folder holds f0.txt, f1.txt, f2.txt, f3.txt, f4.txt)"
    for k in range(6):
        nbformat.write(new_notebook(), str(folder / f"n{k}.ipynb"))
    assert reason("bob") == "the notebook is missing: expected 01_a.ipynb, found n0.ipynb, n1.ipynb, n2.ipynb, n3.ipynb, n4.ipynb"
    nbformat.write(new_notebook(), str(folder / "01_a.ipynb"))
    assert reason("bob") == "nbgrader could not grade the submission: KeyError: 'x'"
    _fake_api(course, {"bob": {"success": False, "error": "", "log": "KeyError: 'cells'"}})
    out = autograde.autograde_one(course, "01_a", "bob")
    assert out.message == "graded 0: nbgrader could not grade the submission: KeyError: 'cells'"
    nbformat.write(new_notebook(), str(course.root / "source" / "01_a" / "extra.ipynb"))
    assert reason("bob") == "nbgrader could not grade the submission: KeyError: 'x'"
    assert reason("nobody") == "no notebook submitted (expected 01_a.ipynb, extra.ipynb)"
    (folder / "01_a.ipynb").unlink()
    assert reason("bob").startswith("the notebook is missing: expected 01_a.ipynb, extra.ipynb, found n0.ipynb")


def test_grading_as_zero_when_the_gradebook_fails(course: Course, monkeypatch) -> None:
    _fake_api(course, {"bob": {"success": False, "log": "x"}})

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(autograde, "_grade_as_zero", broken)
    out = autograde.autograde_one(course, "01_a", "bob")
    assert (out.student, out.assignment, out.ok, out.score) == ("bob", "01_a", False, None)
    assert isinstance(out.seconds, float) and 0 <= out.seconds < 60
    assert out.message == "no notebook submitted (expected 01_a.ipynb); and it could not be recorded: disk full"


def test_grade_as_zero_of_an_unknown_submission(course: Course) -> None:
    autograde._grade_as_zero(course, "01_a", "newcomer", "why")
    assert course.score("01_a", "newcomer").score == 0.0
    assert report.load(report.report_path(course.root / "autograded", "newcomer", "01_a"))["failure"] == "why"


# parallel ----------------------------------------------------------------------------------

def test_shareable_db_url() -> None:
    assert parallel.shareable_db_url("sqlite:///a.db") == "sqlite:///a.db?timeout=300"
    assert parallel.shareable_db_url("sqlite:///a.db?x=1") == "sqlite:///a.db?x=1&timeout=300"
    assert parallel.shareable_db_url("sqlite:///a.db?timeout=5") == "sqlite:///a.db?timeout=5"
    assert parallel.shareable_db_url("postgresql://h/db") == "postgresql://h/db"


def test_prepare_gradebook_uses_wal(tmp_path: Path) -> None:
    import sqlite3

    c = make_course(tmp_path / "c")
    parallel.prepare_gradebook(c)
    with sqlite3.connect(tmp_path / "c" / "gradebook.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert "assignment" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    c2 = Course(c.root, db_url=f"sqlite:///{tmp_path / 'q.db'}?timeout=3")
    parallel.prepare_gradebook(c2)
    with sqlite3.connect(tmp_path / "q.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_prepare_gradebook_switches_the_file_sqlalchemy_opens(tmp_path: Path, monkeypatch) -> None:
    import contextlib
    import sqlite3

    from sqlalchemy.engine import make_url

    url = f"sqlite:///{tmp_path / 'g.db'}?timeout=3?x=1"
    assert make_url(url).database == str(tmp_path / "g.db")
    connects, real = [], sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda path, **kw: connects.append((path, kw)) or real(path, **kw))
    opened = []
    fake = types.SimpleNamespace(db_url=url, gradebook=lambda: opened.append(1) or contextlib.nullcontext())
    parallel.prepare_gradebook(fake)
    assert opened == [1] and connects == [(str(tmp_path / "g.db"), {"timeout": 300})]
    with real(tmp_path / "g.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert not [p.name for p in tmp_path.iterdir() if "?" in p.name], "no stray file named after the query string"


def test_already_graded(course: Course) -> None:
    graded = course.root / "autograded" / "alice" / "01_a"
    assert not parallel.already_graded(course, "01_a", "alice")
    graded.mkdir(parents=True)
    assert not parallel.already_graded(course, "01_a", "alice")
    (graded / "01_a.ipynb").write_text("{}")
    assert parallel.already_graded(course, "01_a", "alice"), "no timestamps on either side: the same"
    (graded / "timestamp.txt").write_text("2026-01-01 10:00:00 UTC\n")
    assert not parallel.already_graded(course, "01_a", "alice")
    (course.root / "submitted" / "alice" / "01_a" / "timestamp.txt").write_text("2026-01-01 10:00:00 UTC")
    assert parallel.already_graded(course, "01_a", "alice")
    bob = course.root / "autograded" / "bob" / "01_a"
    bob.mkdir(parents=True)
    (bob / "01_a.ipynb").write_text("{}")
    assert not parallel.already_graded(course, "01_a", "bob"), "not in the gradebook"


def test_share_cores(monkeypatch) -> None:
    for var in parallel.THREAD_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "7")
    parallel.share_cores(0)
    assert [os.environ[v] for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")] == ["1", "7", "1"]
    monkeypatch.delenv("OMP_NUM_THREADS")
    parallel.share_cores(3)
    assert os.environ["OMP_NUM_THREADS"] == "3"


def test_grade_task_and_outcome(course: Course, monkeypatch) -> None:
    seen = []

    def fake_one(c, a, s, force):
        seen.append((c, a, s, force))
        return Outcome(s, True, 1.5, Score(s, a, 1.0, 2.0, {"t": (1.0, 2.0)}), "m", a)

    monkeypatch.setattr(parallel, "autograde_one", fake_one)
    monkeypatch.setattr(parallel, "_WORKER_COURSES", {})
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    data = parallel.grade_task(str(course.root), course.db_url, "01_a", "alice", threads=2)
    assert os.environ["OMP_NUM_THREADS"] == "2"
    assert data == {"student": "alice", "ok": True, "seconds": 1.5, "message": "m", "score": (1.0, 2.0, {"t": (1.0, 2.0)}),
                    "host": os.uname().nodename, "pid": os.getpid()}
    parallel._grade_here(str(course.root), course.db_url, "01_a", "bob")
    assert seen[0][0] is seen[1][0] and seen[0][1:] == ("01_a", "alice", True)
    assert seen[0][0].db_url == course.db_url
    other = make_course(course.root.parent / "other")
    other_url = f"sqlite:///{course.root.parent / 'other.db'}"
    parallel._grade_here(str(other.root), other_url, "01_a", "carol")
    assert (seen[2][0].root, seen[2][0].db_url) == (other.root, other_url), "each course and gradebook gets its own Course"
    assert seen[2][0] is not seen[0][0]
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.setattr(parallel, "autograde_one", lambda c, a, s, force: Outcome(s, False, 0.5, None, "not graded: x", a))
    data_none = parallel.grade_task(str(course.root), course.db_url, "01_a", "dan")
    assert os.environ["OMP_NUM_THREADS"] == "1", "a Dask worker (no threads given) runs each kernel on one thread"
    assert (data_none["ok"], data_none["score"], data_none["message"]) == (False, None, "not graded: x")
    out = parallel._outcome("01_a", data)
    assert out == Outcome("alice", True, 1.5, Score("alice", "01_a", 1.0, 2.0, {"t": (1.0, 2.0)}), "m", "01_a")
    none = parallel._outcome("01_a", {**data, "score": None, "ok": False})
    assert none == Outcome("alice", False, 1.5, None, "m", "01_a")


def test_progress_lines(monkeypatch) -> None:
    clock = iter([100.0, 110.0, 130.0, 0.0])
    monkeypatch.setattr(parallel.time, "perf_counter", lambda: next(clock))
    lines = []
    p = parallel.Progress(4, lines.append)
    p.update(Outcome("alice", True, 2.25, Score("alice", "01_a", 1.5, 2.0, {}), "", "01_a"))
    p.label = True
    p.update(Outcome("bob", False, 0.0, None, "boom", "01_a"))
    assert lines == [
        "[1/4] alice: 1.5/2 in 2.2 s | failures 0 | elapsed 10 s, about 30 s left",
        "[2/4] 01_a/bob: FAILED (boom) in 0.0 s | failures 1 | elapsed 30 s, about 30 s left",
    ]
    assert (p.done, p.failed) == (2, 1)
    p2 = parallel.Progress(1, lines.append)
    assert (p2.done, p2.failed, p2.label) == (0, 0, False)
    monkeypatch.setattr(parallel.time, "perf_counter", lambda: 5.0)
    p3 = parallel.Progress(3, lines.append)
    for out in (Outcome("a", False, 1.0, None, "x", "01_a"), Outcome("b", True, 1.0, Score("b", "01_a", 1, 1, {}), "", "01_a"),
                Outcome("c", False, 1.0, Score("c", "01_a", 1, 1, {}), "stale", "01_a")):
        p3.update(out)
    assert p3.failed == 2 and lines[-1].startswith("[3/3] c: FAILED (stale) in 1.0 s | failures 2 |")


def test_collect_survives_a_broken_worker() -> None:
    class Fut:
        def __init__(self, value):
            self.value = value

        def result(self):
            if isinstance(self.value, Exception):
                raise self.value
            return self.value

    good = {"student": "alice", "ok": True, "seconds": 1.0, "message": "", "score": (2.0, 2.0, {})}
    futures = {Fut(good): ("01_a", "alice"), Fut(OSError("lost")): ("01_a", "bob")}
    lines = []
    outs = parallel._collect(futures, parallel.Progress(2, lines.append), completed=lambda fs: fs)
    assert outs[0] == Outcome("alice", True, 1.0, Score("alice", "01_a", 2.0, 2.0, {}), "", "01_a")
    assert outs[1] == Outcome("bob", False, 0.0, None, "the grading worker failed: OSError: lost", "01_a")
    assert len(lines) == 2 and lines[1].startswith("[2/2] bob: FAILED (the grading worker failed: OSError: lost)")


@pytest.fixture
def fake_grading(course: Course, monkeypatch):
    graded = []

    def here(root, db_url, a, s):
        graded.append((root, db_url, a, s))
        return {"student": s, "ok": s != "bob", "seconds": 0.5, "message": "" if s != "bob" else "bad",
                "score": (1.0, 2.0, {}) if s != "bob" else None}

    monkeypatch.setattr(parallel, "_grade_here", here)
    monkeypatch.setattr(parallel, "run_canaries", lambda c, names: graded.append(("canaries", tuple(names))) if c is course else None)
    return graded


def test_autograde_many_in_this_process(course: Course, fake_grading, monkeypatch) -> None:
    lines = []
    outs, skipped = parallel.autograde_many(course, "01_a", jobs=1, say=lines.append)
    assert skipped == []
    assert [(o.assignment, o.student, o.ok) for o in outs] == [("01_a", "alice", True), ("01_a", "bob", False)]
    assert fake_grading[0] == ("canaries", ("01_a",))
    assert fake_grading[1:] == [(str(course.root), course.db_url + "?timeout=300", "01_a", s) for s in ("alice", "bob")]
    assert lines[0].startswith("[1/2] alice: 1/2 in 0.5 s") and lines[1].startswith("[2/2] bob: FAILED (bad)")
    fake_grading.clear()
    outs, _ = parallel.autograde_many(course, "01_a", "bob", jobs=4, say=lines.append)
    assert [o.student for o in outs] == ["bob"] and len(fake_grading) == 2


def test_autograde_many_skips_what_is_graded(course: Course, fake_grading, monkeypatch) -> None:
    monkeypatch.setattr(parallel, "already_graded", lambda c, a, s: s == "alice")
    lines = []
    outs, skipped = parallel.autograde_many(course, ["01_a"], jobs=1, say=lines.append)
    assert skipped == ["01_a/alice"] and [o.student for o in outs] == ["bob"]
    assert lines[0] == "skipping 1 submission(s) already graded (use --force to grade them again)"
    outs, skipped = parallel.autograde_many(course, ["01_a"], jobs=1, force=True, say=lines.append)
    assert skipped == [] and len(outs) == 2
    monkeypatch.setattr(parallel, "already_graded", lambda c, a, s: True)
    fake_grading.clear()
    assert parallel.autograde_many(course, "01_a", jobs=1, say=lines.append) == ([], ["01_a/alice", "01_a/bob"])
    assert fake_grading == []


def test_autograde_many_of_several_assignments(course: Course, fake_grading) -> None:
    add_grades(course, "02_b", {"u": 1}, {})
    (course.root / "submitted" / "carol" / "02_b").mkdir(parents=True)
    lines = []
    outs, _ = parallel.autograde_many(course, ["02_b", "01_a"], jobs=1, say=lines.append)
    assert [(o.assignment, o.student) for o in outs] == [("01_a", "alice"), ("01_a", "bob"), ("02_b", "carol")]
    assert fake_grading[0] == ("canaries", ("01_a", "02_b"))
    assert lines[0].startswith("[1/3] 02_b/carol: ")
    outs, _ = parallel.autograde_many(course, ["02_b", "01_a"], jobs=1, say=lines.append, only=[("01_a", "bob")])
    assert [(o.assignment, o.student) for o in outs] == [("01_a", "bob")]
    with pytest.raises(CourseError, match="no submission for student 'alice'"):
        parallel.autograde_many(course, ["02_b", "01_a"], "alice", jobs=1, say=lines.append)
    (course.root / "submitted" / "alice" / "02_b").mkdir(parents=True)
    outs, _ = parallel.autograde_many(course, ["02_b", "01_a"], "alice", jobs=1, say=lines.append)
    assert [(o.assignment, o.student) for o in outs] == [("01_a", "alice"), ("02_b", "alice")]
    with pytest.raises(CourseError, match="unknown assignment '09_z'"):
        parallel.autograde_many(course, ["01_a", "09_z"], jobs=1, say=lines.append)


def test_autograde_many_errors(course: Course, fake_grading) -> None:
    with pytest.raises(CourseError) as err:
        parallel.autograde_many(course, "01_a", jobs=1, say=print, only=[])
    assert str(err.value) == "no submissions for 01_a: expected folders submitted/<student>/<assignment>/"
    with course.gradebook() as gb:
        gb.update_or_create_assignment("02_b")
    with pytest.raises(CourseError) as err:
        parallel.autograde_many(course, ["01_a", "02_b"], jobs=1, say=print, only=[])
    assert str(err.value) == "no submissions for 01_a, 02_b: expected folders submitted/<student>/<assignment>/"
    with pytest.raises(CourseError) as err:
        parallel.autograde_many(course, "01_a", scheduler="tcp://h:1", say=print)
    assert str(err.value) == ("a Dask cluster needs a server gradebook that every worker can reach: "
                              "set COURSE_DB_URL=postgresql://user@host/db")
    assert fake_grading == []


def test_autograde_many_on_a_pool_or_a_cluster(course: Course, fake_grading, monkeypatch) -> None:
    seen = {}

    class Pool:
        def __init__(self, max_workers, mp_context):
            seen["pool"] = (max_workers, mp_context.get_start_method())

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, fn, *args):
            seen.setdefault("tasks", []).append((fn, args))
            return args

    lines = []

    def collect(futures, progress):
        outs = [Outcome(s, True, 0.0, None, "", a) for a, s in reversed(list(futures.values()))]
        for o in outs:
            progress.update(o)
        return outs

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(parallel, "_collect", collect)
    monkeypatch.setattr(parallel, "default_jobs", lambda: 8)
    outs, _ = parallel.autograde_many(course, "01_a", jobs=3, say=lines.append)
    assert seen["pool"] == (2, "spawn") and [x[:10] for x in lines] == ["[1/2] bob:", "[2/2] alic"]
    url = course.db_url + "?timeout=300"
    assert seen["tasks"] == [(parallel.grade_task, (str(course.root), url, "01_a", s, 4)) for s in ("alice", "bob")]
    assert [o.student for o in outs] == ["alice", "bob"]
    seen.clear()
    parallel.autograde_many(course, "01_a", say=print)
    assert seen["pool"] == (2, "spawn") and seen["tasks"][0][1][-1] == 4
    seen.clear()
    monkeypatch.setattr(parallel, "default_jobs", lambda: 3)
    parallel.autograde_many(course, "01_a", jobs=2, say=print)
    assert seen["pool"] == (2, "spawn") and [t[1][-1] for t in seen["tasks"]] == [1, 1], "3 cores for 2 kernels: one thread each"
    dask = []
    monkeypatch.setattr(parallel, "_run_dask", lambda sch, root, url, todo, progress: dask.append((sch, root, url, todo, progress)) or [])
    pg = Course(course.root, db_url="postgresql://u@h/db")
    monkeypatch.setattr(parallel, "prepare_gradebook", lambda c: None)
    monkeypatch.setattr(parallel, "already_graded", lambda c, a, s: False)
    monkeypatch.setattr(autograde, "_check_students", lambda c, a, s: ["alice"])
    monkeypatch.setattr(parallel, "_check_students", lambda c, a, s: ["alice"])
    parallel.autograde_many(pg, "01_a", scheduler="tcp://h:1", say=print)
    assert dask[0][:4] == ("tcp://h:1", str(course.root), "postgresql://u@h/db", [("01_a", "alice")])
    assert isinstance(dask[0][4], parallel.Progress) and dask[0][4].total == 1


def test_run_canaries(course: Course, monkeypatch) -> None:
    from course.grading import canary
    from course.grading.protocol import GraderFailure

    seen = []

    def ensure(root, a):
        seen.append((root, a))
        if a == "02_b":
            raise GraderFailure("canary: broken")

    monkeypatch.setattr(canary, "ensure", ensure)
    parallel.run_canaries(course, ["01_a"])
    with pytest.raises(CourseError) as err:
        parallel.run_canaries(course, ["01_a", "02_b"])
    assert str(err.value) == "canary: broken" and err.value.__cause__ is None
    assert seen == [(course.root, "01_a"), (course.root, "01_a"), (course.root, "02_b")]


def test_run_dask_reports_an_unreachable_scheduler(monkeypatch) -> None:
    import distributed

    def client(address, timeout):
        assert timeout == "20s"
        raise OSError("refused")

    monkeypatch.setattr(distributed, "Client", client)
    with pytest.raises(CourseError) as err:
        parallel._run_dask("tcp://h:1", "/r", "u", [], parallel.Progress(0, print))
    assert str(err.value) == "cannot reach the Dask scheduler at tcp://h:1: refused"


def test_run_dask_without_distributed(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(CourseError) as err:
        parallel._run_dask("tcp://h:1", "/r", "u", [], parallel.Progress(0, print))
    assert str(err.value) == "--scheduler needs the 'distributed' package (pip install distributed)"


def test_run_dask_submits_every_pair(monkeypatch) -> None:
    import distributed

    class Client:
        def __init__(self, address, timeout):
            self.submitted = submitted
            assert (address, timeout) == ("tcp://h:1", "20s")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, fn, *args, pure, key):
            self.submitted.append((fn, args, pure, key))
            return key

    submitted = []
    monkeypatch.setattr(distributed, "Client", Client)
    got = {}
    monkeypatch.setattr(parallel, "_collect", lambda futures, progress, completed: got.update(futures=futures, progress=progress, completed=completed) or [])
    progress = parallel.Progress(2, print)
    parallel._run_dask("tcp://h:1", "/r", "u", [("01_a", "alice"), ("02_b", "bob")], progress)
    assert got["futures"] == {"grade-01_a-alice": ("01_a", "alice"), "grade-02_b-bob": ("02_b", "bob")}
    assert submitted == [(parallel.grade_task, ("/r", "u", "01_a", "alice"), False, "grade-01_a-alice"),
                         (parallel.grade_task, ("/r", "u", "02_b", "bob"), False, "grade-02_b-bob")]
    assert got["progress"] is progress
    assert got["completed"] is distributed.as_completed


def test_default_jobs(monkeypatch) -> None:
    assert parallel.default_jobs() == len(os.sched_getaffinity(0))
    monkeypatch.delattr(parallel.os, "sched_getaffinity")  # macOS
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 5)
    assert parallel.default_jobs() == 5
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: None)
    assert parallel.default_jobs() == 1


# feedback ----------------------------------------------------------------------------------

def test_feedback(course: Course) -> None:
    calls = []

    def generate(assignment, student_id, force):
        calls.append((assignment, student_id, force))
        for s in ("alice", "bob"):
            out = course.root / "feedback" / s / assignment
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{assignment}.html").write_text("<html>")
        return {"success": True}

    course._api = types.SimpleNamespace(generate_feedback=generate)
    with pytest.raises(CourseError) as err:
        feedback.feedback(course, "01_a")
    assert str(err.value) == "nothing autograded for 01_a yet: run `course autograde 01_a` first"
    with pytest.raises(CourseError) as err:
        feedback.feedback(course, "01_a", "bob")
    assert str(err.value) == "nothing autograded for bob in 01_a yet: run `course autograde 01_a --student bob` first"
    for s in ("bob", "alice"):
        (course.root / "autograded" / s / "01_a").mkdir(parents=True)
    (course.root / "autograded" / "carol" / "02_b").mkdir(parents=True)
    paths = feedback.feedback(course, "01_a")
    assert calls == [("01_a", None, True)]
    assert paths == [course.root / "feedback" / s / "01_a" / "01_a.html" for s in ("alice", "bob")]
    feedback.feedback(course, "01_a", "bob")
    assert calls[-1] == ("01_a", "bob", True)
    for who in ("carol", "nobody"):
        with pytest.raises(CourseError) as err:
            feedback.feedback(course, "01_a", who)
        assert str(err.value) == f"nothing autograded for {who} in 01_a yet: run `course autograde 01_a --student {who}` first"
    assert calls[-1] == ("01_a", "bob", True), "nbgrader is not asked for feedback nobody can have"
    course._api = types.SimpleNamespace(generate_feedback=lambda *a, **k: {"success": False, "log": "KeyError: nb"})
    with pytest.raises(CourseError) as err:
        feedback.feedback(course, "01_a")
    assert str(err.value) == "01_a: nbgrader could not generate feedback: KeyError: nb"
    with pytest.raises(CourseError, match="unknown assignment"):
        feedback.feedback(course, "09_z")
