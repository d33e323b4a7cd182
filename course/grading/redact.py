"""Feedback that never shows hidden tests (nbgrader issue #917), yet says what failed and why.

nbgrader builds feedback from the autograded notebook, where every test cell holds its
hidden part and its tracebacks quote it. ``HideHiddenTests`` (a GenerateFeedback
preprocessor, see ``nbgrader_config.py``):

- cuts the text between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` out of every
  test cell, leaving one line that says hidden checks ran;
- replaces the traceback of a failed test by the check's own message (``course.checks``
  messages are written for learners), the test's name, and where in the learner's code the
  error came from when it came from there; nothing of the hidden code survives;
- drops the grader's review notice and any output of a test cell that could echo hidden
  values (only the visible part's printed output before the failure is kept).
"""

from __future__ import annotations

import re
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from course.grading.protocol import HIDDEN_BEGIN, HIDDEN_END, TEST_FILE_PREFIX
from course.i18n import N_, format_in, notebook_language

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NOTICE_ID = "course-grading-notice"
FRIENDLY = {
    "CheckFailed": "{evalue}",
    "CellTimeoutError": N_("This test took longer than the time limit and was stopped: is there an endless loop, "
                           "or a very slow step, in your code?"),
    "KernelDied": "{evalue}",
    "NotRun": "{evalue}",
    "GraderError": "{evalue}",
    "GuardViolation": "{evalue}",
    "NotImplementedError": N_("Your function still raises NotImplementedError: replace the stub with your code."),
    "KeyboardInterrupt": N_("This test was interrupted (it ran past its time limit)."),
}


class HideHiddenTests(NbGraderPreprocessor):
    begin = Unicode(HIDDEN_BEGIN).tag(config=True)
    end = Unicode(HIDDEN_END).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        nb.cells = [c for c in nb.cells if c.get("id") != NOTICE_ID]
        self._lang = notebook_language(nb)  # feedback in the language the assignment was released in
        # Every line of every hidden test, to scrub from any output (a learner's cell may print them).
        self._hidden: list[str] = []
        for cell in nb.cells:
            if cell.cell_type == "code" and self.begin in cell.source:
                self._hidden += _hidden_lines(cell.source, self.begin, self.end)
        self._hidden.sort(key=len, reverse=True)
        # The learner's own names (what their solution cells define), to say which one a hidden
        # check was calling when it failed, without showing the check.
        self._learner_names: set[str] = set()
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
                self._learner_names |= _defined_names(cell.source)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[NotebookNode, Any]:
        md = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            return cell, resources
        if not md.get("grade") or md.get("solution"):
            for out in cell.get("outputs", []):
                _scrub_output(out, self._hidden)
            return cell, resources
        original = cell.source.split("\n")
        hidden_at = _hidden_line_numbers(original, self.begin, self.end)
        self._strip(cell)
        hidden_lines = self._hidden
        outs = []
        timed_out = any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))
        for out in cell.get("outputs", []):
            if timed_out and out.output_type == "error" and out.get("ename") == "KeyboardInterrupt":
                continue  # the interrupt that stopped it: the timeout says it better
            if out.output_type == "error":
                line = _test_line(out.get("traceback", []))
                hidden = line in hidden_at
                calling = sorted(_words(original[line - 1]) & self._learner_names) if hidden else []  # hidden: a line of this cell
                outs.append(self._explain(out, md.get("grade_id", "this test"), hidden_lines, hidden, calling))
            elif out.output_type == "stream" and out.get("name") == "stderr":
                text = ANSI.sub("", out.get("text", ""))
                outs.append(new_output("stream", name="stderr", text=_scrub(text, hidden_lines)[:2000]))
            elif out.output_type == "stream":
                outs.append(new_output("stream", name="stdout", text=_scrub(out.get("text", ""), hidden_lines)[:5000]))
            # display data and results of a test cell are left out: they could show hidden values
        cell.outputs = outs
        return cell, resources

    def _strip(self, cell: NotebookNode) -> None:
        """Replace each hidden block of a test cell by one line that says hidden checks ran."""
        kept, inside = [], False
        for line in cell.source.split("\n"):
            if self.begin in line:
                inside = True
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(indent + "# " + self._in("(hidden tests: they run when your work is graded, on inputs you have not seen)"))
                continue
            if self.end in line:
                inside = False
                continue
            if not inside:
                kept.append(line)
        cell.source = "\n".join(kept)

    def _in(self, template: str, **fields: Any) -> str:
        """A message of the feedback in the notebook's language (course.i18n)."""
        return format_in(getattr(self, "_lang", "en"), template, **fields)

    def _explain(
        self, out: NotebookNode, test: str, hidden_lines: list[str], hidden: bool, calling: list[str]
    ) -> NotebookNode:
        ename = str(out.get("ename", "Error"))
        evalue = ANSI.sub("", str(out.get("evalue", "")))
        template = FRIENDLY.get(ename)
        if template is not None:
            message = self._in(template, evalue=evalue)
        elif evalue:
            message = f"{ename}: {evalue}"
        else:
            message = self._in("{ename} (a check failed without a message)", ename=ename)
        where = _learner_frame(out.get("traceback", []))
        if hidden:
            called = self._in(", calling your {names}", names=", ".join(f"{n}()" for n in calling)) if calling else ""
            inner = message
            message = self._in("A hidden check failed (one that runs on inputs you have not seen{called}): {message}", called=called, message=inner)
            text = self._in(
                "{test} failed a hidden check (one that runs on inputs you have not seen{called}): {message}",
                test=test, called=called, message=_scrub(inner, hidden_lines),
            )
        else:
            text = self._in("{test} failed: {message}", test=test, message=_scrub(message, hidden_lines))
        if where:
            text += "\n" + self._in("(the error was raised in your code: {where})", where=where)
        return new_output("error", ename=ename, evalue=_scrub(message, hidden_lines), traceback=[text])


def _hidden_line_numbers(lines: list[str], begin: str, end: str) -> set[int]:
    """1-based numbers of the lines of a test cell that are hidden tests."""
    found, inside = set(), False
    for number, line in enumerate(lines, start=1):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            found.add(number)
    return found


def _test_line(traceback: list[str]) -> int:
    """The line of the test cell where it failed: the innermost frame of the test's own file."""
    found = 0
    for entry in traceback:
        for m in re.finditer(re.escape(TEST_FILE_PREFIX) + r"[^>]*>\D{0,12}?(\d+)", ANSI.sub("", entry)):
            found = int(m.group(1))
    return found


def _words(line: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line))


def _defined_names(source: str) -> set[str]:
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _hidden_lines(source: str, begin: str, end: str) -> list[str]:
    """The hidden tests' lines long enough to scrub from outputs (stripped)."""
    lines = source.split("\n")
    return [lines[n - 1].strip() for n in sorted(_hidden_line_numbers(lines, begin, end)) if len(lines[n - 1].strip()) > 8]


def _scrub_output(out: NotebookNode, hidden_lines: list[str]) -> None:
    if not hidden_lines:
        return
    if "text" in out:
        out["text"] = _scrub(ANSI.sub("", str(out["text"])), hidden_lines)
    if "evalue" in out:
        out["evalue"] = _scrub(ANSI.sub("", str(out["evalue"])), hidden_lines)
    if "traceback" in out:
        out["traceback"] = [_scrub(ANSI.sub("", str(t)), hidden_lines) for t in out["traceback"]]
    for kind, value in list(out.get("data", {}).items()):
        if isinstance(value, str):
            out["data"][kind] = _scrub(value, hidden_lines)


def _scrub(text: str, hidden_lines: list[str]) -> str:
    for h in hidden_lines:
        if h in text:
            text = text.replace(h, "<hidden test>")
    return text


def _learner_frame(traceback: list[str]) -> str:
    """'line N of your cell' for the innermost frame that is the learner's, else ''."""
    found = ""
    for entry in traceback:
        plain = ANSI.sub("", entry)
        m = re.search(r"Cell In\[(\d+)\], line (\d+)(?:, in (\w+))?", plain)
        if m:
            found = f"line {m.group(2)}" + (f" of {m.group(3)}()" if m.group(3) else "")  # never "<module>": \w+ does not match it
    return found
