"""How fast does the course grade a class? One run prints all the figures.

    python benchmarks/grading.py [--students K] [--jobs N] [--assignments A B ...]

Builds a scratch course with every assignment and K simulated students per assignment
(reference, untouched and half-done, in turn), then measures, on the same submissions:

1. sequential: plain ``nbgrader autograde A`` for each assignment, one after another;
2. parallel:   ``course autograde --all --jobs N`` (one pool for the whole batch);
3. the floor:  the sum of the plain kernel execution times of the same notebooks (the
   autograded ones, hidden tests included: nbclient, fresh kernel each), divided by N.

and checks that both runs gave identical grades. Targets on a 2-core machine: parallel at
least 1.8x faster than sequential, and within 1.25x of the floor.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.grading.coursedir import Course, scratch_course, submit  # noqa: E402
from course.grading.demo import half_done  # noqa: E402

BIN = Path(sys.executable).parent
KINDS = ("reference", "untouched", "halfdone")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DB_URL"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return seconds


def build_class(dest: Path, assignments: list[str], k: int) -> Course:
    course = scratch_course(Course(ROOT), dest, assignments)
    for a in assignments:
        _run([str(BIN / "nbgrader"), "generate_assignment", a, "--force"], dest)
        half = dest / f"{a}-half.ipynb"
        nbformat.write(half_done(course.source_notebook(a), course.release_notebook(a)), str(half))
        notebooks = {"reference": course.source_notebook(a), "untouched": course.release_notebook(a), "halfdone": half}
        for i in range(k):
            kind = KINDS[i % len(KINDS)]
            submit(course, a, f"{kind}-{i:03d}", notebooks[kind])
    return course


def floor_seconds(course: Course) -> tuple[float, int]:
    """Sum of plain nbclient execution times of the autograded notebooks."""
    from nbclient import NotebookClient

    total, count = 0.0, 0
    for path in sorted((course.root / "autograded").glob("*/*/*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        client = NotebookClient(
            nb, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(path.parent)}}
        )
        start = time.perf_counter()
        client.execute()
        total += time.perf_counter() - start
        count += 1
    return total, count


def grades(course: Course) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
    return {(s.assignment, s.student): s.cells for s in course.scores()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=6, help="simulated students per assignment (default 6)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs (default 2)")
    parser.add_argument("--assignments", nargs="*", help="default: every assignment in source/")
    args = parser.parse_args()
    assignments = args.assignments or Course(ROOT).assignments()
    n = args.students * len(assignments)
    print(f"{len(assignments)} assignment(s) x {args.students} students = {n} submissions, {args.jobs} jobs, {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        seq = build_class(Path(tmp) / "sequential", assignments, args.students)
        par_root = Path(tmp) / "parallel"
        shutil.copytree(seq.root, par_root)
        (par_root / "gradebook.db").unlink()
        par = Course(par_root, db_url=f"sqlite:///{par_root / 'gradebook.db'}")
        for a in assignments:
            _run([str(BIN / "nbgrader"), "generate_assignment", a, "--force"], par_root)

        # The canaries (the reference graded once per assignment and version, then cached) run
        # first, outside both timings: they are the same one-off cost for both ways of grading.
        from course.grading import canary

        start = time.perf_counter()
        for a in assignments:
            canary.ensure(seq.root, a)
        print(f"canaries (cached afterwards):  {time.perf_counter() - start:7.1f} s")

        t_seq = sum(_run([str(BIN / "nbgrader"), "autograde", a, "--force"], seq.root) for a in assignments)
        print(f"sequential nbgrader autograde: {t_seq:7.1f} s  ({t_seq / n:.2f} s per submission)")
        t_par = _run([str(BIN / "course"), "--root", str(par_root), "autograde", "--all", "--force", "--jobs", str(args.jobs)], par_root)
        print(f"course autograde --jobs {args.jobs}:     {t_par:7.1f} s  ({t_par / n:.2f} s per submission)")
        kernel_total, count = floor_seconds(seq)
        floor = kernel_total / args.jobs
        print(f"floor (kernel time / {args.jobs}):       {floor:7.1f} s  ({kernel_total:.1f} s of plain kernel runs over {count} notebooks)")
        same = grades(seq) == grades(par)
        print(f"speed-up over sequential:      {t_seq / t_par:7.2f}x   (target >= 1.8x)")
        print(f"parallel / floor:              {t_par / floor:7.2f}x   (target <= 1.25x)")
        print(f"identical grades:              {'yes' if same else 'NO'}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
