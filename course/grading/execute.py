"""Running a submitted notebook's cells for grading, so that broken and hostile notebooks are
graded fairly and never take the grader down.

``GradingExecute`` replaces nbgrader's ``Execute`` preprocessor (see ``nbgrader_config.py``,
so plain ``nbgrader autograde`` gets it as well as ``course autograde``). It is one of
nbgrader's autograde passes; the others are the course's too:

- before it, intake (``intake.py``) has read the submission whatever it is and put its
  deleted or edited instructor's cells back, marking what it found in the notebook;
- it runs the cells, collecting what it finds (:class:`results.Findings`);
- after nbgrader's ``SaveAutoGrades``, ``results.RecordFindings`` records the findings
  (the reviewer's notice, ``.grading.json``, nbgrader's ``flagged`` mark).

For each notebook it

0. makes sure the grade can be trusted: the assignment's canary (``canary.py``) must have
   passed; a guard that cannot install, a failing locked cell, a kernel that cannot start or a
   missing required sandbox raise ``protocol.GraderFailure``, and the student is left
   ungraded (no zero is written, the reason is logged and reported, nbgrader exits non-zero);
1. turns intake's marks into flags, and clears the scratch folder of files that could shadow
   the course's code (``scratch.py``);
2. starts a kernel in the sandbox with the guard installed before any of the notebook's code
   runs (``kernel.py``, ``sandbox.py``, ``guard.py``);
3. runs the cells in order: the learner's cells as they are, the instructor's locked cells
   and test cells through the guard (pristine helpers, a namespace of their own, checks
   before and after); every cell has its timeout and its output budget;
4. survives the kernel: when it dies (``os._exit``, a crash, a limit) or stops answering,
   the cell gets an error that says why in words, a new kernel starts, the cells that ran
   before are replayed quietly, and grading goes on, so the score is what ran;
5. afterwards removes whatever the kernel left in the scratch folder (links included).
"""

from __future__ import annotations

import json
import os
from typing import Any

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode

from course.grading import intake, results, scratch
from course.grading import sandbox as sbx
from course.grading.coursedir import coursedir_of
from course.grading.kernel import GradingKernel, choose_sandbox
from course.grading.protocol import GraderFailure


def _cell_kind(cell: NotebookNode) -> str:
    """'test' (autograded test cell), 'locked' (the instructor's code), 'student' or 'skip'."""
    if cell.cell_type != "code" or not cell.source.strip():
        return "skip"
    md = cell.metadata.get("nbgrader", {})
    if not md.get("grade_id"):
        return "student"
    if md.get("solution"):
        return "student"
    if md.get("grade") and md.get("locked"):
        return "test"
    if md.get("locked"):
        return "locked"
    return "student"


class GradingExecute(Execute):
    """nbgrader's Execute, hardened: sandboxed kernel, guard, kernel deaths survived, output capped."""

    sandbox = Unicode(
        "auto", help="'auto' (sandbox where bubblewrap works), 'required' (refuse to grade without one) or 'off'"
    ).tag(config=True)
    guard = Bool(True, help="Install the in-kernel guard (pristine helpers, tamper checks) before any cell runs").tag(config=True)
    memory_limit_mb = Integer(sbx.Limits.memory_mb, help="private memory of a grading kernel (MiB)").tag(config=True)
    cpu_limit_s = Integer(sbx.Limits.cpu_seconds, help="CPU seconds of a grading kernel").tag(config=True)
    max_processes = Integer(sbx.Limits.processes, help="processes and threads of a grading kernel").tag(config=True)
    max_file_mb = Integer(sbx.Limits.file_mb, help="largest file a grading kernel may write (MiB)").tag(config=True)
    max_cell_output = Integer(100_000, help="bytes of output kept per cell (stdout and stderr each; errors always kept)").tag(config=True)
    max_notebook_output = Integer(2_000_000, help="bytes of output kept per notebook").tag(config=True)
    max_kernel_deaths = Integer(3, help="kernel deaths survived per notebook before the remaining cells are marked not run").tag(config=True)
    guard_timeout = Integer(3, help="seconds to wait for the guard's answer once a cell has finished").tag(config=True)
    extra_ro_paths = List(Unicode(), help="more folders the sandboxed kernel may read").tag(config=True)

    # --- entry point --------------------------------------------------------------------------
    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> tuple[NotebookNode, Any]:
        resources = resources if resources is not None else {}
        self.nb = nb
        self.resources = resources
        self.reset_execution_trackers()
        self.store_widget_state = False
        info = resources.get("nbgrader", {})
        meta = resources.get("metadata", {})
        if not meta.get("path"):  # never the current folder: the scratch folder is cleared of code before and after
            raise GraderFailure("the grader was not told which folder the notebook is graded in "
                                "(resources['metadata']['path']): it grades only in nbgrader's autograded/ folders")
        self._scratch = os.path.abspath(meta["path"])
        nb_name = info.get("notebook") or meta.get("name") or "notebook"
        self._findings = results.Findings(nb_name, self._scratch)
        try:
            self._require_recorder()
            self._canary(info)
            sandboxed, self._findings.sandbox = choose_sandbox(self.sandbox, self.log)
        except GraderFailure as failure:
            self._give_up(info, failure)
        self._kernel = GradingKernel(
            scratch=self._scratch, sandboxed=sandboxed, guard=self.guard, extra_ro=list(self.extra_ro_paths),
            limits={"memory_mb": self.memory_limit_mb, "cpu_seconds": self.cpu_limit_s,
                    "processes": self.max_processes, "file_mb": self.max_file_mb},
            startup_timeout=self.startup_timeout, extra_arguments=self.extra_arguments, config=self.config,
        )
        coursedir = coursedir_of(self)
        flags, notes = intake.review_marks(nb, nb_name, intake.source_grade_ids(coursedir, info.get("assignment"), nb_name))
        removed = scratch.prepare(self._scratch, scratch.source_files(coursedir, info.get("assignment")))
        if removed:
            flags.append("the submission contained files that could replace the course's code: "
                         + ", ".join(removed[:10]) + " (removed before grading)")
        for text in flags:
            self._findings.flag(text)
        for text in notes:
            self._findings.note(text)
        before = scratch.listing(self._scratch)
        self._fatal: set[int] = set()
        self._deaths = 0
        self._out_bytes: dict[tuple[int, str], int] = {}
        self._nb_bytes = 0
        self._truncated: set[int] = set()
        try:
            run_sync(self._async_grade)()
        except GraderFailure as failure:
            self._give_up(info, failure)
        finally:
            scratch.clean(self._scratch, before)
        resources[results.RESOURCES_KEY] = self._findings  # recorded by results.RecordFindings
        return self.nb, self.resources

    def _require_recorder(self) -> None:
        """Findings are recorded by RecordFindings after SaveAutoGrades: a configuration that runs
        this preprocessor without it would grade with no flags and no notice, so it does not grade."""
        listed = self.config.get("Autograde", {}).get("autograde_preprocessors")
        if not listed:
            return  # not nbgrader's Autograde (course.testing, a direct call): nothing records flags there
        names = [getattr(p, "__name__", str(p).rsplit(".", 1)[-1]) for p in listed]
        if "RecordFindings" not in names or "SaveAutoGrades" in names and names.index("RecordFindings") < names.index("SaveAutoGrades"):
            raise GraderFailure(
                "nbgrader_config.py runs GradingExecute without course.grading.results.RecordFindings after SaveAutoGrades "
                "in Autograde.autograde_preprocessors: flags and notices would be lost; copy that list from the course's nbgrader_config.py"
            )

    def _canary(self, info: dict[str, Any]) -> None:
        """The reference solution must earn full marks through this grader first (``canary.py``)."""
        coursedir = coursedir_of(self)
        if coursedir is not None and info.get("assignment"):
            from course.grading import canary

            canary.ensure(coursedir.root, info["assignment"])

    def _give_up(self, info: dict[str, Any], failure: GraderFailure) -> None:
        """The grader's failure, not the student's: the student is left ungraded, and nbgrader
        fails this submission (no zero is written; the batch exits non-zero)."""
        results.record_ungraded(self, info, self._scratch, failure)
        raise failure

    # --- the kernel (kernel.py) ---------------------------------------------------------------
    async def _start_kernel(self) -> None:
        try:
            await self._kernel.start()
        finally:
            self.km, self.kc = self._kernel.km, self._kernel.kc  # nbclient runs the cells through these
        if self._kernel.language_info is not None:
            self.nb.metadata["language_info"] = self._kernel.language_info

    async def _stop_kernel(self) -> None:
        await self._kernel.stop()
        self.km = self.kc = None

    # --- running cells ---------------------------------------------------------------------------
    async def _async_grade(self) -> None:
        cells = self.nb.cells
        index = 0
        try:
            try:
                await self._start_kernel()
            except GraderFailure:
                raise
            except Exception as err:  # noqa: BLE001 - no student code has run yet: the grader's failure
                raise GraderFailure(f"the grading kernel could not be started: {type(err).__name__}: {str(err)[:300]}") from err
            while index < len(cells):
                kind = _cell_kind(cells[index])
                if kind == "skip":
                    index += 1
                    continue
                if self._deaths > self.max_kernel_deaths:
                    self._not_run(index, "the kernel died too many times, so this cell was not run")
                    index += 1
                    continue
                try:
                    await self._run_cell(index, kind)
                except DeadKernelError:
                    await self._kernel_died(index)
                index += 1
            if self._kernel.guarded and self.kc is not None:
                nonce, code = self._kernel.request("check", "end", "")
                await self._kernel.quiet(code, self.guard_timeout)
                self._read_answer(nonce, "the end of the notebook")
        finally:
            await self._stop_kernel()

    def _grade_id(self, index: int) -> str:
        cell = self.nb.cells[index]
        return cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"

    async def _run_cell(self, index: int, kind: str) -> None:
        cell = self.nb.cells[index]
        source = cell.source
        guarded = self._kernel.guarded and kind in ("test", "locked")
        nonce = None
        if guarded:
            nonce, cell.source = self._kernel.request(kind, self._grade_id(index), source)
        stuck = False
        try:
            await self.async_execute_cell(cell, index, execution_count=self.code_cells_executed + 1)
        except CellTimeoutError:
            stuck = True  # interrupted, and the kernel never said it was idle again
        finally:
            self.nb.cells[index].source = source
            cell.source = source
        if stuck:
            self._fail_cell(index, "CellTimeoutError", f"This cell ran past its time limit ({self.timeout} s) and was stopped.")
            await self._replace_stuck_kernel(index)
            return
        cell = self.nb.cells[index]
        timed_out = any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []) if o.output_type == "error")
        if timed_out:
            self._findings.note(f"{self._grade_id(index)}: stopped after {self.timeout} s")
            await self._after_timeout(index)
            return
        if guarded and nonce is not None:
            answer = self._read_answer(nonce, self._grade_id(index))
            if answer is None and kind == "test":
                self._fail_cell(
                    index, "GraderError",
                    "The grader could not confirm this test: the notebook's code switched off the grader's checks "
                    "(its answer never came back). The test does not count.",
                )
        if kind == "locked":
            errors = [o for o in self.nb.cells[index].get("outputs", []) if o.output_type == "error"]
            if errors:
                # The canary ran this cell without error: an instructor's cell that fails here is
                # the grading environment's problem (or tampering), never a reason to score 0.
                e = errors[0]
                raise GraderFailure(
                    f"the instructor's locked cell {self._grade_id(index)} failed: {e.get('ename')}: {str(e.get('evalue', ''))[:200]}"
                )
        if kind == "test":
            self._tidy_test_outputs(index)

    def _read_answer(self, nonce: str, where: str) -> dict[str, Any] | None:
        """The guard's answer to one request, its findings taken (None: it did not answer)."""
        if self._kernel.reader is None:
            return None
        answer = self._kernel.answer(nonce, self.guard_timeout)
        if answer is None:
            self._findings.flag(f"{where}: the grader's in-kernel checks did not answer (switched off or silenced by the notebook's code)")
            return None
        for item in answer.get("restored", []):
            self._findings.flag(f"the notebook {item} (put back before {where})")
        for item in answer.get("violations", []):
            self._findings.flag(f"{where}: {item} (the test did not count)")
        for item in answer.get("untrusted", []):
            self._findings.flag(item)
        for ev in answer.get("events", []):
            if ev.startswith("!"):
                self._findings.flag(f"the notebook's code {ev[1:]}")
            else:
                self._findings.note(f"the notebook's code {ev}")
        if self._kernel.take_forged():
            self._findings.flag("something wrote forged answers to the grader's channel")
        return answer

    def _tidy_test_outputs(self, index: int) -> None:
        """A test's score comes from its outputs: an error means 0 whatever else was printed.
        Values displayed by the learner's code (not by the test) must not count as a score."""
        cell = self.nb.cells[index]
        outs = cell.get("outputs", [])
        values = [o for o in outs if o.output_type == "execute_result"]
        failed = any(o.output_type == "error" or (o.output_type == "stream" and o.get("name") == "stderr") for o in outs)
        if values and (failed or len(values) > 1):
            if len(values) > 1:
                self._findings.flag(f"{self._grade_id(index)}: the notebook's code displayed values during the test (ignored)")
            keep = [] if failed else values[-1:]
            cell.outputs = [o for o in outs if o.output_type != "execute_result" or o in keep]

    def _error_output(self, ename: str, evalue: str) -> NotebookNode:
        return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])

    def _fail_cell(self, index: int, ename: str, evalue: str) -> None:
        cell = self.nb.cells[index]
        cell.setdefault("outputs", []).append(self._error_output(ename, evalue))

    def _not_run(self, index: int, why: str) -> None:
        cell = self.nb.cells[index]
        if cell.cell_type == "code":
            cell.outputs = [self._error_output("NotRun", why)]

    async def _after_timeout(self, index: int) -> None:
        """nbclient interrupted the kernel; if it does not come back, replace it."""
        reply = await self._kernel.quiet("pass", 5)
        if reply is None:
            await self._replace_stuck_kernel(index)
        else:
            self._fatal.add(index)  # do not replay an endless cell

    async def _replace_stuck_kernel(self, index: int) -> None:
        """The kernel did not stop after cell ``index`` timed out: a new one, without that cell."""
        self._fatal.add(index)
        self._findings.flag(f"{self._grade_id(index)}: the kernel did not stop after its timeout and was replaced")
        self._deaths += 1
        await self._stop_kernel()
        await self._restart_and_replay(index)

    async def _kernel_died(self, index: int) -> None:
        why = self._kernel.death()
        self._deaths += 1
        self._fatal.add(index)
        gid = self._grade_id(index)
        self._fail_cell(
            index, "KernelDied",
            f"{why} while running this cell. Cells after it were run in a new kernel; "
            "this cell counts as failed.",
        )
        self._findings.flag(f"{gid}: {why}")
        await self._stop_kernel()
        if self._deaths <= self.max_kernel_deaths:
            await self._restart_and_replay(index)

    async def _restart_and_replay(self, upto: int) -> None:
        """A fresh kernel with the state the notebook had before cell ``upto`` (tests are not rerun)."""
        while self._deaths <= self.max_kernel_deaths:
            try:
                await self._start_kernel()
            except Exception as err:  # noqa: BLE001
                self._findings.flag(f"a new kernel could not be started: {err}")
                self._deaths = self.max_kernel_deaths + 1
                return
            died = None
            for i in range(upto):
                kind = _cell_kind(self.nb.cells[i])
                if kind in ("skip", "test") or i in self._fatal:
                    continue
                source = self.nb.cells[i].source
                code = self._kernel.request(kind, self._grade_id(i), source)[1] if self._kernel.guarded and kind == "locked" else source
                reply = await self._kernel.quiet(code, self.timeout or 60)
                if reply is None:  # died or stuck: start over without that cell (stopped below)
                    self._fatal.add(i)
                    died = i
                    break
            if died is None:
                return
            self._deaths += 1
            self._findings.flag(f"{self._grade_id(died)}: the kernel died again while replaying the cells before {self._grade_id(upto)}")
            await self._stop_kernel()

    # --- output budget --------------------------------------------------------------------------
    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None, cell_index: int) -> NotebookNode | None:
        msg_type = msg["msg_type"]
        content = msg.get("content", {})
        if msg_type == "error":
            tb = content.get("traceback") or []
            if len(tb) > 60:
                content["traceback"] = tb[:20] + ["... (traceback shortened by the grader) ..."] + tb[-30:]
            content["evalue"] = str(content.get("evalue", ""))[:5000]
            return super().output(outs, msg, display_id, cell_index)
        stream = content.get("name", msg_type) if msg_type == "stream" else "display"
        size = len(content.get("text", "")) if msg_type == "stream" else len(json.dumps(content.get("data", {}), default=str))
        key = (cell_index, stream)
        used = self._out_bytes.get(key, 0)
        if used + size > self.max_cell_output or self._nb_bytes + size > self.max_notebook_output:
            if used == 0 and stream == "stderr":
                content["text"] = content.get("text", "")[:1000]  # keep a sign that stderr was written
                self._out_bytes[key] = 1
                return super().output(outs, msg, display_id, cell_index)
            if cell_index not in self._truncated:
                self._truncated.add(cell_index)
                self._findings.note(f"cell {cell_index + 1}: output cut short (more than {self.max_cell_output} bytes)")
                outs.append(new_output("stream", name="stdout", text="\n[... output cut short by the grader ...]\n"))
            return None
        self._out_bytes[key] = used + size
        self._nb_bytes += size
        return super().output(outs, msg, display_id, cell_index)
