"""How long do chapter 07's notebooks take? Wall time and the kernel's own CPU time.

    python benchmarks/capstone.py [--threads N]

Runs, each in a fresh kernel, the reference solution (source/07_image_classifier, hidden
tests included, as the grader runs it) and the lecture (notebooks/07_image_classifier.ipynb),
and prints per notebook: the wall time, the kernel's CPU time (user + system, all threads),
and the slowest cells. Targets on two CPU cores: reference under 60 s, lecture under 90 s.

``--threads N`` sets OMP_NUM_THREADS / torch threads in the kernel (default: 2, the two cores
of the target machine). On a machine shared with other jobs, wall time is inflated by the
waiting; the CPU time with ``--threads 1`` is then the better estimate of the wall time on an
idle machine, since one thread never waits for another.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.testing import KernelSession  # noqa: E402

NOTEBOOKS = ["source/07_image_classifier/07_image_classifier.ipynb", "notebooks/07_image_classifier.ipynb"]
CPU = "import resource as _r\n_u = _r.getrusage(_r.RUSAGE_SELF)\nprint(_u.ru_utime + _u.ru_stime)"


def measure(path: Path, threads: int) -> None:
    nb = nbformat.read(str(path), as_version=4)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    cells = []
    with tempfile.TemporaryDirectory() as scratch, KernelSession(scratch, timeout=600) as kernel:
        kernel.run(f"import torch\ntorch.set_num_threads({threads})")
        start = time.perf_counter()
        for cell in nb.cells:
            if cell.cell_type == "code":
                result = kernel.run(cell.source, cell.get("id", "?"))
                cells.append((result.seconds, cell.get("id", "?"), result.ok))
        wall = time.perf_counter() - start
        kernel.run(CPU)
        cpu = float(kernel.nb.cells[-1].outputs[0]["text"])
    bad = [c for _, c, ok in cells if not ok]
    slow = ", ".join(f"{cid} {s:.1f} s" for s, cid, _ in sorted(cells, reverse=True)[:4])
    print(f"{path.relative_to(ROOT)}: wall {wall:.1f} s, kernel CPU {cpu:.1f} s ({threads} thread(s)); slowest: {slow}")
    if bad:
        print(f"  cells with errors or stderr: {bad}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for rel in NOTEBOOKS:
        measure(ROOT / rel, args.threads)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
