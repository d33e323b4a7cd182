"""Grading a whole class: many students at once, into one gradebook.

nbgrader grades one notebook after another. Here every student is one task: the task runs
nbgrader's own Autograde app for that student (so the grades are exactly nbgrader's), in a
pool of worker processes on this machine, or on a Dask cluster (``--scheduler``) whose
workers see the course on a shared filesystem and a PostgreSQL gradebook.

Why one gradebook is safe: nbgrader opens the gradebook only for short transactions
(before and after a notebook runs, never while the kernel works). With SQLite the workers
wait for each other's locks (a generous busy timeout, WAL journal) instead of failing;
PostgreSQL handles concurrent writers by itself.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from course.grading.autograde import Outcome, _check_students, autograde_one
from course.grading.coursedir import Course, CourseError, Score

SQLITE_BUSY_TIMEOUT_S = 300


def shareable_db_url(db_url: str) -> str:
    """A gradebook URL that several processes can write to at once."""
    if db_url.startswith("sqlite:") and "timeout=" not in db_url:
        return db_url + ("&" if "?" in db_url else "?") + f"timeout={SQLITE_BUSY_TIMEOUT_S}"
    return db_url


def prepare_gradebook(course: Course) -> None:
    """Create the gradebook and its tables once, before workers race to do it."""
    with course.gradebook():
        pass
    url = course.db_url
    if url.startswith("sqlite:///"):
        import sqlite3

        path = url[len("sqlite:///") :].split("?", 1)[0]
        with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S) as conn:
            conn.execute("PRAGMA journal_mode=WAL")


def _timestamp(folder: Path) -> str | None:
    try:
        return (folder / "timestamp.txt").read_text().strip()
    except OSError:
        return None


def already_graded(course: Course, assignment: str, student: str) -> bool:
    """Graded before, from the same submission (same timestamp), and present in the gradebook."""
    graded = course.root / "autograded" / student / assignment
    if not graded.is_dir() or not any(graded.glob("*.ipynb")):
        return False
    if _timestamp(graded) != _timestamp(course.root / "submitted" / student / assignment):
        return False
    return course.score(assignment, student) is not None


_WORKER_COURSES: dict[tuple[str, str], Course] = {}


THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def share_cores(threads: int) -> None:
    """Give the kernels this worker starts ``threads`` CPU threads each (they inherit the env).

    PyTorch uses every core by default; N kernels doing so on N cores oversubscribe the CPU
    and training cells slow down many times over. An instructor's own setting wins.
    """
    for var in THREAD_VARS:
        os.environ.setdefault(var, str(max(1, threads)))


def grade_task(root: str, db_url: str, assignment: str, student: str, threads: int = 1) -> dict[str, Any]:
    """Grade one student in a worker process (local pool or Dask); returns plain data."""
    share_cores(threads)
    return {**_grade_here(root, db_url, assignment, student), "host": os.uname().nodename, "pid": os.getpid()}


def _grade_here(root: str, db_url: str, assignment: str, student: str) -> dict[str, Any]:
    """Grade in this process, without touching its thread settings (one kernel at a time)."""
    key = (root, db_url)  # one Course (and so one NbGraderAPI) per course directory and gradebook
    if key not in _WORKER_COURSES:
        _WORKER_COURSES[key] = Course(root, db_url=db_url)
    out = autograde_one(_WORKER_COURSES[key], assignment, student, force=True)
    score = out.score
    return {
        "student": student, "ok": out.ok, "seconds": out.seconds, "message": out.message,
        "score": None if score is None else (score.score, score.max_score, score.cells),
    }


def _outcome(assignment: str, data: dict[str, Any]) -> Outcome:
    score = None
    if data["score"] is not None:
        s, m, cells = data["score"]
        score = Score(data["student"], assignment, s, m, cells)
    return Outcome(data["student"], data["ok"], data["seconds"], score, data["message"], assignment)


@dataclass
class Progress:
    total: int
    say: Callable[[str], None]
    label: bool = False  # name the assignment in each line (several assignments at once)
    started: float = 0.0
    done: int = 0
    failed: int = 0

    def __post_init__(self) -> None:
        self.started = time.perf_counter()

    def update(self, out: Outcome) -> None:
        self.done += 1
        self.failed += 0 if out.ok else 1
        elapsed = time.perf_counter() - self.started
        left = elapsed / self.done * (self.total - self.done)
        result = f"{out.score.score:g}/{out.score.max_score:g}" if out.ok and out.score else f"FAILED ({out.message})"
        who = f"{out.assignment}/{out.student}" if self.label else out.student
        self.say(
            f"[{self.done}/{self.total}] {who}: {result} in {out.seconds:.1f} s"
            f" | failures {self.failed} | elapsed {elapsed:.0f} s, about {left:.0f} s left"
        )


def autograde_many(
    course: Course,
    assignments: str | list[str],
    student: str | None = None,
    *,
    jobs: int | None = None,
    force: bool = False,
    scheduler: str | None = None,
    say: Callable[[str], None] = print,
    only: list[tuple[str, str]] | None = None,
) -> tuple[list[Outcome], list[str]]:
    """Grade every (or one student's) submission of one or more assignments in parallel.

    All (assignment, student) pairs share one pool, so workers start once for the batch.
    Returns (outcomes, skipped "assignment/student" labels).
    """
    names = [assignments] if isinstance(assignments, str) else list(assignments)
    pairs: list[tuple[str, str]] = []
    for a in names:
        if student is not None or len(names) == 1:
            pairs += [(a, s) for s in _check_students(course, a, student)]
        else:
            course.require_assignment(a)
            pairs += [(a, s) for s in course.submitted_students(a)]
    if only is not None:
        pairs = [p for p in pairs if p in only]
    if not pairs:
        raise CourseError(f"no submissions for {', '.join(names)}: expected folders submitted/<student>/<assignment>/")
    skipped = [] if force else [f"{a}/{s}" for a, s in pairs if already_graded(course, a, s)]
    todo = [(a, s) for a, s in pairs if f"{a}/{s}" not in skipped]
    if skipped:
        say(f"skipping {len(skipped)} submission(s) already graded (use --force to grade them again)")
    if not todo:
        return [], skipped
    db_url = shareable_db_url(course.db_url)
    if scheduler and db_url.startswith("sqlite:"):
        raise CourseError(
            "a Dask cluster needs a server gradebook that every worker can reach: "
            "set COURSE_DB_URL=postgresql://user@host/db"
        )
    prepare_gradebook(course)
    run_canaries(course, sorted({a for a, _s in todo}))
    progress = Progress(len(todo), say, label=len(names) > 1)
    root = str(course.root)
    if scheduler:
        outcomes = _run_dask(scheduler, root, db_url, todo, progress)
    else:
        jobs = max(1, jobs or default_jobs())
        if jobs == 1 or len(todo) == 1:
            outcomes = []
            for a, s in todo:
                out = _outcome(a, _grade_here(root, db_url, a, s))
                progress.update(out)
                outcomes.append(out)
        else:
            ctx = get_context("spawn")
            workers = min(jobs, len(todo))
            threads = max(1, default_jobs() // workers)
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = {pool.submit(grade_task, root, db_url, a, s, threads): (a, s) for a, s in todo}
                outcomes = _collect(futures, progress)
    return sorted(outcomes, key=lambda o: (o.assignment, o.student)), skipped


def run_canaries(course: Course, assignments: list[str]) -> None:
    """Grade each assignment's reference through the same path first (``canary.py``); stop the
    batch, before any student is graded, when one does not earn full marks."""
    from course.grading import canary
    from course.grading.protocol import GraderFailure

    for a in assignments:
        try:
            canary.ensure(course.root, a)
        except GraderFailure as failure:
            raise CourseError(failure.reason) from None


def _collect(futures: dict[Any, tuple[str, str]], progress: Progress, completed: Callable[..., Iterable[Any]] = as_completed) -> list[Outcome]:
    outcomes = []
    for fut in completed(list(futures)):
        assignment, student = futures[fut]
        try:
            out = _outcome(assignment, fut.result())
        except Exception as err:  # noqa: BLE001 - a broken worker fails one student, not the batch
            out = Outcome(student, False, 0.0, None, f"the grading worker failed: {type(err).__name__}: {err}", assignment)
        progress.update(out)
        outcomes.append(out)
    return outcomes


def _run_dask(scheduler: str, root: str, db_url: str, todo: list[tuple[str, str]], progress: Progress) -> list[Outcome]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - pinned in requirements.txt
        raise CourseError("--scheduler needs the 'distributed' package (pip install distributed)") from None
    try:
        client = Client(scheduler, timeout="20s")
    except OSError as err:
        raise CourseError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
    with client:
        futures = {
            client.submit(grade_task, root, db_url, a, s, pure=False, key=f"grade-{a}-{s}"): (a, s) for a, s in todo
        }
        return _collect(futures, progress, completed=dask_completed)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `course autograde ASSIGNMENT --jobs N`")
