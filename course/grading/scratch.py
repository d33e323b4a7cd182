"""The scratch folder a notebook is graded in (``autograded/<student>/<assignment>/``), before
and after its kernel: nbgrader copies the whole submission there, and the kernel's working
directory has that path.

- :func:`prepare`: before the kernel starts, submitted files that could shadow the course's
  code (``torch.py``, ``course/``, ``*.pth``, links...) are removed, and named for a flag;
- :func:`clean`: afterwards, whatever the kernel left (links and special files first) is
  removed, so nothing it left can trick nbgrader's later steps (it chmods every file there).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyd", ".so", ".pth", ".egg-link", ".egg", ".whl", ".zip")


def source_files(coursedir: Any, assignment: str | None) -> set[str]:
    """Files (relative paths) that nbgrader copied from source/: these belong there."""
    if coursedir is None or not assignment:
        return set()
    src = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    if not src.is_dir():
        return set()
    return {str(p.relative_to(src)) for p in src.rglob("*") if not p.name.endswith(".ipynb")}


def prepare(root: str, allowed: set[str]) -> list[str]:
    """Remove submitted files that could shadow the course's code; return their names."""
    folder = Path(root)
    removed = []
    for p in sorted(folder.iterdir()) if folder.is_dir() else []:
        rel = p.name  # a plain file that is not code (the notebooks, timestamp.txt, data) stays
        if rel in allowed and p.is_file() and not p.is_symlink():
            continue
        if p.is_dir() and not p.is_symlink() and rel in {a.split(os.sep)[0] for a in allowed}:
            continue
        codeish = p.is_symlink() or p.is_dir() or p.name.endswith(CODE_SUFFIXES) or not p.is_file()
        if codeish:
            removed.append(rel + ("/" if p.is_dir() and not p.is_symlink() else ""))
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
    return removed


def listing(root: str) -> set[str]:
    """Every path under ``root``, relative to it."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, n), root))
    return out


def clean(root: str, before: set[str]) -> None:
    """Remove what was not in ``before`` (and every link or special file); give the rest back
    to the folder's owner, without set-id bits."""
    if not os.path.isdir(root):
        return
    uid, gid = os.stat(root).st_uid, os.stat(root).st_gid
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for n in filenames + dirnames:
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, root)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode) or not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)) or rel not in before:
                try:
                    if stat.S_ISDIR(st.st_mode):
                        shutil.rmtree(full, ignore_errors=True)
                    else:
                        os.unlink(full)
                except OSError:
                    pass
            elif os.geteuid() == 0 and (st.st_uid, st.st_gid) != (uid, gid):
                try:
                    os.lchown(full, uid, gid)
                except OSError:
                    pass
            if stat.S_ISREG(st.st_mode) and st.st_mode & (stat.S_ISUID | stat.S_ISGID):
                try:
                    os.chmod(full, st.st_mode & 0o777 & ~0o6000)
                except OSError:
                    pass
