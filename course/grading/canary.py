"""The canary: before a batch is graded, the reference solution is graded through the same path.

A grading environment can be broken in ways no single submission shows: the kernel imports
another ``course`` than the grader, the guard cannot install, a package is missing, the
sandbox hides something the setup cell needs. Every student would then score 0 for the same
reason. So before grading an assignment, the source notebook (the reference solution) is
submitted as a student in a scratch copy of the course and graded by nbgrader with this
course's ``nbgrader_config.py``: the sandbox, the guard, everything. Below full marks, the
batch stops with what went wrong, and no student is graded.

It runs once per assignment per version: the result is kept under a fingerprint of the
source notebook's folder, ``nbgrader_config.py``, the ``course`` package and the sandbox
that applies (none, bubblewrap with or without a user switch), in
``~/.cache/pytorch-course/canary/`` (``COURSE_CANARY_CACHE`` elsewhere). Only a success is
kept on disk; a failure is remembered for the rest of the process, so the students after the
first fail fast with the same message. ``course autograde`` runs it before the batch; plain
``nbgrader autograde`` runs it from the grading preprocessor (``execute.py``) before the
first student of each assignment.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from course.grading.protocol import GraderFailure, failure_line

CACHE_ENV = "COURSE_CANARY_CACHE"
RUNNING_ENV = "COURSE_CANARY_RUNNING"  # set while the canary itself grades: no canary inside the canary
_FAILED: dict[str, str] = {}


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "pytorch-course" / "canary"


def _hash_tree(h: "hashlib._Hash", folder: Path, pattern: str) -> None:
    if not folder.is_dir():
        return
    for p in sorted(folder.rglob(pattern)):
        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts:
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes() + b"\0")


def fingerprint(root: Path, assignment: str) -> str:
    """What the canary's verdict depends on: the assignment's source, the config, the package."""
    from course.grading import sandbox
    from course.paths import package_dir

    box = sandbox.support()  # a pass without the sandbox says nothing about grading inside it
    h = hashlib.sha256()
    h.update(f"{assignment}\0{sys.executable}\0{sandbox.mode()}:{box.available}:{box.drop_user}\0".encode())
    _hash_tree(h, root / "source" / assignment, "*")
    config = root / "nbgrader_config.py"
    h.update(config.read_bytes() if config.is_file() else b"")
    _hash_tree(h, package_dir(), "*.py")
    return h.hexdigest()[:32]


def grade_reference(root: Path, assignment: str) -> tuple[float, float, dict[str, tuple[float, float]], str]:
    """Grade the source notebook as a student of a scratch copy of the course, in this process.

    Returns (score, max, cells, why): ``why`` names the first test that lost points and its error.
    """
    import tempfile

    from course.grading.coursedir import Course, CourseError, last_error_line, run_api, scratch_course, submit

    student = "reference-check"
    saved = os.environ.get(RUNNING_ENV)
    os.environ[RUNNING_ENV] = "1"
    try:
        with tempfile.TemporaryDirectory(prefix=f"course-canary-{assignment}-") as tmp:
            scratch = scratch_course(Course(root), Path(tmp), [assignment])
            result = run_api(scratch.api.generate_assignment, assignment, force=True, create=True)
            if not result["success"]:
                raise CourseError(f"{assignment}: nbgrader could not generate the release: {last_error_line(result)}")
            submit(scratch, assignment, student, scratch.source_notebook(assignment))
            result = run_api(scratch.api.autograde, assignment, student, force=True, create=True)
            if not result["success"]:
                raise CourseError(f"{assignment}: the reference solution could not be autograded: {last_error_line(result)}")
            score = scratch.score(assignment, student)
            if score is None:
                raise CourseError(f"{assignment}: the reference solution is missing from the scratch gradebook")
            why = _first_failure(scratch.root / "autograded" / student / assignment / f"{assignment}.ipynb", score.cells)
            return score.score, score.max_score, score.cells, why
    finally:
        if saved is None:
            os.environ.pop(RUNNING_ENV, None)
        else:
            os.environ[RUNNING_ENV] = saved


def _first_failure(path: Path, cells: dict[str, tuple[float, float]]) -> str:
    try:
        import nbformat

        nb = nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001
        return ""
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in cells and cells[gid][0] < cells[gid][1]:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    return f"{gid}: {out.get('ename')}: {str(out.get('evalue', ''))[:200]}"
            return f"{gid}: no error shown"
    return ""


def verdict(root: Path, assignment: str) -> str | None:
    """Run the canary in a fresh process; None when the reference earns full marks, else why not."""
    from course.paths import package_dir

    env = dict(os.environ)
    env[RUNNING_ENV] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(package_dir().parent), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", "course.grading.canary", str(root), assignment]
    try:
        proc = subprocess.run(cmd, env=env, cwd=str(root), capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"the canary could not run: {err}"
    lines = proc.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = failure_line(proc.stderr) or (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"the canary crashed: {tail[:300]}"
    if data.get("error"):
        return data["error"]
    got, best = data["score"], data["max_score"]
    if best <= 0:
        return f"{assignment}: the source notebook has no graded test cells (0 points)"
    if got < best:
        lost = ", ".join(f"{k} {s:g}/{m:g}" for k, (s, m) in sorted(data["cells"].items()) if s < m)
        return (f"{assignment}: the reference solution scores {got:g}/{best:g} through this grader "
                f"(lost: {lost}; first failure: {data.get('why') or 'unknown'})")
    return None


def ensure(root: str | Path, assignment: str) -> None:
    """Raise :class:`GraderFailure` unless the reference of ``assignment`` earns full marks here."""
    if os.environ.get(RUNNING_ENV):
        return
    root = Path(root).resolve()
    if not (root / "source" / assignment).is_dir():
        return  # nothing to compare with (a course folder without its source)
    key = fingerprint(root, assignment)
    if key in _FAILED:
        raise GraderFailure(_FAILED[key])
    folder = cache_dir()
    ok = folder / f"{assignment}-{key}.ok"
    if ok.is_file():
        return
    from filelock import FileLock

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: a private folder in /tmp, kept for this machine's life
        import tempfile

        folder = Path(tempfile.gettempdir()) / f"pytorch-course-canary-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        ok = folder / ok.name
    with FileLock(str(folder / f"{assignment}-{key}.lock")):
        if ok.is_file():
            return
        why = verdict(root, assignment)
        if why is None:
            ok.write_text("full marks\n")
            return
    message = f"canary: {why}; grading stopped, no student of {assignment} was graded (fix the grading environment or source/)"
    _FAILED[key] = message
    raise GraderFailure(message)


def remember_success(root: Path, assignment: str) -> None:
    """`course release` has just graded the reference at full marks: no need to do it again."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment}-{fingerprint(root, assignment)}.ok").write_text("full marks (course release)\n")
    except OSError:
        pass


def main(argv: list[str]) -> int:
    root, assignment = Path(argv[0]), argv[1]
    try:
        got, best, cells, why = grade_reference(root, assignment)
        print(json.dumps({"score": got, "max_score": best, "cells": cells, "why": why}))
    except Exception as err:  # noqa: BLE001 - reported to the parent as one line
        print(json.dumps({"error": failure_line(str(err)) or str(err)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
