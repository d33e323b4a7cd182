"""course.grading.release and .canary pinned down in-process (nbgrader's API, the sandbox probe
and the canary's subprocess replaced by fakes): the oracle of `make mutation`."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import types
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_notebook, new_output
from tinycourse import code_cell, make_course

from course.grading import canary, coursedir, release
from course.grading.coursedir import Course, CourseError
from course.grading.protocol import GraderFailure

warnings.filterwarnings("ignore", message=".*not in session.*")


def _nb(*cells):
    nb = new_notebook()
    nb.cells = list(cells)
    return nb


# release -----------------------------------------------------------------------------------

def test_check_notebook_json(tmp_path: Path) -> None:
    p = tmp_path / "n.ipynb"
    nbformat.write(_nb(code_cell("x")), str(p))
    release.check_notebook_json(p)
    p.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(CourseError) as err:
        release.check_notebook_json(p)
    assert str(err.value) == f"{p} is not UTF-8 text (invalid start byte at byte 7); is it a notebook?"
    p.write_text('{\n  "cells": [,\n}')
    with pytest.raises(CourseError) as err:
        release.check_notebook_json(p)
    assert str(err.value) == (f"{p} is not valid JSON at line 2, column 13: Expecting value. Was it edited by hand or cut "
                              "short? Restore it from git (git checkout -- FILE) or fix that line.")
    p.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "extra": 1}')
    with pytest.raises(CourseError) as err:
        release.check_notebook_json(p)
    assert str(err.value).startswith(f"{p} is valid JSON but not a valid notebook: ")
    assert "\n" not in str(err.value) and "'extra' was unexpected" in str(err.value)  # the first line of nbformat's


def test_check_notebook_json_names_a_silent_failure(tmp_path: Path, monkeypatch) -> None:
    p = tmp_path / "n.ipynb"
    nbformat.write(_nb(code_cell("x")), str(p))

    def validate(nb):
        raise ValueError()  # no message at all

    monkeypatch.setattr(nbformat, "validate", validate)
    with pytest.raises(CourseError) as err:
        release.check_notebook_json(p)
    assert str(err.value) == f"{p} is valid JSON but not a valid notebook: ValueError"


@pytest.fixture
def ascii_locale():
    """The process's locale says ASCII (LANG=C without Python's UTF-8 mode), as on some servers."""
    import locale

    saved = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, saved)


def test_notebooks_are_read_as_utf8_whatever_the_locale(tmp_path: Path, ascii_locale) -> None:
    p = tmp_path / "n.ipynb"
    nb = _nb(code_cell("café = 1  # déjà"))
    nb.cells[0]["id"] = "a"
    p.write_bytes(nbformat.writes(nb).encode("utf-8"))
    release.check_notebook_json(p)
    assert release._cells_digest(p) == _digest([["a", "code", "café = 1  # déjà"]])


def _digest(cells) -> str:
    h = hashlib.sha256()
    for c in cells:
        h.update(json.dumps(c).encode())
    return h.hexdigest()


def test_cells_digest(tmp_path: Path) -> None:
    p = tmp_path / "n.ipynb"
    assert release._cells_digest(p) is None
    p.write_text("{")
    assert release._cells_digest(p) is None
    p.write_text("{}")
    assert release._cells_digest(p) is None
    p.write_text("[]")
    assert release._cells_digest(p) is None
    p.write_text(json.dumps({"cells": [{"id": "a", "cell_type": "code", "source": ["x\n", "y"], "outputs": [1]},
                                       {"cell_type": "markdown", "source": "m"}, {"id": "c"}]}))
    assert release._cells_digest(p) == _digest([["a", "code", "x\ny"], [None, "markdown", "m"], ["c", None, ""]])
    p.write_text(json.dumps({"cells": [{"id": "a", "cell_type": "code", "source": 5}]}))
    assert release._cells_digest(p) == _digest([["a", "code", "5"]])
    p.write_bytes(b"\xff")
    assert release._cells_digest(p) is None
    for not_cells in ('{"cells": 5}', '{"cells": "abc"}', '{"cells": [1, 2]}'):  # JSON, but no notebook
        p.write_text(not_cells)
        assert release._cells_digest(p) is None


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@x"})


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return make_course(tmp_path / "c", ("01_a",))


def _release_nb(course: Course, source: str) -> Path:
    path = course.release_notebook("01_a")
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = _nb(code_cell(source))
    nb.cells[0]["id"] = "fixed"
    nbformat.write(nb, str(path))
    return path


def test_committed_digest(course: Course, tmp_path: Path) -> None:
    path = _release_nb(course, "x = 1")
    assert release._committed_digest(course, path) is None, "not a git checkout"
    _git(course.root, "init", "-q")
    assert release._committed_digest(course, path) is None, "no HEAD yet"
    _git(course.root, "add", "release")
    _git(course.root, "commit", "-qm", "r")
    want = release._cells_digest(path)
    _release_nb(course, "x = 2")
    assert release._committed_digest(course, path) == want != release._cells_digest(path)
    assert release._committed_digest(course, tmp_path / "elsewhere.ipynb") is None


def test_committed_digest_does_not_wait_forever_for_git(course: Course, monkeypatch) -> None:
    given = []

    def run(cmd, capture_output, timeout, check):  # a git that hangs (a lock, a network filesystem)
        given.append(timeout)
        raise subprocess.TimeoutExpired(cmd, timeout)

    monkeypatch.setattr(release.subprocess, "run", run)
    assert release._committed_digest(course, _release_nb(course, "x")) is None
    assert given == [30]


def test_record_and_recorded(course: Course) -> None:
    state = course.root / ".course" / "releases.json"
    assert release._state_file(course) == state
    assert release._recorded(course) == {}
    release._record(course, "01_a", "d1")
    release._record(course, "00_z", "d0")
    assert state.read_text() == json.dumps({"00_z": "d0", "01_a": "d1"}, indent=1, sort_keys=True)
    release._record(course, "01_a", None)
    assert release._recorded(course) == {"00_z": "d0", "01_a": "d1"}
    assert not state.with_suffix(".tmp").exists()
    state.write_text("{")
    assert release._recorded(course) == {}


def test_edited_in_place(course: Course, tmp_path: Path) -> None:
    assert release.edited_in_place(course, "01_a") is False
    path = _release_nb(course, "x = 1")
    assert release.edited_in_place(course, "01_a") is True, "nothing known generated it"
    release._record(course, "01_a", release._cells_digest(path))
    assert release.edited_in_place(course, "01_a") is False
    _release_nb(course, "x = 2")
    assert release.edited_in_place(course, "01_a") is True
    fresh = tmp_path / "fresh.ipynb"
    nb = _nb(code_cell("x = 2"))
    nb.cells[0]["id"] = "fixed"
    nbformat.write(nb, str(fresh))
    assert release.edited_in_place(course, "01_a", fresh) is False
    _git(course.root, "init", "-q")
    _git(course.root, "add", "release")
    _git(course.root, "commit", "-qm", "r")
    assert release.edited_in_place(course, "01_a") is False
    path.write_text("{")
    assert release.edited_in_place(course, "01_a") is True, "an unreadable release is not the course's"


def test_backup_release(course: Course, monkeypatch) -> None:
    _release_nb(course, "x")
    (course.root / "release" / "01_a" / ".ipynb_checkpoints").mkdir()
    monkeypatch.setattr(release.time, "strftime", lambda fmt: "20260101-120000" if fmt == "%Y%m%d-%H%M%S" else "?")
    base = course.root / ".course" / "backups" / "01_a"
    assert release.backup_release(course, "01_a") == base / "20260101-120000"
    assert (base / "20260101-120000" / "01_a.ipynb").is_file() and (base / "20260101-120000" / ".ipynb_checkpoints").is_dir()
    assert release.backup_release(course, "01_a") == base / "20260101-120000.1"
    assert release.backup_release(course, "01_a") == base / "20260101-120000.2"


def test_set_due_date(course: Course) -> None:
    with pytest.raises(CourseError) as err:
        release.set_due_date(course, "01_a", "next friday")
    assert str(err.value) == "due date 'next friday' is not a date and time like '2026-12-01 17:00'"
    assert release.set_due_date(course, "01_a", " 2026-12-01 17:00+02:00 ") == "2026-12-01 15:00 UTC"
    with course.gradebook() as gb:
        assert gb.find_assignment("01_a").duedate == datetime.datetime(2026, 12, 1, 15, 0)
    local = datetime.datetime(2026, 6, 1, 9, 30).astimezone().astimezone(datetime.timezone.utc)
    assert release.set_due_date(course, "01_a", "2026-06-01 09:30") == local.strftime("%Y-%m-%d %H:%M UTC")


@pytest.fixture
def india_time():
    """The instructor's clock is in India (UTC+05:30)."""
    import time

    saved = os.environ.get("TZ")
    os.environ["TZ"] = "IST-5:30"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_set_due_date_away_from_utc(course: Course, india_time) -> None:
    assert release.set_due_date(course, "01_a", "2026-12-01 17:00+02:00") == "2026-12-01 15:00 UTC"
    assert release.set_due_date(course, "01_a", "2026-12-01 17:00") == "2026-12-01 11:30 UTC"
    with course.gradebook() as gb:
        assert gb.find_assignment("01_a").duedate == datetime.datetime(2026, 12, 1, 11, 30)


@pytest.fixture
def fake_release(course: Course, monkeypatch):
    calls = []

    def generate(assignment, force, create):
        calls.append(("generate", assignment, force, create, (course.root / "release" / assignment).exists()))
        _release_nb(course, "generated")
        return {"success": True}

    course._api = types.SimpleNamespace(generate_assignment=generate)
    monkeypatch.setattr(release, "verify_reference", lambda c, a: calls.append(("verify", c.root, a)) or (3.0, 3.0, {"t": (3.0, 3.0)}))
    from course.grading import canary as can

    monkeypatch.setattr(can, "remember_success", lambda root, a: calls.append(("remember", root, a)))
    nbformat.write(_nb(code_cell("x", "t", grade=True, points=3)), str(course.source_notebook("01_a")))
    return calls


def test_release(course: Course, fake_release) -> None:
    assert release.release(course, "01_a") == "01_a: released (3 points, reference scores full marks)"
    assert fake_release == [("verify", course.root, "01_a"), ("remember", course.root, "01_a"),
                            ("generate", "01_a", True, True, False)]
    assert release._recorded(course) == {"01_a": release._cells_digest(course.release_notebook("01_a"))}
    fake_release.clear()
    assert release.release(course, "01_a", verify=False) == "01_a: released"
    assert fake_release == [("generate", "01_a", True, True, False)], "the old release is removed first"


def test_release_of_a_one_point_notebook(course: Course, fake_release, monkeypatch) -> None:
    monkeypatch.setattr(release, "verify_reference", lambda c, a: (1.0, 1.0, {"t": (1.0, 1.0)}))
    assert release.release(course, "01_a") == "01_a: released (1 points, reference scores full marks)"


def test_release_refuses_to_overwrite_edits(course: Course, fake_release, monkeypatch) -> None:
    release.release(course, "01_a", verify=False)
    _release_nb(course, "my own work")
    with pytest.raises(CourseError) as err:
        release.release(course, "01_a")
    assert str(err.value) == (
        "01_a: refusing to overwrite release/01_a/01_a.ipynb: it holds edits the course did not generate (someone worked "
        "in it). Work in a copy (course start 01_a); to replace it anyway, run course release --force 01_a (a backup goes "
        "to .course/backups/)")
    monkeypatch.setattr(release.time, "strftime", lambda fmt: "20260101-120000")
    assert release.release(course, "01_a", verify=False, force=True) == (
        "01_a: released; your edited copy was saved to .course/backups/01_a/20260101-120000")
    saved = course.root / ".course" / "backups" / "01_a" / "20260101-120000" / "01_a.ipynb"
    assert "my own work" in saved.read_text()


def test_release_refuses_a_reference_below_full_marks(course: Course, fake_release, monkeypatch) -> None:
    monkeypatch.setattr(release, "verify_reference", lambda c, a: (1.5, 4.0, {"b": (0.0, 1.0), "a": (1.5, 2.0), "c": (1.0, 1.0)}))
    with pytest.raises(CourseError) as err:
        release.release(course, "01_a")
    assert str(err.value) == ("01_a: refusing to release: the reference solution scores 1.5/4 (lost: a 1.5/2, b 0/1); "
                              "fix source/ so every test passes")
    monkeypatch.setattr(release, "verify_reference", lambda c, a: (0.0, 0.0, {}))
    with pytest.raises(CourseError) as err:
        release.release(course, "01_a")
    assert str(err.value) == "01_a: the notebook has no graded test cells (0 points)"
    assert not course.release_notebook("01_a").exists()


def test_release_reports_nbgrader_failures(course: Course, fake_release) -> None:
    course._api = types.SimpleNamespace(generate_assignment=lambda *a, **k: {"success": False, "log": "ValueError: bad cell"})
    with pytest.raises(CourseError) as err:
        release.release(course, "01_a", verify=False)
    assert str(err.value) == "01_a: nbgrader could not generate the release: ValueError: bad cell"
    course.source_notebook("01_a").write_text("{")
    with pytest.raises(CourseError, match="is not valid JSON"):
        release.release(course, "01_a", verify=False)
    with pytest.raises(CourseError, match="unknown assignment"):
        release.release(course, "09_z")


def test_verify_reference(monkeypatch, course: Course) -> None:
    asked = []
    monkeypatch.setattr(canary, "grade_reference", lambda root, a: asked.append((root, a)) or (1.0, 2.0, {"t": (1.0, 2.0)}, "why"))
    assert release.verify_reference(course, "01_a") == (1.0, 2.0, {"t": (1.0, 2.0)})
    assert asked == [(course.root, "01_a")]


def test_to_exchange(course: Course) -> None:
    calls = []
    results = iter([{"success": False, "error": "x", "log": "assignment already exists"}, {"success": True}])

    def rel(a):
        calls.append(("release", a))
        return next(results)

    course._api = types.SimpleNamespace(release_assignment=rel, unrelease=lambda a: calls.append(("unrelease", a)) or {"success": True})
    assert release.to_exchange(course, "01_a") == "01_a: handed out through the exchange (students fetch it in the Assignments tab)"
    assert calls == [("release", "01_a"), ("unrelease", "01_a"), ("release", "01_a")]
    calls.clear()
    results = iter([{"success": False, "error": "already exists", "log": ""}, {"success": False, "log": "Error: still"}])
    with pytest.raises(CourseError) as err:
        release.to_exchange(course, "01_a")
    assert str(err.value) == "01_a: could not release to the exchange: Error: still"
    calls.clear()
    results = iter([{"success": False, "error": "", "log": "Error: permission"}])
    with pytest.raises(CourseError, match="could not release to the exchange: Error: permission"):
        release.to_exchange(course, "01_a")
    assert calls == [("release", "01_a")]
    results = iter([{"success": True, "log": "already exists"}])
    release.to_exchange(course, "01_a")
    assert calls == [("release", "01_a"), ("release", "01_a")]
    calls.clear()
    results = iter([{"success": False, "log": "Error: full"}])  # a failure without "error" (run_api always adds "log")
    with pytest.raises(CourseError, match="could not release to the exchange: Error: full"):
        release.to_exchange(course, "01_a")
    assert calls == [("release", "01_a")]


def test_start(course: Course, tmp_path: Path) -> None:
    with pytest.raises(CourseError) as err:
        release.start(course, "01_a")
    assert str(err.value) == "01_a is not released yet (no release/01_a/): ask your instructor, or run course release 01_a"
    _release_nb(course, "x")
    (course.root / "release" / "01_a" / ".ipynb_checkpoints").mkdir()
    (course.root / "release" / "01_a" / "data.csv").write_text("1")
    dest = release.start(course, "01_a")
    assert dest == course.root / "work" / "01_a"
    assert sorted(p.name for p in dest.iterdir()) == ["01_a.ipynb", "data.csv"]
    with pytest.raises(CourseError) as err:
        release.start(course, "01_a")
    assert str(err.value) == f"{dest} already exists: that is your work, open it (nothing was overwritten)"
    assert release.start(course, "01_a", tmp_path / "mine") == tmp_path / "mine"
    with pytest.raises(CourseError, match="unknown assignment"):
        release.start(course, "09_z")


# canary ------------------------------------------------------------------------------------

def test_cache_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COURSE_CANARY_CACHE", str(tmp_path))
    assert canary.cache_dir() == tmp_path
    monkeypatch.setenv("COURSE_CANARY_CACHE", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert canary.cache_dir() == tmp_path / "home" / ".cache" / "pytorch-course" / "canary"


def test_hash_tree(tmp_path: Path) -> None:
    def digest(folder, pattern="*"):
        h = hashlib.sha256()
        canary._hash_tree(h, folder, pattern)
        return h.hexdigest()

    empty = hashlib.sha256().hexdigest()
    assert digest(tmp_path / "none") == empty
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.py").write_text("1")
    (tmp_path / "a" / "sub").mkdir()
    (tmp_path / "a" / "sub" / "y.txt").write_text("2")
    want = hashlib.sha256(b"sub/y.txt\x002\x00x.py\x001\x00").hexdigest()
    assert digest(tmp_path / "a") == want
    assert digest(tmp_path / "a", "*.py") == hashlib.sha256(b"x.py\x001\x00").hexdigest()
    for skip in ("__pycache__", ".ipynb_checkpoints"):
        (tmp_path / "a" / skip).mkdir()
        (tmp_path / "a" / skip / "z").write_text("3")
    assert digest(tmp_path / "a") == want


@pytest.fixture
def box(monkeypatch):
    from course.grading import sandbox

    state = types.SimpleNamespace(mode="auto", available=True, drop_user=False)
    monkeypatch.setattr(sandbox, "mode", lambda: state.mode)
    monkeypatch.setattr(sandbox, "support", lambda: types.SimpleNamespace(available=state.available, drop_user=state.drop_user))
    return state


def test_fingerprint(course: Course, box, monkeypatch, tmp_path: Path) -> None:
    from course import paths

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text("a")
    monkeypatch.setattr(paths, "package_dir", lambda: pkg)
    key = canary.fingerprint(course.root, "01_a")
    h = hashlib.sha256()
    h.update(f"01_a\0{sys.executable}\0auto:True:False\0".encode())
    canary._hash_tree(h, course.root / "source" / "01_a", "*")
    h.update((course.root / "nbgrader_config.py").read_bytes())
    canary._hash_tree(h, pkg, "*.py")
    assert key == h.hexdigest()[:32]
    seen = {key}

    def changed() -> str:
        new = canary.fingerprint(course.root, "01_a")
        assert new not in seen
        seen.add(new)
        return new

    box.mode = "required"
    changed()
    box.available = False
    changed()
    box.drop_user = True
    changed()
    (course.root / "source" / "01_a" / "data.csv").write_text("1")
    changed()
    (course.root / "nbgrader_config.py").write_text("c = get_config()\n# changed\n")
    changed()
    (course.root / "nbgrader_config.py").unlink()
    without = changed()
    h = hashlib.sha256()
    h.update(f"01_a\0{sys.executable}\0required:False:True\0".encode())
    canary._hash_tree(h, course.root / "source" / "01_a", "*")
    canary._hash_tree(h, pkg, "*.py")
    assert without == h.hexdigest()[:32], "no nbgrader_config.py: nothing of it in the fingerprint"
    (pkg / "m.py").write_text("b")
    changed()
    (pkg / "notes.txt").write_text("b")
    assert canary.fingerprint(course.root, "01_a") in seen


def test_first_failure(tmp_path: Path) -> None:
    p = tmp_path / "a.ipynb"
    assert canary._first_failure(p, {}) == ""
    err = new_output("error", ename="CheckFailed", evalue="x" * 300, traceback=[])
    nb = _nb(code_cell("", "ok", grade=True, outputs=[err]), code_cell("", "quiet", grade=True),
             code_cell("", "bad", grade=True, outputs=[new_output("stream", name="stdout", text="hi"), err]), code_cell("y"))
    nbformat.write(nb, str(p))
    cells = {"ok": (1.0, 1.0), "quiet": (0.0, 1.0), "bad": (0.0, 2.0)}
    assert canary._first_failure(p, cells) == "quiet: no error shown"
    cells["quiet"] = (1.0, 1.0)
    assert canary._first_failure(p, cells) == "bad: CheckFailed: " + "x" * 200
    cells["bad"] = (2.0, 2.0)
    assert canary._first_failure(p, cells) == ""
    # a written answer (a graded markdown cell, no outputs) and an error output without its evalue
    written = nbformat.v4.new_markdown_cell("my answer")
    written.metadata["nbgrader"] = {"grade_id": "essay", "grade": True, "solution": True, "points": 1}
    nbformat.write(_nb(written, code_cell("", "bare", grade=True, outputs=[err])), str(p))
    raw = json.loads(p.read_text())
    del raw["cells"][1]["outputs"][0]["evalue"]
    p.write_text(json.dumps(raw))
    assert canary._first_failure(p, {"essay": (0.0, 1.0)}) == "essay: no error shown"
    assert canary._first_failure(p, {"bare": (0.0, 1.0)}) == "bare: CheckFailed: "


def test_grade_reference(course: Course, monkeypatch, tmp_path: Path) -> None:
    calls = []
    autograded = tmp_path / "scratch"

    class Scratch:
        root = autograded
        api = types.SimpleNamespace(generate_assignment="generate", autograde="autograde")

        def source_notebook(self, a):
            return Path(f"/src/{a}.ipynb")

        def score(self, a, s):
            calls.append(("score", a, s))
            return types.SimpleNamespace(score=1.0, max_score=2.0, cells={"t": (1.0, 2.0)})

    def scratch_course(c, dest, names):
        calls.append(("scratch", c.root, dest.name.startswith("course-canary-01_a-"), names, os.environ.get(canary.RUNNING_ENV)))
        return Scratch()

    results = {"generate": {"success": True}, "autograde": {"success": True}}

    def run_api(call, *args, **kw):
        calls.append((call, args, kw))
        return results[call]

    monkeypatch.setattr(coursedir, "scratch_course", scratch_course)
    monkeypatch.setattr(coursedir, "run_api", run_api)
    monkeypatch.setattr(coursedir, "submit", lambda c, a, s, nb: calls.append(("submit", type(c).__name__, a, s, nb)))
    monkeypatch.setattr(canary, "_first_failure", lambda path, cells: calls.append(("first", path, cells)) or "t: E: v")
    monkeypatch.delenv(canary.RUNNING_ENV, raising=False)
    assert canary.grade_reference(course.root, "01_a") == (1.0, 2.0, {"t": (1.0, 2.0)}, "t: E: v")
    assert canary.RUNNING_ENV not in os.environ
    assert calls == [
        ("scratch", course.root, True, ["01_a"], "1"),
        ("generate", ("01_a",), {"force": True, "create": True}),
        ("submit", "Scratch", "01_a", "reference-check", Path("/src/01_a.ipynb")),
        ("autograde", ("01_a", "reference-check"), {"force": True, "create": True}),
        ("score", "01_a", "reference-check"),
        ("first", autograded / "autograded" / "reference-check" / "01_a" / "01_a.ipynb", {"t": (1.0, 2.0)}),
    ]
    monkeypatch.setenv(canary.RUNNING_ENV, "outer")
    results["autograde"] = {"success": False, "log": "ValueError: kernel"}
    with pytest.raises(CourseError) as err:
        canary.grade_reference(course.root, "01_a")
    assert str(err.value) == "01_a: the reference solution could not be autograded: ValueError: kernel"
    assert os.environ[canary.RUNNING_ENV] == "outer"
    results["generate"] = {"success": False, "log": "Error: no"}
    with pytest.raises(CourseError) as err:
        canary.grade_reference(course.root, "01_a")
    assert str(err.value) == "01_a: nbgrader could not generate the release: Error: no"
    results["generate"] = results["autograde"] = {"success": True}
    Scratch.score = lambda self, a, s: None
    with pytest.raises(CourseError) as err:
        canary.grade_reference(course.root, "01_a")
    assert str(err.value) == "01_a: the reference solution is missing from the scratch gradebook"


def _proc(stdout="", stderr=""):
    return types.SimpleNamespace(stdout=stdout, stderr=stderr, returncode=0)


def test_verdict(course: Course, monkeypatch) -> None:
    from course.paths import package_dir

    seen = {}

    def run(cmd, env, cwd, capture_output, text, timeout):
        seen.update(cmd=cmd, env=env, cwd=cwd, timeout=timeout, capture=(capture_output, text))
        return seen["proc"]

    monkeypatch.setattr(canary.subprocess, "run", run)
    monkeypatch.setenv("PYTHONPATH", "/extra")
    monkeypatch.delenv(canary.RUNNING_ENV, raising=False)
    full = {"score": 3.0, "max_score": 3.0, "cells": {"t": [3.0, 3.0]}, "why": ""}
    seen["proc"] = _proc("noise\n" + json.dumps(full) + "\n")
    assert canary.verdict(course.root, "01_a") is None
    assert seen["cmd"] == [sys.executable, "-m", "course.grading.canary", str(course.root), "01_a"]
    assert seen["env"][canary.RUNNING_ENV] == "1" and canary.RUNNING_ENV not in os.environ
    assert seen["env"]["PYTHONPATH"] == os.pathsep.join([str(package_dir().parent), "/extra"])
    assert (seen["cwd"], seen["timeout"], seen["capture"]) == (str(course.root), 1800, (True, True))
    monkeypatch.delenv("PYTHONPATH")
    canary.verdict(course.root, "01_a")
    assert seen["env"]["PYTHONPATH"] == str(package_dir().parent)
    seen["proc"] = _proc(json.dumps({"score": 1.0, "max_score": 1.0, "cells": {"t": [1.0, 1.0]}, "why": ""}))
    assert canary.verdict(course.root, "01_a") is None, "a one-point notebook at full marks passes"
    lost = {"score": 2.0, "max_score": 5.0, "cells": {"b": [0.0, 1.0], "a": [1.0, 2.0], "c": [0.0, 1.0], "d": [1.0, 1.0]},
            "why": "a: E: v"}
    seen["proc"] = _proc(json.dumps(lost))
    assert canary.verdict(course.root, "01_a") == (
        "01_a: the reference solution scores 2/5 through this grader (lost: a 1/2, b 0/1, c 0/1; first failure: a: E: v)")
    seen["proc"] = _proc(json.dumps({**lost, "why": ""}))
    assert canary.verdict(course.root, "01_a").endswith("(lost: a 1/2, b 0/1, c 0/1; first failure: unknown)")
    seen["proc"] = _proc(json.dumps({"score": 0.0, "max_score": 0.0, "cells": {}}))
    assert canary.verdict(course.root, "01_a") == "01_a: the source notebook has no graded test cells (0 points)"
    seen["proc"] = _proc(json.dumps({"error": "the kernel died"}))
    assert canary.verdict(course.root, "01_a") == "the kernel died"
    seen["proc"] = _proc("", "x\nTraceback\nImportError: " + "y" * 400 + "\n")
    assert canary.verdict(course.root, "01_a") == "the canary crashed: " + ("ImportError: " + "y" * 400)[:300]
    seen["proc"] = _proc("not json", "a\ncourse grader failure: no key\nb")
    assert canary.verdict(course.root, "01_a") == "the canary crashed: no key"
    seen["proc"] = _proc("", "")
    assert canary.verdict(course.root, "01_a") == "the canary crashed: no output"

    def fail(*a, **k):
        raise subprocess.TimeoutExpired("x", 1800)

    monkeypatch.setattr(canary.subprocess, "run", fail)
    assert canary.verdict(course.root, "01_a") == "the canary could not run: Command 'x' timed out after 1800 seconds"


@pytest.fixture
def ensure_env(course: Course, monkeypatch, tmp_path: Path):
    calls = []
    monkeypatch.delenv(canary.RUNNING_ENV, raising=False)
    monkeypatch.setenv(canary.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(canary, "fingerprint", lambda root, a: calls.append(("fp", root, a)) or "KEY")
    monkeypatch.setattr(canary, "_FAILED", {})
    state = types.SimpleNamespace(why=None)
    monkeypatch.setattr(canary, "verdict", lambda root, a: calls.append(("verdict", root, a)) or state.why)
    return types.SimpleNamespace(calls=calls, state=state, cache=tmp_path / "cache")


def test_ensure_passes_and_remembers(course: Course, ensure_env) -> None:
    canary.ensure(str(course.root / "source" / ".."), "01_a")
    assert ensure_env.calls == [("fp", course.root, "01_a"), ("verdict", course.root, "01_a")]
    assert (ensure_env.cache / "01_a-KEY.ok").read_text() == "full marks\n"
    canary.ensure(course.root, "01_a")
    assert [c[0] for c in ensure_env.calls] == ["fp", "verdict", "fp"]
    canary.ensure(course.root, "09_nothing")
    assert len(ensure_env.calls) == 3


def test_ensure_inside_the_canary_does_nothing(course: Course, ensure_env, monkeypatch) -> None:
    monkeypatch.setenv(canary.RUNNING_ENV, "1")
    canary.ensure(course.root, "01_a")
    assert ensure_env.calls == []


def test_ensure_fails_once_and_remembers_the_failure(course: Course, ensure_env) -> None:
    ensure_env.state.why = "it broke"
    message = ("canary: it broke; grading stopped, no student of 01_a was graded (fix the grading environment or source/)")
    for _ in range(2):
        with pytest.raises(GraderFailure) as err:
            canary.ensure(course.root, "01_a")
        assert err.value.reason == message
    assert [c[0] for c in ensure_env.calls] == ["fp", "verdict", "fp"]
    assert not (ensure_env.cache / "01_a-KEY.ok").exists()


def test_ensure_makes_the_cache_folder_or_uses_it(course: Course, ensure_env, monkeypatch, tmp_path: Path) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    deep = tmp_path / "home" / ".cache" / "canary"  # a fresh home: no ~/.cache yet
    monkeypatch.setenv(canary.CACHE_ENV, str(deep))
    canary.ensure(course.root, "01_a")
    assert (deep / "01_a-KEY.ok").read_text() == "full marks\n"
    other = tmp_path / "shared"
    other.mkdir()  # already there (another assignment's verdicts)
    monkeypatch.setenv(canary.CACHE_ENV, str(other))
    canary.ensure(course.root, "01_a")
    assert (other / "01_a-KEY.ok").read_text() == "full marks\n"
    assert not (tmp_path / "tmp").exists()


def test_ensure_with_a_read_only_cache(course: Course, ensure_env, monkeypatch, tmp_path: Path) -> None:
    import tempfile

    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(canary.CACHE_ENV, str(blocker / "cache"))
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    canary.ensure(course.root, "01_a")
    private = tmp_path / "tmp" / f"pytorch-course-canary-{os.getuid()}"
    assert (private / "01_a-KEY.ok").is_file() and (private.stat().st_mode & 0o777) == 0o700
    canary.ensure(course.root, "01_a")
    assert [c[0] for c in ensure_env.calls].count("verdict") == 1


def test_ensure_checks_again_under_the_lock(course: Course, ensure_env, monkeypatch) -> None:
    import filelock

    class Lock:
        def __init__(self, path):
            assert path == str(ensure_env.cache / "01_a-KEY.lock")

        def __enter__(self):
            (ensure_env.cache / "01_a-KEY.ok").write_text("another process")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(filelock, "FileLock", Lock)
    canary.ensure(course.root, "01_a")
    assert [c[0] for c in ensure_env.calls] == ["fp"]


def test_remember_success(course: Course, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(canary.CACHE_ENV, str(tmp_path / "c1"))
    monkeypatch.setattr(canary, "fingerprint", lambda root, a: "FP" if (root, a) == (course.root, "01_a") else "WRONG")
    canary.remember_success(course.root, "01_a")
    assert (tmp_path / "c1" / "01_a-FP.ok").read_text() == "full marks (course release)\n"
    canary.remember_success(course.root, "01_a")  # the folder exists now: still written
    (tmp_path / "c1" / "01_a-FP.ok").unlink()
    canary.remember_success(course.root, "01_a")
    assert (tmp_path / "c1" / "01_a-FP.ok").is_file()
    monkeypatch.setenv(canary.CACHE_ENV, str(tmp_path / "home" / ".cache" / "c"))
    canary.remember_success(course.root, "01_a")
    assert (tmp_path / "home" / ".cache" / "c" / "01_a-FP.ok").is_file()
    (tmp_path / "f").write_text("")
    monkeypatch.setenv(canary.CACHE_ENV, str(tmp_path / "f" / "c"))
    canary.remember_success(course.root, "01_a")


def test_main(monkeypatch, capsys) -> None:
    asked = []
    monkeypatch.setattr(canary, "grade_reference", lambda root, a: asked.append((root, a)) or (2.0, 2.0, {"t": (2.0, 2.0)}, ""))
    assert canary.main(["/r", "01_a"]) == 0
    assert asked == [(Path("/r"), "01_a")]
    assert json.loads(capsys.readouterr().out) == {"score": 2.0, "max_score": 2.0, "cells": {"t": [2.0, 2.0]}, "why": ""}

    def boom(root, a):
        raise GraderFailure("the guard failed")

    monkeypatch.setattr(canary, "grade_reference", boom)
    assert canary.main(["/r", "01_a"]) == 0
    assert json.loads(capsys.readouterr().out) == {"error": "the guard failed"}

    def other(root, a):
        raise CourseError("plain")

    monkeypatch.setattr(canary, "grade_reference", other)
    canary.main(["/r", "01_a"])
    assert json.loads(capsys.readouterr().out) == {"error": "plain"}
