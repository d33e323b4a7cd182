"""The feedback page scans: a table of exercises (title, score, one-line reason, link) at the
top instead of nbgrader's "Test cell" / "Comment" index, and text that wraps."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config


def _exporter() -> HTMLExporter:
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    import nbgrader

    merged = Config()
    merged.HTMLExporter = config.HTMLExporter
    # What nbgrader's GenerateFeedback adds: where its page finds bootstrap.min.css.
    static = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "static"
    merged.HTMLExporter.extra_template_paths = [str(static / "node_modules" / "bootstrap" / "dist" / "css")]
    return HTMLExporter(config=merged)


def _test_cell(gid: str, score: float, points: float, outputs: list) -> object:
    cell = new_code_cell("from course.checks import check_true\ncheck_true(True, 'x')")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": gid, "points": points, "score": score}
    cell.outputs = outputs
    return cell


def test_feedback_starts_with_a_table_of_exercises(tmp_path: Path) -> None:
    long_reason = "add_batch_dim(x) should have shape (1, 3, 4, 5), but it has shape (3, 4, 5). " + "word " * 80
    nb = new_notebook(
        cells=[
            new_markdown_cell("## Exercise 1 · Make a tensor (1 point)\n\n**Level:** warm-up"),
            _test_cell("test_make_tensor", 1, 1, []),
            new_markdown_cell("## Exercise 2 · Add a batch dimension (2 points)\n\n**Level:** core"),
            _test_cell("test_add_batch_dim", 0, 2, [new_output("error", ename="CheckFailed", evalue=long_reason, traceback=["x"])]),
            new_markdown_cell("## Exercise 3 · Drop a channel (1 point)\n\n**Level:** core"),
            _test_cell("test_drop", 0, 1, [new_output("error", ename="NotImplementedError", evalue="", traceback=["x"])]),
        ]
    )
    resources = {"nbgrader": {"notebook": "01_tensors", "score": 1.0, "max_score": 4.0, "late_penalty": 0}}
    html, _ = _exporter().from_notebook_node(nb, resources=resources)
    table = html.split('id="course-summary"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr class=\"(\w+)\">(.*?)</tr>", table, re.S)
    assert [r[0] for r in rows] == ["full", "lost", "lost"]
    assert 'href="#test_make_tensor">Exercise 1 · Make a tensor</a>' in rows[0][1]
    assert "1.0 / 1.0" in rows[0][1] and "Every check passed" in rows[0][1]
    assert "Exercise 2 · Add a batch dimension" in rows[1][1] and "should have shape (1, 3, 4, 5)" in rows[1][1]
    assert "Not started" in rows[2][1]
    assert ">Test cell<" not in html and ">Comment<" not in html
    assert "white-space: pre-wrap" in html
    assert "(Score: 1.0 / 4.0)" in html
