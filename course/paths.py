"""Where the course lives on disk, resolved the same from any working directory.

A lecture in ``notebooks/``, a student's copy in ``release/``, an autograded copy in
``autograded/<student>/`` and a JupyterHub home all find the same data folder:

1. ``COURSE_DATA_DIR`` if set (JupyterHub: point it at a shared read-only folder);
2. ``<repository>/data`` when the package runs from a checkout (``pip install -e .``);
3. ``~/.cache/pytorch-course/data`` otherwise (an installed package).
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "COURSE_DATA_DIR"


def package_dir() -> Path:
    return Path(__file__).resolve().parent


def repo_root() -> Path | None:
    """The checkout that holds this package, or None for an installed copy."""
    candidate = package_dir().parent
    if (candidate / "nbgrader_config.py").is_file() and (candidate / "pyproject.toml").is_file():
        return candidate
    return None


def data_dir() -> Path:
    """The folder that holds (or will hold) the course's generated data."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser().resolve()
    root = repo_root()
    if root is not None:
        return root / "data"
    return Path.home() / ".cache" / "pytorch-course" / "data"
