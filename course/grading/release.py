"""`course release`: generate release/ from source/, but only for a reference that earns full marks.

A release notebook that a learner edited in place is never lost: release refuses to replace a
notebook whose cells differ from what the course last generated (the committed version, the
last generation recorded in ``.course/releases.json``, or what it is about to write), unless
told ``--force``, and even then it first copies the notebook and its ``.ipynb_checkpoints``
to ``.course/backups/``. Learners should work in a copy anyway: ``course start NN_topic``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from course.grading.coursedir import Course, CourseError, last_error_line, run_api


def verify_reference(course: Course, assignment: str) -> tuple[float, float, dict[str, tuple[float, float]]]:
    """Autograde the source notebook as a student in a scratch copy; return (score, max, cells)."""
    from course.grading.canary import grade_reference

    got, best, cells, _why = grade_reference(course.root, assignment)
    return got, best, cells


def check_notebook_json(path: Path) -> None:
    """A clear error naming the file when a notebook is not valid JSON or not a notebook."""
    import nbformat

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise CourseError(f"{path} is not UTF-8 text ({err.reason} at byte {err.start}); is it a notebook?") from None
    except json.JSONDecodeError as err:
        raise CourseError(
            f"{path} is not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}. "
            "Was it edited by hand or cut short? Restore it from git (git checkout -- FILE) or fix that line."
        ) from None
    try:
        nbformat.validate(nbformat.reads(json.dumps(data), as_version=4))
    except Exception as err:  # noqa: BLE001 - nbformat raises several types; the message is what matters
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CourseError(f"{path} is valid JSON but not a valid notebook: {first}") from None


def _cells_digest(path: Path) -> str | None:
    """A digest of a notebook's cell ids, types and sources: what a learner's edits change."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        return None  # not a notebook: nothing the course generated
    h = hashlib.sha256()
    for cell in cells:
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        h.update(json.dumps([cell.get("id"), cell.get("cell_type"), src]).encode())
    return h.hexdigest()


def _committed_digest(course: Course, path: Path) -> str | None:
    """The digest of the version of ``path`` in git's HEAD, if the course is a git checkout."""
    try:
        rel = path.relative_to(course.root)
        out = subprocess.run(
            ["git", "-C", str(course.root), "show", f"HEAD:{rel.as_posix()}"], capture_output=True, timeout=30, check=False
        )
    except (ValueError, OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    with tempfile.NamedTemporaryFile(suffix=".ipynb") as tmp:
        tmp.write(out.stdout)
        tmp.flush()
        return _cells_digest(Path(tmp.name))


def _state_file(course: Course) -> Path:
    return course.root / ".course" / "releases.json"


def _recorded(course: Course) -> dict[str, str]:
    try:
        return json.loads(_state_file(course).read_text())
    except (OSError, ValueError):
        return {}


def _record(course: Course, assignment: str, digest: str | None) -> None:
    state = _recorded(course)
    if digest:
        state[assignment] = digest
    path = _state_file(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    tmp.replace(path)


def edited_in_place(course: Course, assignment: str, fresh: Path | None = None) -> bool:
    """True when release/ASSIGNMENT's notebook holds edits the course did not generate."""
    current = course.release_notebook(assignment)
    if not current.is_file():
        return False
    digest = _cells_digest(current)
    known = {_recorded(course).get(assignment), _committed_digest(course, current)}
    if fresh is not None:
        known.add(_cells_digest(fresh))
    return digest not in known - {None}


def backup_release(course: Course, assignment: str) -> Path:
    """Copy release/ASSIGNMENT (notebook and checkpoints) to .course/backups/; return the copy's folder."""
    src = course.root / "release" / assignment
    dest = course.root / ".course" / "backups" / assignment / time.strftime("%Y%m%d-%H%M%S")
    n = 0
    while dest.exists():
        n += 1
        dest = dest.with_name(f"{dest.name.split('.')[0]}.{n}")
    shutil.copytree(src, dest)
    return dest


def set_due_date(course: Course, assignment: str, due: str) -> str:
    """Record the assignment's due date (local time, 'YYYY-MM-DD HH:MM') in the gradebook; return it in UTC."""
    import datetime

    try:
        when = datetime.datetime.fromisoformat(due.strip())
    except ValueError:
        raise CourseError(f"due date {due!r} is not a date and time like '2026-12-01 17:00'") from None
    if when.tzinfo is None:
        when = when.astimezone()  # the instructor's local time
    utc = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    with course.gradebook() as gb:
        gb.update_or_create_assignment(assignment, duedate=utc)
    return utc.strftime("%Y-%m-%d %H:%M UTC")


def release(course: Course, assignment: str, verify: bool = True, force: bool = False) -> str:
    """Regenerate release/ASSIGNMENT and register it in the gradebook. Returns a one-line report."""
    course.require_assignment(assignment)
    check_notebook_json(course.source_notebook(assignment))
    edited = edited_in_place(course, assignment)
    if edited and not force:
        raise CourseError(
            f"{assignment}: refusing to overwrite {course.release_notebook(assignment).relative_to(course.root)}: "
            "it holds edits the course did not generate (someone worked in it). Work in a copy "
            f"(course start {assignment}); to replace it anyway, run course release --force {assignment} "
            "(a backup goes to .course/backups/)"
        )
    backup = backup_release(course, assignment) if edited else None
    if verify:
        got, best, cells = verify_reference(course, assignment)
        if best <= 0:
            raise CourseError(f"{assignment}: the notebook has no graded test cells (0 points)")
        if got < best:
            lost = ", ".join(f"{k} {s:g}/{m:g}" for k, (s, m) in sorted(cells.items()) if s < m)
            raise CourseError(
                f"{assignment}: refusing to release: the reference solution scores {got:g}/{best:g} (lost: {lost}); "
                "fix source/ so every test passes"
            )
        from course.grading.canary import remember_success

        remember_success(course.root, assignment)  # the canary of `course autograde` need not run again
    target = course.root / "release" / assignment
    if target.exists():
        shutil.rmtree(target)
    result = run_api(course.api.generate_assignment, assignment, force=True, create=True)
    if not result["success"]:
        raise CourseError(f"{assignment}: nbgrader could not generate the release: {last_error_line(result)}")
    _record(course, assignment, _cells_digest(course.release_notebook(assignment)))
    saved = f"; your edited copy was saved to {backup.relative_to(course.root)}" if backup else ""
    done = f"{assignment}: released ({best:g} points, reference scores full marks)" if verify else f"{assignment}: released"
    return done + saved


def to_exchange(course: Course, assignment: str) -> str:
    """Hand the generated release out through nbgrader's exchange (the Assignments tab), replacing
    an earlier copy there; Formgrader then shows the assignment as released."""
    result = run_api(course.api.release_assignment, assignment)
    if not result["success"] and "already exists" in (result.get("error", "") + result.get("log", "")):
        run_api(course.api.unrelease, assignment)
        result = run_api(course.api.release_assignment, assignment)
    if not result["success"]:
        raise CourseError(f"{assignment}: could not release to the exchange: {last_error_line(result)}")
    return f"{assignment}: handed out through the exchange (students fetch it in the Assignments tab)"


def start(course: Course, assignment: str, dest: Path | None = None) -> Path:
    """Copy release/ASSIGNMENT into a work folder (default work/ASSIGNMENT) that no course command overwrites."""
    course.require_assignment(assignment)
    src = course.root / "release" / assignment
    if not src.is_dir():
        raise CourseError(f"{assignment} is not released yet (no release/{assignment}/): ask your instructor, or run course release {assignment}")
    dest = dest or course.root / "work" / assignment
    if dest.exists():
        raise CourseError(f"{dest} already exists: that is your work, open it (nothing was overwritten)")
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest
