"""The course's JupyterLab server extension: a Validate that summarises.

Stock nbgrader answers Validate with one "The following cell failed:" block per failing test
cell: a learner with 3 of 16 exercises done reads 13 tracebacks of untouched stubs before the
one real mistake. ``CourseValidator`` keeps nbgrader's checks (cell types, changed test cells,
the same execution) and answers with a summary first::

    Validate: 3/16 exercises pass · 12 not started · 1 failing
    ✗ drop_channel_dim — result should have shape (3, 4), but it has shape (1, 3, 4). ...

Stubs are collapsed into the "not started" count; each real failure gets one line with its
reason, then the short traceback. The extension swaps nbgrader's validator in its Validate
handler (the notebook toolbar and the Assignments tab both use it); the summary's entry hides
the stock "The following cell failed:" labels, which the summary lines replace, and makes long
lines wrap. ``jupyter_lab_config.py`` enables it.
"""

from __future__ import annotations

import html
import re
from typing import Any

from nbgrader import utils
from nbgrader.validator import Validator

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# nbgrader's dialog puts "The following cell failed:" above every entry; the summary lines replace
# those labels, so the first entry carries a style that hides them (the dialog inserts an entry's
# error as HTML: a <style> there applies, a script would not run) and lets long lines wrap.
DIALOG_STYLE = (
    "<style>#validation-message.validation-failed > div:not(.jp-RenderedText) > p { display: none; }"
    " #validation-message pre { white-space: pre-wrap; overflow-wrap: anywhere; }"
    " #validation-message.validation-failed > div.jp-RenderedText:nth-child(3n + 2) pre { font-weight: 600; margin-top: .8em; }"
    "</style>"
)


def _exercise(cell: Any) -> str:
    gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
    return gid[len("test_") :] if gid.startswith("test_") else gid


def _first_error(cell: Any) -> tuple[str, str, str] | None:
    """(ename, evalue, traceback text) of the cell's first error, or a stderr complaint."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            tb = ANSI.sub("", "\n".join(out.get("traceback", [])))
            return str(out.get("ename", "Error")), ANSI.sub("", str(out.get("evalue", ""))), tb
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = ANSI.sub("", str(out.get("text", ""))).strip()
            return "stderr", "the cell wrote to stderr (a warning?), which costs its points: " + text[:300], text
    return None


def summarise(nb: Any) -> dict[str, Any]:
    """Counts and reasons for the graded test cells of an executed notebook."""
    passed, not_started, failing = [], [], []
    for cell in nb.cells:
        if not utils.is_grade(cell) or cell.cell_type != "code":
            continue
        score, max_score = utils.determine_grade(cell, None)
        name = _exercise(cell)
        if score is not None and score >= max_score and not (max_score == 0 and utils.has_failed(cell)):
            passed.append(name)
            continue
        err = _first_error(cell)
        if err and err[0] == "NotImplementedError":
            not_started.append(name)
        else:
            reason = (err[1] if err and err[1] else err[0] if err else "it did not earn its points").strip()
            reason = reason.splitlines()[0] if reason else ""
            failing.append({"name": name, "reason": reason[:400], "traceback": err[2] if err else ""})
    total = len(passed) + len(not_started) + len(failing)
    return {"total": total, "passed": passed, "not_started": not_started, "failing": failing}


def headline(summary: dict[str, Any]) -> str:
    parts = [f"{len(summary['passed'])}/{summary['total']} exercises pass"]
    if summary["not_started"]:
        parts.append(f"{len(summary['not_started'])} not started")
    if summary["failing"]:
        first = summary["failing"][0]
        parts.append(f"{len(summary['failing'])} failing: {first['name']} — {first['reason']}")
    return "Validate: " + " · ".join(parts)


class CourseValidator(Validator):
    """nbgrader's Validator, answering with a summary line and one entry per real failure."""

    def validate(self, filename: str) -> dict[str, list[dict[str, str]]]:
        self._summary: dict[str, Any] | None = None
        results = super().validate(filename)
        if "failed" not in results or self._summary is None:
            return results
        summary = self._summary
        entries = [
            {
                "source": headline(summary),
                "error": DIALOG_STYLE
                + html.escape(
                    "Not started: " + ", ".join(summary["not_started"]) if summary["not_started"] else "Started: every exercise."
                ),
                "raw_error": "",
            }
        ]
        for item in summary["failing"]:
            entries.append(
                {
                    "source": f"\u2717 {item['name']} — {item['reason']}",
                    "error": html.escape(item["traceback"]),
                    "raw_error": item["traceback"],
                }
            )
        results["failed"] = entries
        results["summary"] = summary
        return results

    def _get_failed_cells(self, nb: Any) -> list[Any]:
        self._summary = summarise(nb)
        return super()._get_failed_cells(nb)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from nbgrader.server_extensions.validate_assignment import handlers

    handlers.Validator = CourseValidator
    serverapp.log.info("course: Validate answers with a summary (course.lab.CourseValidator)")


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "course.lab"}]
