"""What grading found besides the score: reasons for manual review, and notes.

Each graded submission gets ``autograded/<student>/<assignment>.grading.json`` beside (not
inside) its autograded folder: outside the sandbox's reach, and kept when nbgrader regrades.
A reason to review also sets nbgrader's own ``flagged`` mark on the submitted notebook, which
Formgrader shows; ``course grades`` exports both.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

SUFFIX = ".grading.json"


def report_path(autograded_dir: str | Path, student: str, assignment: str) -> Path:
    return Path(autograded_dir) / student / f"{assignment}{SUFFIX}"


def load(path: Path) -> dict[str, Any]:
    try:
        if path.is_symlink() or not path.is_file():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save(path: Path, data: dict[str, Any]) -> None:
    """Write atomically; never follow a link someone may have left in the way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.is_dir():
        if path.is_dir() and not path.is_symlink():
            import shutil

            shutil.rmtree(path)
        else:
            path.unlink()
    fd, tmp = tempfile.mkstemp(prefix=".grading-", dir=str(path.parent))
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def record_notebook(path: Path, notebook: str, flags: list[str], notes: list[str], sandbox: str) -> bool:
    """Store this notebook's findings; return whether the grader had flagged it before."""
    data = load(path)
    notebooks = data.setdefault("notebooks", {})
    before = bool(notebooks.get(notebook, {}).get("flagged"))
    notebooks[notebook] = {"flagged": bool(flags), "flags": flags, "notes": notes, "sandbox": sandbox}
    data.pop("failure", None)
    data.pop("ungraded", None)
    save(path, data)
    return before


def record_seconds(path: Path, seconds: float) -> None:
    """How long grading this submission took (for the class report's slowest gradings)."""
    data = load(path)
    if data:
        data["seconds"] = round(float(seconds), 2)
        save(path, data)


def record_failure(path: Path, reason: str, notebooks: list[str]) -> None:
    """A submission nbgrader could not grade at all: scored 0, flagged with the reason."""
    data = load(path)
    data["failure"] = reason
    data["notebooks"] = {nb: {"flagged": True, "flags": [reason], "notes": [], "sandbox": ""} for nb in notebooks}
    save(path, data)


def summary(path: Path) -> tuple[bool, list[str], list[str]]:
    """(flagged, reasons, notes) over every notebook of one submission."""
    data = load(path)
    flags: list[str] = []
    notes: list[str] = []
    if data.get("failure"):
        flags.append(str(data["failure"]))
    if data.get("ungraded"):
        flags.append(f"not graded (the grader's failure): {data['ungraded']}")
    for name, entry in sorted(data.get("notebooks", {}).items()):
        for f in entry.get("flags", []):
            item = f if len(data.get("notebooks", {})) == 1 else f"{name}: {f}"
            if item not in flags:
                flags.append(item)
        notes += [str(n) for n in entry.get("notes", [])]
    return bool(flags), flags, notes


def set_gradebook_flag(db_url: str, assignment: str, student: str, notebook: str, flagged: bool | None) -> None:
    """Set (True), clear (False) or leave (None) nbgrader's flag on one submitted notebook."""
    if flagged is None:
        return
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            snb = gb.find_submission_notebook(notebook, assignment, student)
        except MissingEntry:
            return
        if bool(snb.flagged) != flagged:
            snb.flagged = flagged
            gb.db.commit()


def record_ungraded(path: Path, reason: str) -> None:
    """Grading failed for a reason that is the grader's: the student is left ungraded, and why."""
    data = load(path)
    data["ungraded"] = reason
    save(path, data)


def forget_unscored(db_url: str, assignment: str, student: str) -> None:
    """Remove a submission that nbgrader registered for this attempt but that has never been scored,
    so that no 0 stands in the gradebook for work nobody graded. An earlier grade is kept."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return
        grades = [g for nb in sub.notebooks for g in nb.grades]
        if all(g.auto_score is None and g.manual_score is None for g in grades):
            gb.remove_submission(assignment, student)
