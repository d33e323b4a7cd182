"""`course similarity ASSIGNMENT`: which students' own code is alike, for a person to weigh.

It compares, pairwise, only what each student wrote: the solution cells of their submitted
notebook. Everything the course gave them (the stubs' signatures and docstrings, locked cells)
is boilerplate and does not count, and names and formatting are normalised: the comparison is
copydetect's (winnowed fingerprints of the token stream, with identifiers, strings and
numbers abstracted), not a home-made algorithm.

Output, in ``reports/ASSIGNMENT/``: ``similarity.csv`` (every pair, most alike first) and
``similarity.html`` (the pairs above the threshold side by side, copydetect's highlighting of
the code found in both, under a note on what the numbers mean). It is evidence, not a verdict: short exercises with one
natural solution make honest students alike, so it flags nothing in the gradebook.
"""

from __future__ import annotations

import csv
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from course.grading.coursedir import Course, CourseError

NOTICE = (
    "<div style='font-family:system-ui,sans-serif;background:#fff8e1;border:1px solid #e0c060;padding:.8em 1em;margin:1em'>"
    "<b>Evidence for a person to weigh, not a verdict.</b> Each pair's score is the share of one student's own code "
    "(solution cells only; the course's starter code excluded; names and formatting normalised) that also appears in "
    "the other's. Exercises with one natural solution make honest students alike: read the code side by side, and "
    "talk to the students, before concluding anything. Nothing here is recorded in the gradebook.</div>"
)


@dataclass
class Pair:
    a: str
    b: str
    similarity: float  # the larger of the two directed shares, 0..1
    a_in_b: float
    b_in_a: float
    tokens: int  # fingerprints in common


def solution_code(notebook: Path) -> str:
    """The source of a notebook's solution cells (what the student wrote), one after another."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    parts = []
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        if meta.get("solution") and cell.get("cell_type") == "code":
            src = cell.get("source", "")
            parts.append("".join(src) if isinstance(src, list) else str(src))
    return "\n\n".join(parts) + "\n"


def _fingerprint(path: Path, boilerplate: object) -> object:
    from copydetect import CodeFingerprint, defaults

    window = defaults.GUARANTEE_THRESHOLD - defaults.NOISE_THRESHOLD + 1
    return CodeFingerprint(str(path), defaults.NOISE_THRESHOLD, window, boilerplate, filter=True, language="python")


def _side_by_side(pairs: list[Pair], prints: dict[str, object], threshold: float, limit: int) -> str:
    """copydetect's overlap highlighting, for the most alike pairs, as one HTML page."""
    import html

    from copydetect import compare_files
    from copydetect.utils import highlight_overlap

    shown = [p for p in pairs if p.similarity >= threshold][:limit]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Similar submissions</title><style>"
        "body{font-family:system-ui,sans-serif;margin:1em 2em;color:#222}.pair{margin:1.5em 0;border-top:2px solid #ccc}"
        ".cols{display:flex;gap:1em}.cols>div{flex:1;min-width:0}pre{background:#f7f7f7;padding:.6em;font-size:12px;"
        "white-space:pre-wrap;overflow-wrap:anywhere}.highlight-red{background:#f9c0c0}.highlight-green{background:#bfe8c0}"
        "</style></head><body>",
        NOTICE,
        f"<h1>Submissions most alike</h1><p>{len(pairs)} pairs compared; {len([p for p in pairs if p.similarity >= threshold])} "
        f"at or above {threshold:.0%}; the top {len(shown)} side by side (highlighted: code found in both). All pairs: "
        "<a href='similarity.csv'>similarity.csv</a>.</p>",
    ]
    for p in shown:
        _overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[p.a], prints[p.b])
        code_a, _ = highlight_overlap(prints[p.a].raw_code, slices_a, "<span class='highlight-red'>", "</span>", escape_html=True)
        code_b, _ = highlight_overlap(prints[p.b].raw_code, slices_b, "<span class='highlight-green'>", "</span>", escape_html=True)
        parts.append(
            f"<div class='pair'><h2>{html.escape(p.a)} ~ {html.escape(p.b)}: {p.similarity:.0%}</h2>"
            f"<p>{sim_a:.0%} of {html.escape(p.a)}'s code appears in {html.escape(p.b)}'s; {sim_b:.0%} the other way.</p>"
            f"<div class='cols'><div><h3>{html.escape(p.a)}</h3><pre>{code_a}</pre></div>"
            f"<div><h3>{html.escape(p.b)}</h3><pre>{code_b}</pre></div></div></div>"
        )
    if not shown:
        parts.append("<p>No pair reaches the threshold.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def compare(
    course: Course,
    assignment: str,
    out_dir: Path | None = None,
    threshold: float = 0.6,
    students: list[str] | None = None,
    show: int = 20,
) -> tuple[list[Pair], Path]:
    """Compare every pair of submissions; write similarity.csv and similarity.html; return (pairs, html).

    copydetect tokenises each student's code (identifiers, strings and numbers abstracted) and
    keeps winnowed fingerprints, the starter code's removed; a pair's similarity is the larger
    share of one student's fingerprints found in the other's, counted for all pairs at once.
    """
    import numpy as np

    course.require_assignment(assignment)
    ids = students or course.submitted_students(assignment)
    out = out_dir or course.root / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="course-similarity-") as tmp:
        starter = Path(tmp) / "starter.py"
        starter.write_text(solution_code(course.release_notebook(assignment)), encoding="utf-8")
        from copydetect import CodeFingerprint, defaults

        boilerplate = np.unique(np.array(list(CodeFingerprint(str(starter), defaults.NOISE_THRESHOLD, 1, filter=True, language="python").hashes)))
        prints = {}
        for sid in ids:
            code = solution_code(course.root / "submitted" / sid / assignment / f"{assignment}.ipynb")
            if not code.strip():
                continue
            path = Path(tmp) / f"{sid}.py"
            path.write_text(code, encoding="utf-8")
            prints[sid] = _fingerprint(path, boilerplate)
    names = [sid for sid in prints if len(prints[sid].hashes)]
    if len(names) < 2:
        raise CourseError(f"{assignment}: fewer than two submissions with code of their own to compare")
    column: dict[int, int] = {}
    rows, cols = [], []
    for i, sid in enumerate(names):
        for h in prints[sid].hashes:
            rows.append(i)
            cols.append(column.setdefault(int(h), len(column)))
    member = np.zeros((len(names), len(column)), dtype=np.float64)  # exact shares: 7/10 is 0.7, not 0.69999999
    member[rows, cols] = 1.0
    shared = member @ member.T  # fingerprints each pair has in common
    sizes = member.sum(axis=1)
    pairs = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a_in_b, b_in_a = shared[i, j] / sizes[i], shared[i, j] / sizes[j]
            pairs.append(Pair(names[i], names[j], float(max(a_in_b, b_in_a)), float(a_in_b), float(b_in_a), int(shared[i, j])))
    pairs.sort(key=lambda p: (-p.similarity, p.a, p.b))
    html_path = out / "similarity.html"
    html_path.write_text(_side_by_side(pairs, prints, threshold, show), encoding="utf-8")
    with (out / "similarity.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_a", "student_b", "similarity", "a_in_b", "b_in_a", "shared_fingerprints", "above_threshold"])
        for p in pairs:
            w.writerow([p.a, p.b, f"{p.similarity:.3f}", f"{p.a_in_b:.3f}", f"{p.b_in_a:.3f}", p.tokens,
                        "yes" if p.similarity >= threshold else ""])
    return pairs, html_path
