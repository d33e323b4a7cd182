"""How long `course report` and `course similarity` take for a class of 300 (target: < 60 s each).

    python benchmarks/class_analytics.py [--students 300] [--graded 12] [--assignment 04_nn]

A scratch course gets a simulated class (course.grading.classsim: realistic mistakes from the
known-wrong bank, a planted copy). ``--graded`` of them are autograded for real; the rest of the
gradebook and autograded/ is filled with copies of those graded results under the other
students' ids (grading 300 notebooks is what `make bench` measures, not this). Similarity runs
on all the simulated submissions, which are all different. Prints the timings and appends them
to benchmarks/class_analytics.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--graded", type=int, default=12)
    parser.add_argument("--assignment", default="01_tensors")
    args = parser.parse_args()

    from course.grading.analytics import write_report
    from course.grading.classsim import simulate
    from course.grading.coursedir import Course, scratch_course
    from course.grading.parallel import autograde_many
    from course.grading.release import release
    from course.grading.similarity import compare

    name = args.assignment
    with tempfile.TemporaryDirectory(prefix="course-bench-class-") as tmp:
        root = Path(tmp) / "course"
        course = scratch_course(Course(ROOT), root, [name])
        for bank in ("wrong", "right"):
            src = ROOT / "tests" / bank / f"{name}.py"
            if src.is_file():
                (root / "tests" / bank).mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, root / "tests" / bank / src.name)
        release(course, name, verify=False)
        t0 = time.perf_counter()
        sim = simulate(course, name, args.students, seed=1)
        t_sim = time.perf_counter() - t0
        graded = sim.students[: args.graded]
        t0 = time.perf_counter()
        outcomes, _ = autograde_many(course, [name], jobs=2, force=True, say=lambda _: None, only=[(name, s) for s in graded])
        t_grade = time.perf_counter() - t0
        assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok]
        # Fill the rest of the class with copies of the graded results (gradebook rows and files).
        t0 = time.perf_counter()
        with course.gradebook() as gb:
            done = {s: {g.name: g for nb in gb.find_submission(name, s).notebooks for g in nb.grades} for s in graded}
            for k, sid in enumerate(sim.students[args.graded :]):
                model = graded[k % len(graded)]
                gb.update_or_create_student(sid)
                sub = gb.update_or_create_submission(name, sid)
                for nb in sub.notebooks:
                    for g in nb.grades:
                        g.auto_score = done[model][g.name].auto_score
                        g.needs_manual_grade = False
                src = root / "autograded" / model
                dest = root / "autograded" / sid
                shutil.copytree(src / name, dest / name, dirs_exist_ok=True)
                shutil.copy2(src / f"{name}.grading.json", dest / f"{name}.grading.json")
            gb.db.commit()
        t_fill = time.perf_counter() - t0
        t0 = time.perf_counter()
        index = write_report(course, name)
        t_report = time.perf_counter() - t0
        t0 = time.perf_counter()
        pairs, _page = compare(course, name, students=sim.students)
        t_sim_check = time.perf_counter() - t0
        top = pairs[0]
        assert index.is_file()

    lines = [
        f"\n## {time.strftime('%Y-%m-%d %H:%M')} · {platform.node()} · {os.cpu_count()} cores · {name}",
        f"- class: {len(sim.students)} submissions ({args.students} simulated + the planted copied pair); "
        f"{args.graded} graded for real in {t_grade:.1f} s, the rest filled from them in {t_fill:.1f} s; simulating took {t_sim:.1f} s",
        f"- `course report`: **{t_report:.1f} s** (target < 60 s)",
        f"- `course similarity`: **{t_sim_check:.1f} s** for {len(pairs)} pairs (target < 60 s); "
        f"most alike: {top.a} ~ {top.b} at {top.similarity:.0%}",
    ]
    text = "\n".join(lines)
    print(text)
    out = ROOT / "benchmarks" / "class_analytics.md"
    if not out.exists():
        out.write_text("# Class report and similarity check for a large class\n\nMeasured by `python benchmarks/class_analytics.py`.\n")
    with out.open("a") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
