"""`course doctor`: is this machine ready to study and to grade the course?"""

from __future__ import annotations

import importlib.metadata as md
import platform
import re
import subprocess
import sys
from pathlib import Path

from course.grading.coursedir import Course


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def lab_extension_ok() -> tuple[bool, str]:
    jupyter = Path(sys.executable).with_name("jupyter")
    cmd = [str(jupyter) if jupyter.exists() else "jupyter", "labextension", "list"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, f"could not run `jupyter labextension list`: {err}"
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    for line in text.splitlines():
        if "@jupyter/nbgrader" in line:
            return ("enabled" in line and "OK" in line), line.strip()
    return False, "@jupyter/nbgrader is not listed by `jupyter labextension list`"


def checks(course: Course) -> list[tuple[str, bool, str]]:
    """(what, ok, detail) for everything the course needs."""
    import torch

    from course import devices, get_device
    from course.device import CudaRequiredError, cuda_required

    rows: list[tuple[str, bool, str]] = []
    rows.append(("python", sys.version_info[:2] >= (3, 11), f"{platform.python_version()} ({sys.executable})"))
    for dist in ("torch", "torchvision", "nbgrader", "jupyterlab", "matplotlib", "pandas"):
        rows.append((dist, _version(dist) != "not installed", _version(dist)))
    cuda = torch.cuda.is_available()
    detail = f"{get_device()} (CUDA {'available: ' + torch.cuda.get_device_name(0) if cuda else 'not available'})"
    rows.append(("device", True, detail))
    try:
        rows.append(("test devices", True, ", ".join(str(d) for d in devices())))
    except CudaRequiredError as err:
        rows.append(("test devices", False, str(err)))
    if cuda_required():
        rows.append(("COURSE_REQUIRE_CUDA", cuda, "set: CUDA checks are mandatory"))
    try:
        from course import data

        ready = data.is_complete()
        rows.append(("data", ready, f"{data.data_dir()} ({'ready' if ready else 'missing: run `course data`'})"))
    except (ImportError, AttributeError) as err:  # pragma: no cover - data module always ships
        rows.append(("data", False, f"course.data unavailable: {err}"))
    ok, line = lab_extension_ok()
    rows.append(("nbgrader lab extension", ok, line))
    rows.append(("gradebook", True, course.db_url))
    from course.grading import sandbox

    box = sandbox.support()
    required = sandbox.mode() == "required"
    # Unsandboxed grading still works (macOS, containers without user namespaces): a warning, not a failure.
    rows.append(("grading sandbox", box.available or not required, f"{box.describe()}; {box.explain()}"))
    registered = sandbox.provisioner_registered()
    rows.append(("kernel provisioner", registered,
                 f"{sandbox.PROVISIONER} registered: grading kernels start through it" if registered else
                 f"{sandbox.PROVISIONER} is not registered, so nothing can be graded: run `make setup` (or pip install -e .)"))
    assignments = course.assignments()
    missing = [a for a in assignments if not course.release_notebook(a).is_file()]
    rows.append(("assignments", not missing, f"{len(assignments)} in source/" + (f"; not released: {', '.join(missing)}" if missing else ", all released")))
    return rows
