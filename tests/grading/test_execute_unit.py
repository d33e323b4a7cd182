"""The grading preprocessor and its findings recorder, in process: which cells are tests, what a
failed or skipped cell shows, what is recorded. Part of the fast oracle of ``make mutation``;
``test_results.py`` and ``test_trust.py`` run real kernels.

``GradingExecute`` runs here with its kernel replaced by :class:`FakeKernel` and nbclient's cell
execution by a script (what each cell outputs, or how it dies), so every path of grading a
notebook (guard answers, kernel deaths, timeouts, replays, output budgets) runs without a kernel.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_markdown_cell, new_notebook, new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import SaveAutoGrades
from tinycourse import add_grades, make_course
from traitlets.config import Config

from course.grading import execute, intake, results
from course.grading.execute import GradingExecute, _cell_kind
from course.grading.protocol import GraderFailure
from course.grading.redact import NOTICE_ID
from course.grading.results import RESOURCES_KEY, Findings, RecordFindings


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should the grader ever take the working folder for its scratch folder, it would clear it of
    code: never let that be the folder the tests run from."""
    monkeypatch.chdir(tmp_path)


def _code(source: str, **nbgrader: object) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = dict(nbgrader)
    return cell


def _locked(source: str, gid: str) -> nbformat.NotebookNode:
    return _code(source, grade_id=gid, locked=True, grade=False, solution=False)


def _test(source: str, gid: str, points: float = 1) -> nbformat.NotebookNode:
    return _code(source, grade_id=gid, locked=True, grade=True, solution=False, points=points)


def _value(text: str) -> nbformat.NotebookNode:
    return new_output("execute_result", data={"text/plain": text}, execution_count=1)


def _error(ename: str, evalue: str = "") -> nbformat.NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _stream(text: str, name: str = "stdout") -> nbformat.NotebookNode:
    return new_output("stream", name=name, text=text)


def test_cell_kinds() -> None:
    assert _cell_kind(nbformat.v4.new_markdown_cell("text")) == "skip"
    assert _cell_kind(_code("   \n")) == "skip"
    assert _cell_kind(_code("   \n", grade_id="t", grade=True, locked=True)) == "skip"
    assert _cell_kind(_code("x = 1")) == "student"
    assert _cell_kind(_code("x = 1", grade_id="a", solution=True)) == "student"
    assert _cell_kind(_code("x = 1", grade_id="a", solution=True, grade=True, locked=True)) == "student"
    assert _cell_kind(_code("assert x", grade_id="t", grade=True, locked=True, points=1)) == "test"
    assert _cell_kind(_code("import torch", grade_id="setup", locked=True)) == "locked"
    assert _cell_kind(_code("x = 1", grade_id="free", solution=False)) == "student"
    assert _cell_kind(_code("x = 1", grade_id="free", grade=True, locked=False)) == "student"
    assert _cell_kind(_code("assert x", grade=True, locked=True)) == "student"  # no grade id: not nbgrader's


def test_findings_keep_each_text_once() -> None:
    f = Findings("a.ipynb", "/scratch")
    f.flag("wrote outside")
    f.flag("wrote outside")
    f.note("slow")
    f.note("slow")
    assert f.flags == ["wrote outside"] and f.notes == ["slow"]
    assert (f.notebook, f.scratch, f.sandbox) == ("a.ipynb", "/scratch", "")


def test_findings_stop_at_a_hundred_of_each() -> None:
    f = Findings("a", "/s", "bubblewrap")
    for i in range(150):
        f.flag(f"flag {i}")
        f.note(f"note {i}")
    assert f.flags == [f"flag {i}" for i in range(100)] and f.notes == [f"note {i}" for i in range(100)]
    assert f.sandbox == "bubblewrap"


# --- the grading preprocessor, its kernel faked -------------------------------------------------


class FakeKernel:
    """What GradingExecute uses of course.grading.kernel.GradingKernel, scripted."""

    def __init__(self, *, guarded: bool = True, answers: dict[str, Any] | None = None, forged: int = 0,
                 why: str = "the kernel was killed (signal 9)", quiet: Any = None,
                 start_errors: list[BaseException | None] | None = None, language_info: dict | None = None) -> None:
        self.guarded, self.reader = guarded, (object() if guarded else None)
        self.answers = answers or {}
        self.forged, self.why = forged, why
        self.quiet_reply = quiet or (lambda code: {"content": {"status": "ok"}})
        self.start_errors = list(start_errors or [])
        self.language_info = language_info
        self.km = self.kc = None
        self.starts = self.stops = 0
        self.requests: list[tuple[str, str, str]] = []
        self.quieted: list[str] = []
        self.quiet_timeouts: list[float | None] = []
        self.waited: list[float] = []
        self._nonces: dict[str, str] = {}

    async def start(self) -> None:
        self.starts += 1
        self.km, self.kc = f"km{self.starts}", f"kc{self.starts}"
        error = self.start_errors.pop(0) if self.start_errors else None
        if error is not None:
            raise error

    async def stop(self) -> None:
        self.stops += 1
        self.km = self.kc = None

    def request(self, action: str, name: str, source: str) -> tuple[str, str]:
        nonce = f"n{len(self.requests)}"
        self.requests.append((action, name, source))
        self._nonces[nonce] = name
        return nonce, f"#guarded {action} {name}\n{source}"

    def answer(self, nonce: str, timeout: float) -> dict[str, Any] | None:
        self.waited.append(timeout)
        return self.answers.get(self._nonces[nonce], {})

    def take_forged(self) -> int:
        n, self.forged = self.forged, 0
        return n

    def death(self) -> str:
        return self.why

    async def quiet(self, code: str, timeout: float) -> dict[str, Any] | None:
        self.quieted.append(code)
        self.quiet_timeouts.append(timeout)
        return self.quiet_reply(code)


class Graded:
    def __init__(self, nb: Any, found: Findings, kernel: FakeKernel, ran: list, made: dict, log: str, resources: dict) -> None:
        self.nb, self.found, self.kernel, self.ran, self.made, self.log, self.resources = nb, found, kernel, ran, made, log, resources

    def outputs(self, i: int) -> list[dict]:
        return self.nb.cells[i].get("outputs", [])

    def errors(self, i: int) -> list[tuple[str, str]]:
        return [(o["ename"], o["evalue"]) for o in self.outputs(i) if o["output_type"] == "error"]


def _scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "autograded" / "s1" / "a1"
    folder.mkdir(parents=True)
    return folder


def grade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cells: list, script: dict[str, Any] | None = None,
          kernel: FakeKernel | None = None, resources: Any = "default", nb_metadata: dict | None = None,
          chosen: tuple[bool, str] = (True, "bubblewrap"), caplog: Any = None, **traits: Any) -> Graded:
    """Grade a notebook of ``cells``: ``script`` maps a cell's last source line to its outputs, or to
    an exception nbclient would raise, or to a callable run with the scratch folder."""
    kernel = kernel or FakeKernel()
    made: dict[str, Any] = {}

    def make_kernel(**kw: Any) -> FakeKernel:
        made.update(kw)
        return kernel

    monkeypatch.setattr(execute, "GradingKernel", make_kernel)
    monkeypatch.setattr(execute, "choose_sandbox", lambda setting, log: (made.update(setting=setting, log=log), chosen)[1])
    g = GradingExecute(config=Config(), **traits)
    ran: list[tuple[int, str, int]] = []
    script = script or {}

    async def run_cell(cell: Any, index: int, execution_count: int | None = None, **_: Any) -> Any:
        assert g.kc == kernel.kc and g.km == kernel.km  # nbclient runs cells through the live kernel's client
        ran.append((index, cell.source, execution_count))
        g.code_cells_executed += 1
        what = script.get(cell.source.splitlines()[-1], [])
        if isinstance(what, BaseException):
            raise what
        if callable(what):
            what = what(g._scratch)
        g.clear_before_next_output = False
        cell.outputs = []
        for out in what:  # what the kernel prints comes through the output budget, as from nbclient
            if out["output_type"] == "stream":
                msg = {"msg_type": "stream", "content": {"name": out["name"], "text": out["text"]},
                       "parent_header": {"msg_id": "m"}, "header": {"msg_type": "stream"}, "metadata": {}}
                g.output(cell.outputs, msg, None, index)
            else:
                cell.outputs.append(out)
        return cell

    g.async_execute_cell = run_cell
    nb = new_notebook(cells=cells)
    nb.metadata.update(nb_metadata or {})
    if resources == "default":
        scratch = _scratch(tmp_path)
        resources = {"metadata": {"path": str(scratch), "name": "a1"},
                     "nbgrader": {"notebook": "a1", "student": "s1", "assignment": "a1"}}
    nb, res = g.preprocess(nb, resources)
    return Graded(nb, res[RESOURCES_KEY], kernel, ran, made, caplog.text if caplog else "", res)


def test_cells_run_in_order_and_only_the_instructors_go_through_the_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = [new_markdown_cell("# A1"), _code("x = 1"), _locked("import helper", "setup"), _code("  "),
             _test("assert x == 1", "t1"), _code("y = 2", grade_id="answer", solution=True)]
    kernel = FakeKernel(language_info={"name": "python", "version": "3.11"})
    r = grade(tmp_path, monkeypatch, cells, {"assert x == 1": [_value("1")]}, kernel=kernel, guard_timeout=4)
    assert r.ran == [(1, "x = 1", 1), (2, "#guarded locked setup\nimport helper", 2),
                     (4, "#guarded test t1\nassert x == 1", 3), (5, "y = 2", 4)]
    assert [c.source for c in r.nb.cells][1:] == ["x = 1", "import helper", "  ", "assert x == 1", "y = 2"]
    assert r.outputs(4) == [_value("1")]
    # the guard is asked at the end whether the notebook's code tampered with anything after the last test
    assert kernel.requests == [("locked", "setup", "import helper"), ("test", "t1", "assert x == 1"), ("check", "end", "")]
    assert kernel.quieted == ["#guarded check end\n"] and kernel.waited == [4, 4, 4] and kernel.quiet_timeouts == [4]
    assert (kernel.starts, kernel.stops) == (1, 1)
    assert r.nb.metadata["language_info"] == {"name": "python", "version": "3.11"}
    assert r.found.flags == [] and r.found.notes == []
    assert (r.found.notebook, r.found.sandbox, r.found.scratch) == ("a1", "bubblewrap", str(tmp_path / "autograded" / "s1" / "a1"))
    assert r.resources["metadata"]["name"] == "a1"


def test_the_kernel_is_made_as_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = grade(
        tmp_path, monkeypatch, [_code("x = 1")], chosen=(False, "none (no bubblewrap)"), guard=False,
        memory_limit_mb=111, cpu_limit_s=22, max_processes=33, max_file_mb=44, extra_ro_paths=["/data"],
        startup_timeout=17, extra_arguments=["--x"], sandbox="required")
    made = r.made
    assert made["setting"] == "required" and made["log"] is not None and hasattr(made["log"], "warning")
    assert made["scratch"] == str(tmp_path / "autograded" / "s1" / "a1") and made["sandboxed"] is False
    assert made["guard"] is False and made["extra_ro"] == ["/data"]
    assert made["limits"] == {"memory_mb": 111, "cpu_seconds": 22, "processes": 33, "file_mb": 44}
    assert made["startup_timeout"] == 17 and made["extra_arguments"] == ["--x"] and made["config"] is not None
    assert r.found.sandbox == "none (no bubblewrap)"


def test_without_the_guard_no_cell_is_wrapped_and_no_check_is_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(guarded=False)
    r = grade(tmp_path, monkeypatch, [_locked("import h", "setup"), _test("assert 1", "t1")],
              {"assert 1": [_value("1")]}, kernel=kernel)
    assert [src for _, src, _ in r.ran] == ["import h", "assert 1"]
    assert kernel.requests == [] and kernel.quieted == []
    assert r.outputs(1) == [_value("1")] and r.found.flags == []


def test_what_the_guard_reports_becomes_flags_and_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(forged=2, answers={
        "t1": {"restored": ["replaced print"], "violations": ["changed the checks"], "untrusted": ["a helper was swapped"],
               "events": ["!wrote to /etc", "opened a file"]},
        "end": {"violations": ["patched assert_close"]},
    })
    r = grade(tmp_path, monkeypatch, [_code("x = 1"), _test("assert x", "t1")], {"assert x": [_value("1")]}, kernel=kernel)
    assert r.found.flags == [
        "the notebook replaced print (put back before t1)",
        "t1: changed the checks (the test did not count)",
        "a helper was swapped",
        "the notebook's code wrote to /etc",
        "something wrote forged answers to the grader's channel",
        "the end of the notebook: patched assert_close (the test did not count)",
    ]
    assert r.found.notes == ["the notebook's code opened a file"]


def test_a_test_whose_guard_never_answers_does_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(answers={"t1": None, "setup": None})
    r = grade(tmp_path, monkeypatch, [_locked("import h", "setup"), _test("assert x", "t1")],
              {"assert x": [_value("1")]}, kernel=kernel)
    assert r.errors(0) == []  # a locked cell is not scored
    assert r.errors(1) and r.errors(1)[0][0] == "GraderError"
    assert r.errors(1)[0][1] == ("The grader could not confirm this test: the notebook's code switched off the grader's checks "
                                 "(its answer never came back). The test does not count.")
    assert [o["output_type"] for o in r.outputs(1)] == ["error"]  # and its value no longer counts as a score
    assert r.found.flags == [
        "setup: the grader's in-kernel checks did not answer (switched off or silenced by the notebook's code)",
        "t1: the grader's in-kernel checks did not answer (switched off or silenced by the notebook's code)",
    ]


def test_a_test_scores_only_its_own_value_and_nothing_after_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = [_test("t_err", "a"), _test("t_two", "b"), _test("t_stderr", "c"), _test("t_one", "d"), _code("s_two"),
             _test("t_none", "e"), _test("t_pair", "f")]
    script = {
        "t_err": [_value("1"), _error("AssertionError", "no")],
        "t_two": [_value("0.5"), _stream("hi"), _value("1.5"), _value("2")],
        "t_pair": [_value("0.5"), _value("2")],  # exactly two: the learner's, then the test's
        "t_stderr": [_stream("warning", "stderr"), _value("1")],
        "t_one": [_stream("ok"), _value("3")],
        "s_two": [_value("1"), _value("2")],
        "t_none": [_stream("ok")],
    }
    r = grade(tmp_path, monkeypatch, cells, script, kernel=FakeKernel(guarded=False))
    assert r.outputs(0) == [_error("AssertionError", "no")]
    assert r.outputs(1) == [_stream("hi"), _value("2")]
    assert r.outputs(2) == [_stream("warning", "stderr")]
    assert r.outputs(3) == [_stream("ok"), _value("3")]
    assert r.outputs(4) == [_value("1"), _value("2")]  # the learner's own cells are left as they are
    assert r.outputs(5) == [_stream("ok")]
    assert r.outputs(6) == [_value("2")]
    assert r.found.flags == [f"{gid}: the notebook's code displayed values during the test (ignored)" for gid in "bf"]


def test_a_failing_locked_cell_is_the_graders_failure_and_leaves_the_student_ungraded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    kernel = FakeKernel()
    with caplog.at_level(logging.ERROR), pytest.raises(GraderFailure) as failed:
        grade(tmp_path, monkeypatch, [_locked("import helper", "setup"), _test("assert 1", "t1")],
              {"import helper": [_stream("x"), _error("ModuleNotFoundError", "No module named 'helper'" + "!" * 300)]},
              kernel=kernel)
    assert failed.value.reason == "the instructor's locked cell setup failed: ModuleNotFoundError: No module named 'helper'" + "!" * 176
    assert kernel.stops == 1
    data = json.loads((tmp_path / "autograded" / "s1" / "a1.grading.json").read_text())
    assert data["ungraded"] == failed.value.reason
    assert "a1/s1 left ungraded: the instructor's locked cell setup failed" in caplog.text


def test_a_student_cell_error_is_the_students(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = grade(tmp_path, monkeypatch, [_code("boom"), _test("assert 1", "t1")],
              {"boom": [_error("NameError", "boom")], "assert 1": [_value("1")]})
    assert r.errors(0) == [("NameError", "boom")] and r.outputs(1) == [_value("1")] and r.found.flags == []


@pytest.mark.parametrize("error", [RuntimeError("no ports left" + "." * 400), GraderFailure("the guard could not be installed")])
def test_a_kernel_that_cannot_start_is_the_graders_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             error: BaseException) -> None:
    kernel = FakeKernel(start_errors=[error])
    scratch = _scratch(tmp_path)
    (scratch / "data.csv").write_text("1")

    def leave_files(folder: str) -> list:
        raise AssertionError("no cell runs")

    with pytest.raises(GraderFailure) as failed:
        grade(tmp_path / "other", monkeypatch, [_code("x = 1")], {"x = 1": leave_files}, kernel=kernel,
              resources={"metadata": {"path": str(scratch)}, "nbgrader": {"student": "s1", "assignment": "a1"}})
    if type(error) is RuntimeError:
        assert failed.value.reason == "the grading kernel could not be started: RuntimeError: no ports left" + "." * 287
    else:
        assert failed.value is error
    assert kernel.stops == 1
    assert json.loads((tmp_path / "autograded" / "s1" / "a1.grading.json").read_text())["ungraded"] == failed.value.reason


def test_what_the_submission_brought_and_what_intake_marked_is_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = _scratch(tmp_path)
    for name in ("torch.py", "helper.py", "data.csv"):
        (scratch / name).write_text("x")

    def write_junk(folder: str) -> list:
        (Path(folder) / "junk.bin").write_text("junk")
        return []

    marks = {intake.META: {"renamed_from": "copy.ipynb", "duplicates": 2}}
    r = grade(tmp_path, monkeypatch, [_code("x = 1")], {"x = 1": write_junk}, nb_metadata=marks,
              resources={"metadata": {"path": str(scratch)}, "nbgrader": {"notebook": "a1"}})
    assert r.found.flags == [
        "graded copy.ipynb in place of the missing a1.ipynb (renamed notebook)",
        "the submission contained files that could replace the course's code: helper.py, torch.py (removed before grading)",
    ]
    assert r.found.notes == ["2 duplicated cell(s) ran as ordinary cells (only the last copy of a graded cell counts)"]
    assert sorted(p.name for p in scratch.iterdir()) == ["data.csv"]  # what the kernel wrote is gone too


def test_at_most_ten_removed_files_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = _scratch(tmp_path)
    names = [f"m{i:02}.py" for i in range(12)]
    for name in names:
        (scratch / name).write_text("x")
    r = grade(tmp_path, monkeypatch, [_code("x = 1")], resources={"metadata": {"path": str(scratch)}})
    assert r.found.flags == ["the submission contained files that could replace the course's code: "
                             + ", ".join(names[:10]) + " (removed before grading)"]


def test_the_notebook_output_budget_is_shared_by_its_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = grade(tmp_path, monkeypatch, [_code("a"), _code("b"), _code("c")],
              {"a": [_stream("0123")], "b": [_stream("456789")], "c": [_stream("x")]},
              max_cell_output=8, max_notebook_output=10, kernel=FakeKernel(guarded=False))
    assert r.outputs(0) == [_stream("0123")] and r.outputs(1) == [_stream("456789")]  # exactly the budget
    assert r.outputs(2) == [_stream("\n[... output cut short by the grader ...]\n")]
    assert r.found.notes == ["cell 3: output cut short (more than 8 bytes)"]


def test_the_notebook_name_falls_back_on_the_file_name_then_a_word(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = _scratch(tmp_path)
    r = grade(tmp_path, monkeypatch, [_code("x = 1")], resources={"metadata": {"path": str(scratch), "name": "lab"}})
    assert r.found.notebook == "lab"
    r = grade(tmp_path, monkeypatch, [_code("x = 1")], resources={"metadata": {"path": str(scratch)}})
    assert (r.found.notebook, r.found.scratch) == ("notebook", str(scratch))
    assert r.made["scratch"] == str(scratch)


def test_without_its_folder_the_grader_refuses_and_leaves_the_current_folder_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "course").mkdir()
    (tmp_path / "helper.py").write_text("x = 1\n")
    for resources in (None, {"nbgrader": {"student": "s1"}}, {"metadata": {}}, {"metadata": {"path": ""}}):
        with pytest.raises(GraderFailure) as failure:
            grade(tmp_path, monkeypatch, [_code("x = 1")], resources=resources)
        assert failure.value.reason == ("the grader was not told which folder the notebook is graded in "
                                        "(resources['metadata']['path']): it grades only in nbgrader's autograded/ folders")
    assert (tmp_path / "course").is_dir() and (tmp_path / "helper.py").is_file()


def test_a_dead_kernel_fails_its_cell_and_grading_goes_on_in_a_new_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(why="the kernel was killed (it ran out of memory)")
    cells = [_code("a = 1"), _locked("import h", "setup"), _test("assert a", "t0"), new_markdown_cell("m"),
             _code("crash"), _test("assert a == 1", "t1")]
    r = grade(tmp_path, monkeypatch, cells, {"crash": DeadKernelError("dead"), "assert a == 1": [_value("1")]},
              kernel=kernel, timeout=9)
    assert r.errors(4) == [("KernelDied", "the kernel was killed (it ran out of memory) while running this cell. Cells after it "
                            "were run in a new kernel; this cell counts as failed.")]
    assert r.found.flags == ["cell 5: the kernel was killed (it ran out of memory)"]
    assert kernel.quiet_timeouts == [9, 9, 3]  # replays have the cells' time limit, the guard its own
    # the new kernel gets the state from before the crash: the learner's and the locked cells, not the tests
    assert (kernel.starts, kernel.stops) == (2, 2)
    assert kernel.quieted == ["a = 1", "#guarded locked setup\nimport h", "#guarded check end\n"]
    assert r.ran[-1][0] == 5 and r.outputs(5) == [_value("1")]


def test_after_too_many_deaths_the_remaining_cells_are_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(guarded=False)
    cells = [_code("crash1"), _code("crash2"), new_markdown_cell("m"), _code("x = 1"), _test("assert x", "t1")]
    r = grade(tmp_path, monkeypatch, cells, {"crash1": DeadKernelError("d"), "crash2": DeadKernelError("d")},
              kernel=kernel, max_kernel_deaths=1)
    assert [i for i, _, _ in r.ran] == [0, 1]
    assert kernel.starts == 2  # the second death is one too many: no third kernel
    assert kernel.quieted == []  # crash1 is not replayed
    for i in (3, 4):
        assert r.outputs(i) == [_error("NotRun", "the kernel died too many times, so this cell was not run")]
    assert "outputs" not in r.nb.cells[2]
    assert r.found.flags == ["cell 1: the kernel was killed (signal 9)", "cell 2: the kernel was killed (signal 9)"]


def test_a_replaced_stuck_kernel_counts_as_a_death(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(guarded=False)
    r = grade(tmp_path, monkeypatch, [_code("stuck"), _code("x = 1")], {"stuck": CellTimeoutError("no reply")},
              kernel=kernel, max_kernel_deaths=1)
    assert [i for i, _, _ in r.ran] == [0, 1] and kernel.starts == 2  # one replacement is within the limit
    kernel = FakeKernel(guarded=False)
    r = grade(tmp_path / "2", monkeypatch, [_code("crash"), _code("stuck"), _code("x = 1")],
              {"crash": DeadKernelError("d"), "stuck": CellTimeoutError("no reply")}, kernel=kernel, max_kernel_deaths=1)
    assert [i for i, _, _ in r.ran] == [0, 1] and kernel.starts == 2  # a death and a replacement are one too many
    assert r.outputs(2) == [_error("NotRun", "the kernel died too many times, so this cell was not run")]


def test_a_cell_that_killed_the_kernel_is_never_replayed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(guarded=False)
    cells = [_code("a = 1"), _code("crash"), _code("b = 2"), _code("crash again"), _code("c = 3")]
    r = grade(tmp_path, monkeypatch, cells, {"crash": DeadKernelError("d"), "crash again": DeadKernelError("d")}, kernel=kernel)
    assert kernel.quieted == ["a = 1", "a = 1", "b = 2"] and kernel.starts == 3
    assert r.errors(4) == []


def test_after_the_last_death_the_dead_kernel_is_not_asked_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel()
    r = grade(tmp_path, monkeypatch, [_code("crash"), _test("assert 1", "t1")], {"crash": DeadKernelError("d")},
              kernel=kernel, max_kernel_deaths=0)
    assert kernel.requests == [] and kernel.quieted == [] and kernel.starts == 1
    assert r.errors(1)[0][0] == "NotRun"


def test_deaths_up_to_the_limit_are_survived(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(guarded=False)
    cells = [_code("crash1"), _code("crash2"), _code("x = 1")]
    r = grade(tmp_path, monkeypatch, cells, {"crash1": DeadKernelError("d"), "crash2": DeadKernelError("d")},
              kernel=kernel, max_kernel_deaths=2)
    assert [i for i, _, _ in r.ran] == [0, 1, 2] and kernel.starts == 3 and r.errors(2) == []


def test_a_cell_that_timed_out_is_noted_and_never_replayed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(guarded=False)
    cells = [_code("a = 1"), _code("while True: pass", grade_id="loop"), _code("crash"), _code("b = 2")]
    r = grade(tmp_path, monkeypatch, cells,
              {"while True: pass": [_error("CellTimeoutError", "timed out")], "crash": DeadKernelError("d")},
              kernel=kernel, timeout=7)
    assert r.found.notes == ["loop: stopped after 7 s"]
    assert kernel.quieted == ["pass", "a = 1"]  # the interrupted kernel answered, and the loop is not replayed
    assert kernel.quiet_timeouts == [5, 7]
    assert kernel.starts == 2 and r.found.flags == ["cell 3: the kernel was killed (signal 9)"]


def test_a_kernel_that_does_not_stop_after_a_timeout_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def quiet(code: str) -> Any:
        return None if code == "pass" else {"content": {"status": "ok"}}

    kernel = FakeKernel(guarded=False, quiet=quiet)
    cells = [_code("a = 1"), _code("while True: pass", grade_id="loop"), _code("b = 2"), _code("crash")]
    r = grade(tmp_path, monkeypatch, cells,
              {"while True: pass": [_error("CellTimeoutError", "timed out")], "crash": DeadKernelError("d")},
              kernel=kernel, timeout=7)
    assert r.found.notes == ["loop: stopped after 7 s"]
    assert r.found.flags[0] == "loop: the kernel did not stop after its timeout and was replaced"
    assert kernel.starts == 3
    # replacing the stuck kernel replays what ran before the loop; the crash replays b, never the loop
    assert kernel.quieted == ["pass", "a = 1", "a = 1", "b = 2"]
    assert [i for i, _, _ in r.ran] == [0, 1, 2, 3]


def test_a_cell_stuck_past_its_timeout_fails_and_the_kernel_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(guarded=False)
    cells = [_code("a = 1"), _test("stuck", "t1"), _code("b = 2")]
    r = grade(tmp_path, monkeypatch, cells, {"stuck": CellTimeoutError("no reply")}, kernel=kernel, timeout=7)
    assert r.errors(1) == [("CellTimeoutError", "This cell ran past its time limit (7 s) and was stopped.")]
    assert r.nb.cells[1].source == "stuck"
    assert r.found.flags == ["t1: the kernel did not stop after its timeout and was replaced"]
    assert kernel.starts == 2 and kernel.quieted == ["a = 1"] and [i for i, _, _ in r.ran] == [0, 1, 2]


def test_a_guarded_cell_stuck_gets_its_source_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = grade(tmp_path, monkeypatch, [_test("stuck", "t1")], {"stuck": CellTimeoutError("no reply")})
    assert r.nb.cells[0].source == "stuck" and r.errors(0)[0][0] == "CellTimeoutError"


def test_a_kernel_that_cannot_be_restarted_ends_grading_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(guarded=False, start_errors=[None, OSError("no memory")])
    cells = [_code("crash"), _code("x = 1")]
    r = grade(tmp_path, monkeypatch, cells, {"crash": DeadKernelError("d")}, kernel=kernel)
    assert r.found.flags == ["cell 1: the kernel was killed (signal 9)", "a new kernel could not be started: no memory"]
    assert kernel.starts == 2 and [i for i, _, _ in r.ran] == [0]
    assert r.outputs(1) == [_error("NotRun", "the kernel died too many times, so this cell was not run")]


def test_a_cell_that_kills_the_replay_is_left_out_of_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def quiet(code: str) -> Any:
        return None if code == "bad" else {"content": {"status": "ok"}}

    kernel = FakeKernel(guarded=False, quiet=quiet)
    cells = [_code("a = 1"), _code("bad"), _code("b = 2"), _code("crash"), _code("c = 3")]
    r = grade(tmp_path, monkeypatch, cells, {"crash": DeadKernelError("d")}, kernel=kernel)
    assert r.found.flags == ["cell 4: the kernel was killed (signal 9)",
                             "cell 2: the kernel died again while replaying the cells before cell 4"]
    assert kernel.quieted == ["a = 1", "bad", "a = 1", "b = 2"]
    assert kernel.starts == 3 and kernel.stops == 3 and [i for i, _, _ in r.ran] == [0, 1, 2, 3, 4]


def test_replays_that_keep_dying_end_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(guarded=False, quiet=lambda code: None)
    cells = [_code("a = 1"), _code("b = 2"), _code("crash"), _code("c = 3")]
    r = grade(tmp_path, monkeypatch, cells, {"crash": DeadKernelError("d")}, kernel=kernel, max_kernel_deaths=2, timeout=None)
    assert kernel.quieted == ["a = 1", "b = 2"] and kernel.starts == 3
    assert kernel.quiet_timeouts == [60, 60]  # no time limit set: a replayed cell still gets one
    assert r.outputs(3) == [_error("NotRun", "the kernel died too many times, so this cell was not run")]


# --- which configuration may grade, the canary ---------------------------------------------------------


@pytest.mark.parametrize("listed, ok", [
    ([GradingExecute, SaveAutoGrades, RecordFindings], True),
    (["course.grading.execute.GradingExecute", "nbgrader.preprocessors.SaveAutoGrades", "course.grading.results.RecordFindings"], True),
    ([GradingExecute, RecordFindings], True),
    (None, True),
    ([GradingExecute, SaveAutoGrades], False),
    ([GradingExecute, RecordFindings, SaveAutoGrades], False),
    (["course.grading.execute.GradingExecute", "course.grading.results.RecordFindings", "nbgrader.preprocessors.SaveAutoGrades"], False),
    (["GradingExecute", "SaveAutoGrades", "RecordFindings"], True),
    (["GradingExecute", "RecordFindings", "SaveAutoGrades"], False),
])
def test_grading_needs_the_recorder_after_the_scores(listed: list | None, ok: bool) -> None:
    config = Config()
    if listed is not None:
        config.Autograde.autograde_preprocessors = listed
    g = GradingExecute(config=config)
    if ok:
        g._require_recorder()
    else:
        with pytest.raises(GraderFailure) as failed:
            g._require_recorder()
        assert failed.value.reason == (
            "nbgrader_config.py runs GradingExecute without course.grading.results.RecordFindings after SaveAutoGrades "
            "in Autograde.autograde_preprocessors: flags and notices would be lost; copy that list from the course's nbgrader_config.py")


def test_a_configuration_without_the_recorder_grades_nobody(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config()
    config.Autograde.autograde_preprocessors = [GradingExecute, SaveAutoGrades]
    kernel = FakeKernel()
    monkeypatch.setattr(execute, "GradingKernel", lambda **kw: kernel)
    g = GradingExecute(config=config)
    scratch = _scratch(tmp_path)
    with pytest.raises(GraderFailure, match="RecordFindings"):
        g.preprocess(new_notebook(cells=[_code("x = 1")]), {"metadata": {"path": str(scratch)},
                                                               "nbgrader": {"student": "s1", "assignment": "a1"}})
    assert kernel.starts == 0
    assert "RecordFindings" in json.loads((tmp_path / "autograded" / "s1" / "a1.grading.json").read_text())["ungraded"]


def _course(tmp_path: Path) -> CourseDirectory:
    root = tmp_path / "course"
    (root / "source" / "a1").mkdir(parents=True)
    return CourseDirectory(root=str(root))


def test_the_canary_runs_in_a_course_folder_and_its_failure_grades_nobody(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from course.grading import canary

    coursedir = _course(tmp_path)
    calls = []

    def ensure(root: str, assignment: str) -> None:
        calls.append((root, assignment))
        raise GraderFailure("the reference solution scored 1 of 2 through this grader")

    monkeypatch.setattr(canary, "ensure", ensure)
    monkeypatch.setattr(execute, "coursedir_of", lambda p: coursedir)
    monkeypatch.setattr(results, "coursedir_of", lambda p: coursedir)
    scratch = Path(coursedir.root) / "autograded" / "s1" / "a1"
    scratch.mkdir(parents=True)
    with pytest.raises(GraderFailure, match="scored 1 of 2"):
        grade(tmp_path, monkeypatch, [_code("x = 1")],
              resources={"metadata": {"path": str(scratch)}, "nbgrader": {"student": "s1", "assignment": "a1"}})
    assert calls == [(coursedir.root, "a1")]
    report = Path(coursedir.root) / "autograded" / "s1" / "a1.grading.json"
    assert json.loads(report.read_text()) == {"ungraded": "the reference solution scored 1 of 2 through this grader"}

    calls.clear()
    r = grade(tmp_path, monkeypatch, [_code("x = 1")], resources={"metadata": {"path": str(scratch)}, "nbgrader": {"student": "s1"}})
    assert calls == [] and r.ran  # no assignment: nothing to check against


def test_the_canary_passing_lets_grading_go_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from course.grading import canary

    coursedir = _course(tmp_path)
    (Path(coursedir.root) / "source" / "a1" / "helper.py").write_text("1")
    nbformat.write(new_notebook(cells=[_test("assert 1", "t1"), _test("assert 2", "t2")]),
                   str(Path(coursedir.root) / "source" / "a1" / "a1.ipynb"))
    calls = []
    monkeypatch.setattr(canary, "ensure", lambda root, assignment: calls.append((root, assignment)))
    monkeypatch.setattr(execute, "coursedir_of", lambda p: coursedir)
    scratch = Path(coursedir.root) / "autograded" / "s1" / "a1"
    scratch.mkdir(parents=True)
    (scratch / "helper.py").write_text("1")  # the assignment's own helper, copied by nbgrader
    (scratch / "torch.py").write_text("1")
    r = grade(tmp_path, monkeypatch, [_test("assert 2", "t2"), _test("assert 1", "t1")],
              resources={"metadata": {"path": str(scratch)}, "nbgrader": {"notebook": "a1", "student": "s1", "assignment": "a1"}})
    assert calls == [(coursedir.root, "a1")] and r.ran
    assert r.found.flags == [
        "the notebook's graded cells are not in their original order; they were run in the submitted order",
        "the submission contained files that could replace the course's code: torch.py (removed before grading)"]
    assert (scratch / "helper.py").exists()


def test_no_canary_outside_a_course_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from course.grading import canary

    monkeypatch.setattr(canary, "ensure", lambda root, assignment: pytest.fail("no course folder, no canary"))
    r = grade(tmp_path, monkeypatch, [_code("x = 1")])
    assert r.ran


# --- the output budget ---------------------------------------------------------------------------


def _msg(msg_type: str, **content: Any) -> dict[str, Any]:
    return {"msg_type": msg_type, "content": content, "parent_header": {"msg_id": "m1"}, "header": {"msg_type": msg_type},
            "metadata": {}}


def _budget(**traits: Any) -> GradingExecute:
    g = GradingExecute(config=Config(), **traits)
    g.reset_execution_trackers()
    g._findings = Findings("a1", "/scratch")
    g._out_bytes, g._nb_bytes, g._truncated = {}, 0, set()
    g.clear_before_next_output = False  # as nbclient sets it before a cell runs
    return g


def test_long_errors_are_shortened_but_always_kept() -> None:
    g = _budget(max_cell_output=10, max_notebook_output=10)
    outs: list = []
    tb = [f"line {i}" for i in range(100)]
    g.output(outs, _msg("error", ename="ValueError", evalue="v" * 6000, traceback=tb), None, 0)
    assert outs[0]["traceback"] == tb[:20] + ["... (traceback shortened by the grader) ..."] + tb[-30:]
    assert outs[0]["evalue"] == "v" * 5000 and outs[0]["ename"] == "ValueError"
    g.output(outs, _msg("error", ename="E", evalue="", traceback=tb[:61]), None, 0)
    assert len(outs[-1]["traceback"]) == 51
    outs.pop()
    short = [f"line {i}" for i in range(60)]
    g.output(outs, _msg("error", ename="E", evalue=3, traceback=short), None, 0)
    assert outs[1]["traceback"] == short and outs[1]["evalue"] == "3"
    g.output(outs, _msg("error", ename="E", traceback=[]), None, 0)
    assert outs[2]["evalue"] == "" and outs[2]["traceback"] == []
    assert g._findings.notes == []


def test_each_cell_keeps_its_output_up_to_its_budget() -> None:
    g = _budget(max_cell_output=20, max_notebook_output=45)
    outs: list = []
    assert g.output(outs, _msg("stream", name="stdout", text="0" * 20), None, 0) is not None
    assert g.output(outs, _msg("stream", name="stdout", text="x"), None, 0) is None
    assert g.output(outs, _msg("stream", name="stdout", text="y"), None, 0) is None
    assert [o["text"] for o in outs] == ["0" * 20, "\n[... output cut short by the grader ...]\n"]
    assert outs[1]["name"] == "stdout"
    assert g._findings.notes == ["cell 1: output cut short (more than 20 bytes)"]
    # stdout, stderr and displayed data each have their own budget in a cell; the notebook's is shared
    other: list = []
    g.output(other, _msg("stream", name="stderr", text="e" * 10), None, 0)
    assert other[-1]["text"] == "e" * 10
    data = {"a": "1"}  # 10 bytes of JSON
    g.output(other, _msg("display_data", data=data, metadata={}), None, 0)
    assert other[-1]["data"] == data and len(other) == 2
    outs2: list = []
    g.output(outs2, _msg("stream", name="stdout", text="abcdef"), None, 1)
    assert [o["text"] for o in outs2] == ["\n[... output cut short by the grader ...]\n"]  # past the notebook's budget
    assert g._findings.notes[-1] == "cell 2: output cut short (more than 20 bytes)"
    outs3: list = []
    g.output(outs3, _msg("stream", name="stdout", text="abcde"), None, 2)
    assert [o["text"] for o in outs3] == ["abcde"]  # exactly what was left of it


def test_a_cell_past_its_budget_still_shows_that_it_wrote_to_stderr() -> None:
    g = _budget(max_cell_output=5000, max_notebook_output=100_000)
    outs: list = []
    g.output(outs, _msg("stream", name="stderr", text="w" * 6000), None, 3)
    assert outs[0]["name"] == "stderr" and outs[0]["text"] == "w" * 1000
    g.output(outs, _msg("stream", name="stderr", text="w" * 6000), None, 3)
    assert len(outs) == 2 and outs[1]["text"] == "\n[... output cut short by the grader ...]\n"
    assert g._findings.notes == ["cell 4: output cut short (more than 5000 bytes)"]
    # stdout past the budget at once: nothing of it is kept
    g.output(outs, _msg("stream", name="stdout", text="o" * 6000), None, 5)
    assert len(outs) == 3 and outs[2]["text"] == "\n[... output cut short by the grader ...]\n"


def test_displayed_values_share_one_budget_and_can_be_updated() -> None:
    g = _budget(max_cell_output=25, max_notebook_output=1000)
    g.nb = new_notebook(cells=[_code("display")])
    outs = g.nb.cells[0].outputs
    g.output(outs, _msg("display_data", data={"a": "1"}, metadata={}), "d1", 0)  # 10 bytes of JSON
    g.output(outs, _msg("execute_result", data={"b": "2"}, metadata={}, execution_count=1), None, 0)
    g.output(outs, _msg("display_data", data={"c": "3"}, metadata={}), None, 0)  # 30 bytes shown: cut
    assert [o.get("data") for o in outs] == [{"a": "1"}, {"b": "2"}, None]
    assert outs[2]["text"] == "\n[... output cut short by the grader ...]\n"
    g._update_display_id("d1", _msg("update_display_data", data={"a": "updated"}, metadata={}))
    assert outs[0]["data"] == {"a": "updated"}


def test_the_sign_of_stderr_counts_one_byte() -> None:
    g = _budget(max_cell_output=100, max_notebook_output=100_000)
    outs: list = []
    g.output(outs, _msg("stream", name="stderr", text="w" * 200), None, 0)
    g.output(outs, _msg("stream", name="stderr", text="w" * 99), None, 0)
    assert [len(o["text"]) for o in outs] == [200, 99]


@pytest.mark.parametrize("msg", [
    _msg("error", ename="E", evalue="x", traceback=["E: x"]),
    _msg("stream", name="stderr", text="w" * 20),  # over the budget: its sign is kept
    _msg("stream", name="stdout", text="o"),
])
def test_an_output_after_clear_output_is_not_overwritten_by_an_old_display(msg: dict[str, Any]) -> None:
    g = _budget(max_cell_output=10, max_notebook_output=1000)
    g.nb = new_notebook(cells=[_code("a")])
    outs = g.nb.cells[0].outputs
    g.output(outs, _msg("display_data", data={"a": "1"}, metadata={}), "d1", 0)
    g.clear_before_next_output = True  # the cell called clear_output(wait=True)
    g.output(outs, msg, None, 0)
    g._update_display_id("d1", _msg("update_display_data", data={"a": "2"}, metadata={}))
    assert len(outs) == 1 and outs[0]["output_type"] == msg["msg_type"] and "data" not in outs[0]


def test_output_exactly_at_the_budget_is_kept() -> None:
    g = _budget(max_cell_output=4, max_notebook_output=8)
    outs: list = []
    g.output(outs, _msg("stream", name="stdout", text="abcd"), None, 0)
    g.output(outs, _msg("stream", name="stdout", text="efgh"), None, 1)
    assert [o["text"] for o in outs] == ["abcd", "efgh"] and g._findings.notes == []


# --- recording the findings -----------------------------------------------------------------------


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def error(self, fmt: str, *args: Any) -> None:
        self.lines.append(fmt % args)


class _Pre:
    parent = None

    def __init__(self) -> None:
        self.log = _Log()


def test_report_file_is_beside_the_autograded_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = {"student": "s1", "assignment": "a1"}
    assert results.report_file(_Pre(), info, str(tmp_path / "x" / "s1" / "a1")) == tmp_path / "x" / "s1" / "a1.grading.json"
    coursedir = _course(tmp_path)
    coursedir.autograded_directory = "graded"
    monkeypatch.setattr(results, "coursedir_of", lambda p: coursedir)
    assert results.report_file(_Pre(), info, "/elsewhere/s1/a1") == Path(coursedir.root).resolve() / "graded" / "s1" / "a1.grading.json"


def test_an_ungraded_student_is_logged_and_recorded_and_no_zero_stays(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c", ("a1",))
    add_grades(course, "a1", {"t1": 1}, {"s1": {}, "s2": {"t1": 1}})
    scratch = tmp_path / "autograded" / "s1" / "a1"
    for student in ("s1", "s2"):
        pre = _Pre()
        info = {"student": student, "assignment": "a1", "db_url": course.db_url}
        results.record_ungraded(pre, info, str(tmp_path / "autograded" / student / "a1"), GraderFailure("the guard broke"))
        assert pre.log.lines == [f"course: a1/{student} left ungraded: the guard broke"]
        report = tmp_path / "autograded" / student / "a1.grading.json"
        assert json.loads(report.read_text()) == {"ungraded": "the guard broke"}
    with course.gradebook() as gb:
        assert [s.student_id for s in gb.assignment_submissions("a1")] == ["s2"]  # s2's earlier grade stands
    pre = _Pre()
    results.record_ungraded(pre, {"assignment": "a1"}, str(scratch), GraderFailure("no student"))
    results.record_ungraded(pre, {"student": "s3"}, str(scratch), GraderFailure("no assignment"))
    assert pre.log.lines == ["course: a1/? left ungraded: no student", "course: ?/s3 left ungraded: no assignment"]
    assert not (tmp_path / "autograded" / "s3").exists()


def _recorded(nb: Any, found: Findings | None, info: dict | None = None) -> Any:
    resources: dict[str, Any] = {"nbgrader": info or {}}
    if found is not None:
        resources[RESOURCES_KEY] = found
    out, res = RecordFindings().preprocess(nb, resources)
    assert res is resources
    return out


def test_without_findings_the_notebook_is_left_alone() -> None:
    nb = new_notebook(cells=[_code("x = 1")])
    old = new_markdown_cell("old notice")
    old["id"] = NOTICE_ID
    nb.cells.insert(0, old)
    assert _recorded(nb, None).cells[0]["source"] == "old notice"
    assert RecordFindings().preprocess(nb, None) == (nb, None)


def test_the_reviewer_sees_the_flags_and_notes_at_the_top(tmp_path: Path) -> None:
    nb = new_notebook(cells=[_code("x = 1")])
    old = new_markdown_cell("old notice")
    old["id"] = NOTICE_ID
    nb.cells.insert(0, old)
    found = Findings("a1", str(tmp_path / "s1" / "a1"))
    found.flag("t1: wrote to /etc")
    found.flag("patched print")
    for i in range(25):
        found.note(f"note {i}")
    out = _recorded(nb, found)
    assert [c.get("id") for c in out.cells].count(NOTICE_ID) == 1 and len(out.cells) == 2
    notice = out.cells[0]
    assert notice["id"] == NOTICE_ID and notice["cell_type"] == "markdown"
    assert notice["source"] == ("**Flagged for review by the autograder.**\n\n- t1: wrote to /etc\n- patched print\n\nNotes:\n\n"
                                + "\n".join(f"- note {i}" for i in range(20)))
    plain = Findings("a1", "/s")
    plain.flag("one")
    assert _recorded(new_notebook(), plain).cells[0]["source"] == "**Flagged for review by the autograder.**\n\n- one"
    assert not (tmp_path / "s1").exists()  # no student: nothing written


def test_a_clean_regrade_takes_the_old_notice_away(tmp_path: Path) -> None:
    nb = new_notebook(cells=[_code("x = 1")])
    old = new_markdown_cell("old notice")
    old["id"] = NOTICE_ID
    nb.cells.insert(0, old)
    found = Findings("a1", "/s")
    found.note("slow")
    out = _recorded(nb, found)
    assert [c["cell_type"] for c in out.cells] == ["code"]


def test_findings_are_written_and_set_nbgraders_flag(tmp_path: Path) -> None:
    course = make_course(tmp_path / "c", ("a1",))
    add_grades(course, "a1", {"t1": 1}, {"s1": {"t1": 1}, "s2": {"t1": 0}}, flagged={"s2"})
    scratch = tmp_path / "autograded" / "s1" / "a1"
    info = {"student": "s1", "assignment": "a1", "db_url": course.db_url}

    def flagged(student: str) -> bool:
        with course.gradebook() as gb:
            return bool(gb.find_submission_notebook("a1", "a1", student).flagged)

    found = Findings("a1", str(scratch), "bubblewrap")
    found.flag("patched print")
    found.note("slow")
    _recorded(new_notebook(), found, info)
    report = tmp_path / "autograded" / "s1" / "a1.grading.json"
    assert json.loads(report.read_text())["notebooks"]["a1"] == {
        "flagged": True, "flags": ["patched print"], "notes": ["slow"], "sandbox": "bubblewrap"}
    assert flagged("s1")
    _recorded(new_notebook(), Findings("a1", str(scratch), "bubblewrap"), info)  # regraded clean: the grader's flag goes
    assert not flagged("s1")
    assert json.loads(report.read_text())["notebooks"]["a1"]["flagged"] is False
    # an instructor's own flag is kept when the grader never flagged the notebook
    _recorded(new_notebook(), Findings("a1", str(tmp_path / "autograded" / "s2" / "a1")), {**info, "student": "s2"})
    assert flagged("s2")
    # without a gradebook only the report is written
    found2 = Findings("a1", str(tmp_path / "autograded" / "s3" / "a1"))
    found2.flag("x")
    _recorded(new_notebook(), found2, {"student": "s3", "assignment": "a1"})
    assert json.loads((tmp_path / "autograded" / "s3" / "a1.grading.json").read_text())["notebooks"]["a1"]["flags"] == ["x"]


@pytest.mark.parametrize("info", [None, {}, {"student": "s1"}, {"assignment": "a1"}])
def test_without_a_student_and_an_assignment_only_the_notice_is_added(tmp_path: Path, info: dict | None) -> None:
    found = Findings("a1", str(tmp_path / "autograded" / "s1" / "a1"))
    found.flag("patched print")
    resources: dict[str, Any] = {RESOURCES_KEY: found}
    if info is not None:
        resources["nbgrader"] = info
    nb, _ = RecordFindings().preprocess(new_notebook(), resources)
    assert nb.cells[0]["id"] == NOTICE_ID
    assert not (tmp_path / "autograded").exists()
