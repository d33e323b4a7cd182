"""Class rosters: real names in Formgrader, and the ids an LMS needs when grades are exported.

A roster is a CSV file with a header row. ``id`` is required (the course's student id: the
Unix or JupyterHub user name); ``first_name``, ``last_name``, ``email`` and ``lms_user_id`` are
optional, as in ``nbgrader db student import``::

    id,first_name,last_name,email,lms_user_id
    alice,Alice,Martin,alice@example.edu,123456

``course roster FILE`` puts every row into the gradebook, so Formgrader shows "Martin, Alice"
instead of "None, None", and ``course grades --roster FILE`` maps ids for an LMS.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from course.grading.coursedir import Course, CourseError

COLUMNS = ("id", "first_name", "last_name", "email", "lms_user_id")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")


def read_roster(path: str | Path) -> list[dict[str, str]]:
    """The rows of a roster CSV, checked: a header with ``id``, ids that are valid and unique."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise CourseError(f"cannot read the roster {path}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise CourseError(f"{path} is not UTF-8 text: save the roster as CSV (UTF-8)") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "id" not in header:
        raise CourseError(f"{path}: the first row must be a header with an 'id' column (and optionally {', '.join(COLUMNS[1:])})")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise CourseError(f"{path}: unknown column(s) {', '.join(unknown)}; a roster has {', '.join(COLUMNS)}")
    rows, seen = [], set()
    for n, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        sid = row.get("id", "")
        if not _ID.match(sid):
            raise CourseError(f"{path}, line {n}: {sid!r} is not a valid student id (letters, digits, . _ @ + -)")
        if sid in seen:
            raise CourseError(f"{path}, line {n}: student {sid!r} appears twice")
        seen.add(sid)
        rows.append({k: row.get(k, "") for k in COLUMNS})
    return rows


def import_roster(course: Course, path: str | Path) -> int:
    """Create or update every student of the roster in the gradebook; return how many."""
    rows = read_roster(path)
    with course.gradebook() as gb:
        for row in rows:
            fields = {k: row[k] or None for k in COLUMNS[1:]}
            gb.update_or_create_student(row["id"], **fields)
    return len(rows)


def lms_ids(path: str | Path) -> dict[str, str]:
    """Course id -> LMS user id, for the rows that have one."""
    return {r["id"]: r["lms_user_id"] for r in read_roster(path) if r["lms_user_id"]}
