"""`course similarity ASSIGNMENT`: which students' own code is alike, for a person to weigh.

It compares, pairwise, only what each student wrote: the solution cells of their submitted
notebook. Everything the course gave them (the stubs' signatures and docstrings, locked cells)
is boilerplate and does not count, and names and formatting are normalised: the comparison is
copydetect's (winnowed fingerprints of the token stream, with identifiers, strings and
numbers abstracted), not a home-made algorithm.

Output, in ``reports/ASSIGNMENT/``: ``similarity.csv`` (every pair, most alike first) and
``similarity.html`` (copydetect's side-by-side view of the pairs above the threshold, under a
note on what the numbers mean). It is evidence, not a verdict: short exercises with one
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
    tokens: int


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


def compare(
    course: Course, assignment: str, out_dir: Path | None = None, threshold: float = 0.6, students: list[str] | None = None
) -> tuple[list[Pair], Path]:
    """Compare every pair of submissions; write similarity.csv and similarity.html; return (pairs, html)."""
    import matplotlib

    matplotlib.use("Agg")
    from copydetect import CopyDetector

    course.require_assignment(assignment)
    ids = students or course.submitted_students(assignment)
    out = out_dir or course.root / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / "similarity.html"
    with tempfile.TemporaryDirectory(prefix="course-similarity-") as tmp:
        code_dir, given_dir = Path(tmp) / "code", Path(tmp) / "given"
        code_dir.mkdir()
        given_dir.mkdir()
        files = {}
        for sid in ids:
            code = solution_code(course.root / "submitted" / sid / assignment / f"{assignment}.ipynb")
            if code.strip():
                files[sid] = code_dir / f"{sid}.py"
                files[sid].write_text(code, encoding="utf-8")
        if len(files) < 2:
            raise CourseError(f"{assignment}: fewer than two submissions with code to compare")
        (given_dir / "starter.py").write_text(solution_code(course.release_notebook(assignment)), encoding="utf-8")
        detector = CopyDetector(
            extensions=["py"], display_t=threshold, autoopen=False, silent=True, truncate=True, out_file=str(html_path)
        )
        for path in files.values():
            detector.add_file(str(path))
        detector.add_file(str(given_dir / "starter.py"), type="boilerplate")
        detector.run()
        order = {str(p): sid for sid, p in files.items()}
        tests = [order[f] for f in detector.test_files]
        pairs = []
        for i, a in enumerate(tests):
            for j in range(i + 1, len(tests)):
                s_ab, s_ba = detector.similarity_matrix[i, j]
                if s_ab < 0:
                    continue
                pairs.append(Pair(a, tests[j], max(s_ab, s_ba), float(s_ab), float(s_ba), int(detector.token_overlap_matrix[i, j])))
        pairs.sort(key=lambda p: (-p.similarity, p.a, p.b))
        page = detector.generate_html_report(output_mode="return") or ""
        for sid, path in files.items():
            page = page.replace(str(path), sid)
    page = page.replace("<body>", "<body>" + NOTICE, 1) if "<body>" in page else NOTICE + page
    html_path.write_text(page, encoding="utf-8")
    with (out / "similarity.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student_a", "student_b", "similarity", "a_in_b", "b_in_a", "shared_tokens", "above_threshold"])
        for p in pairs:
            w.writerow([p.a, p.b, f"{p.similarity:.3f}", f"{p.a_in_b:.3f}", f"{p.b_in_a:.3f}", p.tokens,
                        "yes" if p.similarity >= threshold else ""])
    return pairs, html_path
