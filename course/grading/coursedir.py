"""The course directory as nbgrader sees it: config, assignments, submissions, gradebook."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course.paths import repo_root

ASSIGNMENT_RE = re.compile(r"^\d\d_[a-z0-9_]+$")


class CourseError(Exception):
    """A problem the instructor can fix; the command line prints it as one line."""


def ensure_tools_on_path() -> None:
    """nbgrader runs helper programs (alembic) by name: make this interpreter's bin/ come first."""
    import sys

    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if parts[:1] != [bindir]:
        os.environ["PATH"] = os.pathsep.join([bindir, *[p for p in parts if p != bindir]])


def _quiet_traitlets() -> None:
    # nbgrader's apps log through the root logger and traitlets; keep the CLI's output ours.
    logging.getLogger("traitlets").setLevel(logging.ERROR)


@dataclass
class Score:
    student: str
    assignment: str
    score: float
    max_score: float
    cells: dict[str, tuple[float, float]]  # grade_id -> (score, max)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


class Course:
    """A course directory: ``source/``, ``release/``, ``submitted/``, ``autograded/``, the gradebook."""

    def __init__(self, root: str | Path | None = None, db_url: str | None = None) -> None:
        found = Path(root) if root is not None else (_find_root(Path.cwd()) or repo_root())
        if found is None:
            raise CourseError("no nbgrader_config.py here or above: run this inside the course repository")
        self.root = found.resolve()
        if not (self.root / "nbgrader_config.py").is_file():
            raise CourseError(f"{self.root} has no nbgrader_config.py: is this the course repository?")
        self._db_url_override = db_url
        self._api = None
        ensure_tools_on_path()

    # configuration ---------------------------------------------------------------------
    def config(self) -> Any:
        from traitlets.config.loader import PyFileConfigLoader

        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        cfg.CourseDirectory.root = str(self.root)
        if self._db_url_override:
            cfg.CourseDirectory.db_url = self._db_url_override
        elif "db_url" not in cfg.CourseDirectory:
            cfg.CourseDirectory.db_url = os.environ.get("COURSE_DB_URL") or f"sqlite:///{self.root / 'gradebook.db'}"
        return cfg

    @property
    def db_url(self) -> str:
        return str(self.config().CourseDirectory.db_url)

    @property
    def api(self) -> Any:
        if self._api is None:
            _quiet_traitlets()
            from nbgrader.apps import NbGraderAPI
            from nbgrader.coursedir import CourseDirectory

            cfg = self.config()
            self._api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
            self._api.log.setLevel(logging.ERROR)
        return self._api

    # what is on disk ---------------------------------------------------------------------
    def assignments(self) -> list[str]:
        src = self.root / "source"
        if not src.is_dir():
            return []
        return sorted(p.name for p in src.iterdir() if p.is_dir() and (p / f"{p.name}.ipynb").is_file())

    def require_assignment(self, assignment: str) -> str:
        if assignment not in self.assignments():
            known = ", ".join(self.assignments()) or "none"
            raise CourseError(f"unknown assignment {assignment!r}: the course has {known}")
        return assignment

    def source_notebook(self, assignment: str) -> Path:
        return self.root / "source" / assignment / f"{assignment}.ipynb"

    def release_notebook(self, assignment: str) -> Path:
        return self.root / "release" / assignment / f"{assignment}.ipynb"

    def submitted_students(self, assignment: str) -> list[str]:
        base = self.root / "submitted"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir())

    # the gradebook -----------------------------------------------------------------------
    @contextlib.contextmanager
    def gradebook(self) -> Iterator[Any]:
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url) as gb:
            yield gb

    def score(self, assignment: str, student: str) -> Score | None:
        from nbgrader.api import MissingEntry

        with self.gradebook() as gb:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                return None
            cells: dict[str, tuple[float, float]] = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    cells[grade.name] = (float(grade.score), float(grade.max_score))
            return Score(student, assignment, float(sub.score), float(sub.max_score), cells)

    def scores(self) -> list[Score]:
        out = []
        with self.gradebook() as gb:
            pairs = [(a.name, s.student.id) for a in gb.assignments for s in a.submissions]
        for assignment, student in sorted(pairs):
            s = self.score(assignment, student)
            if s is not None:
                out.append(s)
        return out


def coursedir_of(preprocessor: Any) -> Any:
    """The ``CourseDirectory`` of the nbgrader converter running ``preprocessor`` (None outside one)."""
    return getattr(getattr(preprocessor.parent, "parent", None), "coursedir", None)


def _find_root(start: Path) -> Path | None:
    for candidate in [start, *start.parents]:
        if (candidate / "nbgrader_config.py").is_file() and (candidate / "source").is_dir():
            return candidate
    return None


def run_api(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Call an NbGraderAPI method with its chatter (and its kernels') kept off the terminal.

    Kernels write to the inherited file descriptors, not to ``sys.stderr``, so the
    redirection is done at the descriptor level; what was written goes into the log.
    """
    import sys
    import tempfile

    sink = io.StringIO()
    with tempfile.TemporaryFile(mode="w+b") as capture:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(capture.fileno(), 1)
        os.dup2(capture.fileno(), 2)
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                result = call(*args, **kwargs)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        capture.seek(0)
        raw = capture.read().decode("utf-8", "replace")
    result.setdefault("log", "")
    result["log"] = (result["log"] or "") + sink.getvalue() + raw
    return result


# nbgrader's closing lines after a failure say nothing about its cause.
NBGRADER_BOILERPLATE = ("Please see the above traceback", "Please see the the above traceback", "Please see the error log",
                        "There was an error processing assignment")


def last_error_line(result: dict[str, Any]) -> str:
    """The most useful single line out of an nbgrader result's error or log."""
    from course.grading.protocol import failure_line

    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    ours = failure_line(text)
    if ours:
        return ours[:300]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not any(b in ln for b in NBGRADER_BOILERPLATE)]
    for ln in reversed(lines):
        if re.search(r"(Error|error|failed|Exception)", ln) and not ln.startswith("Traceback"):
            return ln[:300]
    return lines[-1][:300] if lines else "nbgrader reported a failure without a message"


def scratch_course(course: Course, dest: Path, assignments: list[str]) -> Course:
    """A throw-away copy of the course (config and the given assignments) with its own gradebook."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(course.root / "nbgrader_config.py", dest / "nbgrader_config.py")
    for a in assignments:
        shutil.copytree(course.root / "source" / a, dest / "source" / a, dirs_exist_ok=True)
    return Course(dest, db_url=f"sqlite:///{dest / 'gradebook.db'}")


def submit(course: Course, assignment: str, student: str, notebook: Path) -> Path:
    """Place a notebook as ``student``'s submission, as ``nbgrader collect`` would."""
    import datetime
    import shutil

    target = course.root / "submitted" / student / assignment
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(notebook, target / f"{assignment}.ipynb")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    (target / "timestamp.txt").write_text(stamp)
    return target
