"""Running a submitted notebook for grading, so that broken and hostile notebooks are graded
fairly and never take the grader down.

``GradingExecute`` replaces nbgrader's ``Execute`` preprocessor (see ``nbgrader_config.py``,
so plain ``nbgrader autograde`` gets it as well as ``course autograde``). For each notebook it

0. makes sure the grade can be trusted: the assignment's canary (``canary.py``) must have
   passed; a guard that cannot install, a failing locked cell, a kernel that cannot start or a
   missing required sandbox raise ``protocol.GraderFailure``, and the student is left
   ungraded (no zero is written, the reason is logged and reported, nbgrader exits non-zero);
1. clears the scratch copy (``autograded/<student>/<assignment>/``) of files that could
   shadow the course's code (``torch.py``, ``course/``, ``*.pth``...), and flags them;
2. starts the kernel in the sandbox (``sandbox.py``) and installs the guard (``guard.py``)
   before any of the notebook's code runs;
3. runs the cells in order: the learner's cells as they are, the instructor's locked cells
   and test cells through the guard (pristine helpers, a namespace of their own, checks
   before and after); every cell has its timeout and its output budget;
4. survives the kernel: when it dies (``os._exit``, a crash, a limit) or stops answering,
   the cell gets an error that says why in words, a new kernel starts, the cells that ran
   before are replayed quietly, and grading goes on, so the score is what ran;
5. afterwards removes whatever the kernel left in the scratch folder (links included),
   records flags and notes (``report.py``), sets nbgrader's ``flagged`` mark, and puts a
   short notice at the top of the autograded notebook for the reviewer (left out of feedback).
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import shutil
import stat
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell, new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode

from course.grading import intake, protocol
from course.grading import report as rep
from course.grading import sandbox as sbx
from course.grading.protocol import GraderFailure

NOTICE_ID = "course-grading-notice"
CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyd", ".so", ".pth", ".egg-link", ".egg", ".whl", ".zip")
KEEP_ALWAYS = ("timestamp.txt",)


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


class ChannelReader(threading.Thread):
    """Reads the guard's signed answers from the kernel, so the kernel never blocks on the pipe."""

    def __init__(self, fd: int, key: bytes, limit: int = 4 << 20) -> None:
        super().__init__(daemon=True, name="course-guard-reader")
        self.fd, self.key, self.limit = fd, key, limit
        self._sign = protocol.channel(key)[0]
        self.answers: dict[str, dict[str, Any]] = {}
        self.forged = 0
        self.total = 0
        self.eof = threading.Event()
        self._buf = b""
        self._cond = threading.Condition()

    def run(self) -> None:
        try:
            while True:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    break
                self.total += len(chunk)
                if self.total > self.limit:
                    continue  # someone is flooding the pipe: stop listening, answers will be missing
                self._buf += chunk
                while b"\n" in self._buf:
                    line, self._buf = self._buf.split(b"\n", 1)
                    self._accept(line)
        except OSError:
            pass
        finally:
            self.eof.set()
            with self._cond:
                self._cond.notify_all()
            try:
                os.close(self.fd)
            except OSError:
                pass

    def _accept(self, line: bytes) -> None:
        try:
            mac, body = line.decode("utf-8").split(" ", 1)
        except (UnicodeDecodeError, ValueError):
            self.forged += 1
            return
        want = self._sign(body)
        if not hmac.compare_digest(mac, want):
            self.forged += 1
            return
        try:
            data = json.loads(body)
        except ValueError:
            return
        with self._cond:
            self.answers[str(data.get("n"))] = data
            self._cond.notify_all()

    def wait_for(self, nonce: str, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while nonce not in self.answers:
                left = deadline - time.monotonic()
                if left <= 0 or self.eof.is_set():
                    break
                self._cond.wait(left)
            return self.answers.pop(nonce, None)


class Findings:
    """Reasons to review (flags) and plain notes, without repeats."""

    def __init__(self) -> None:
        self.flags: list[str] = []
        self.notes: list[str] = []

    def flag(self, text: str) -> None:
        if text not in self.flags and len(self.flags) < 100:
            self.flags.append(text)

    def note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < 100:
            self.notes.append(text)


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
        self._findings = Findings()
        path = resources.get("metadata", {}).get("path") or os.getcwd()
        self._scratch = os.path.abspath(path)
        self._nb_name = info.get("notebook") or resources.get("metadata", {}).get("name") or "notebook"
        try:
            self._canary(info)
            self._setup_sandbox()
        except GraderFailure as failure:
            self._give_up(info, failure)
        self._intake_findings(info)
        before = self._prepare_scratch(info)
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
            self._clean_scratch(before)
        self._finish(info)
        return self.nb, self.resources

    def _canary(self, info: dict[str, Any]) -> None:
        """The reference solution must earn full marks through this grader first (``canary.py``)."""
        coursedir = getattr(getattr(self.parent, "parent", None), "coursedir", None)
        if coursedir is not None and info.get("assignment"):
            from course.grading import canary

            canary.ensure(coursedir.root, info["assignment"])

    def _give_up(self, info: dict[str, Any], failure: GraderFailure) -> None:
        """The grader's failure, not the student's: leave the student ungraded, say why in one line,
        and let nbgrader fail this submission (no zero is written; the batch exits non-zero)."""
        student, assignment = info.get("student"), info.get("assignment")
        self.log.error("course: %s/%s left ungraded: %s", assignment or "?", student or "?", failure.reason)
        if student and assignment:
            coursedir = getattr(getattr(self.parent, "parent", None), "coursedir", None)
            autograded = Path(self._scratch).parent.parent
            if coursedir is not None:
                autograded = Path(coursedir.format_path(coursedir.autograded_directory, ".", ".")).resolve()
            rep.record_ungraded(rep.report_path(autograded, student, assignment), failure.reason)
            if info.get("db_url"):
                rep.forget_unscored(info["db_url"], assignment, student)
        raise failure

    def _intake_findings(self, info: dict[str, Any]) -> None:
        """Turn what intake and the sanitizer marked in the notebook into flags (``intake.review_marks``)."""
        flags, notes = intake.review_marks(self.nb, self._nb_name, self._source_order(info))
        for text in flags:
            self._findings.flag(text)
        for text in notes:
            self._findings.note(text)

    def _source_order(self, info: dict[str, Any]) -> list[str]:
        coursedir = getattr(getattr(self.parent, "parent", None), "coursedir", None)
        return intake.source_grade_ids(coursedir, info.get("assignment"), self._nb_name)

    # --- the sandbox --------------------------------------------------------------------------
    def _setup_sandbox(self) -> None:
        wanted = os.environ.get(sbx.MODE_ENV) or self.sandbox
        if wanted == "off":
            os.environ[sbx.MODE_ENV] = "off"
        s = sbx.support()
        if not s.available and wanted == "required":
            raise GraderFailure(f"a sandbox is required ({sbx.MODE_ENV}=required) but: {s.reason}")
        if not s.available:
            sbx.warn_once(self.log)
        self._sandboxed = s.available and wanted != "off"
        self._sandbox_label = "bubblewrap" if self._sandboxed else f"none ({s.reason})"

    def _limits(self) -> dict[str, int]:
        return {"memory_mb": self.memory_limit_mb, "cpu_seconds": self.cpu_limit_s,
                "processes": self.max_processes, "file_mb": self.max_file_mb}

    # --- the scratch folder ---------------------------------------------------------------------
    def _source_files(self, info: dict[str, Any]) -> set[str]:
        """Files (relative paths) that nbgrader copied from source/: these belong there."""
        coursedir = getattr(getattr(self.parent, "parent", None), "coursedir", None)
        assignment = info.get("assignment")
        if coursedir is None or not assignment:
            return set()
        src = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        if not src.is_dir():
            return set()
        return {str(p.relative_to(src)) for p in src.rglob("*") if not p.name.endswith(".ipynb")}

    def _prepare_scratch(self, info: dict[str, Any]) -> set[str]:
        """Remove submitted files that could shadow the course's code; return what is left."""
        root = Path(self._scratch)
        allowed = self._source_files(info)
        removed = []
        for p in sorted(root.iterdir()) if root.is_dir() else []:
            rel = p.name
            if rel in KEEP_ALWAYS or (p.suffix == ".ipynb" and p.is_file() and not p.is_symlink()):
                continue
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
        if removed:
            self._findings.flag(
                "the submission contained files that could replace the course's code: "
                + ", ".join(removed[:10]) + " (removed before grading)"
            )
        return self._listing()

    def _listing(self) -> set[str]:
        out = set()
        for dirpath, dirnames, filenames in os.walk(self._scratch):
            for n in dirnames + filenames:
                out.add(os.path.relpath(os.path.join(dirpath, n), self._scratch))
        return out

    def _clean_scratch(self, before: set[str]) -> None:
        """Remove what the kernel created (links and special files first), so nothing it left
        can trick the grader's later steps (nbgrader chmods every file it finds there)."""
        root = self._scratch
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

    # --- kernels ------------------------------------------------------------------------------
    async def _start_kernel(self) -> None:
        km = sbx.SandboxedKernelManager(kernel_name="python3", config=self.config)
        km.scratch = self._scratch
        km.visible = [str(p) for p in Path(self._scratch).iterdir() if p.suffix != ".ipynb" and not p.is_symlink()]
        km.limits_overrides = self._limits()
        km.use_sandbox = self._sandboxed
        km.extra_ro = list(self.extra_ro_paths)
        self._key = secrets.token_bytes(32)
        self._reader = None
        if self.guard:
            r, w = os.pipe()
            km.guard_fd = w
            km.guard_key = self._key
            self._reader = ChannelReader(r, self._key)
            self._reader.start()
        self.km = km
        try:
            await ensure_async(km.start_kernel(extra_arguments=self.extra_arguments))
        finally:
            if km.guard_fd is not None:
                os.close(km.guard_fd)
                km.guard_fd = None
        self.kc = km.client()
        await ensure_async(self.kc.start_channels())
        try:
            await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
        except RuntimeError:
            await self._stop_kernel()
            raise
        self.kc.allow_stdin = False
        msg_id = await ensure_async(self.kc.kernel_info())
        info = await self.async_wait_for_reply(msg_id)
        if info is not None and "language_info" in info["content"]:
            self.nb.metadata["language_info"] = info["content"]["language_info"]
        self._guarded = False
        if self.guard:
            reply = await self._quiet("import course.grading.guard as _cg\n_cg.install()\ndel _cg", self.startup_timeout)
            ok = reply is not None and reply["content"].get("status") == "ok"
            self._guarded = ok
            km.lock_run_dir()
            if not ok:
                why = _error_text(reply) or self.km.kernel_log_tail(300).strip().replace("\n", " | ") or "no answer"
                raise GraderFailure(f"the grading guard could not be installed in the kernel ({why[:300]})")

    async def _stop_kernel(self) -> None:
        km = getattr(self, "km", None)
        if km is None:
            return
        try:
            if getattr(self, "kc", None) is not None:
                self.kc.stop_channels()
        except Exception:  # noqa: BLE001
            pass
        try:
            if await ensure_async(km.is_alive()):
                await ensure_async(km.shutdown_kernel(now=True))
        except Exception:  # noqa: BLE001
            try:
                await ensure_async(km.kill_kernel())
            except Exception:  # noqa: BLE001
                pass
        try:
            await ensure_async(km.cleanup_resources())
        except Exception:  # noqa: BLE001
            pass
        if self._reader is not None:
            self._reader.eof.wait(5)
        self.kc = None
        self.km = None

    async def _quiet(self, code: str, timeout: float) -> dict[str, Any] | None:
        """Run code without recording outputs; the reply, or None if none came in time."""
        assert self.kc is not None
        msg_id = await ensure_async(self.kc.execute(code, silent=True, store_history=False, allow_stdin=False))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=min(left, 1.0)))
            except Exception:  # noqa: BLE001 - queue.Empty
                if not await ensure_async(self.km.is_alive()):
                    return None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def _payload(self, action: str, name: str, source: str) -> tuple[str, str]:
        """A signed request for the guard (``protocol.request``): its nonce and the cell's code."""
        nonce = secrets.token_hex(12)
        return nonce, protocol.request(self._key, nonce, action, name, source)

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
            if self._guarded and self.kc is not None:
                nonce, code = self._payload("check", "end", "")
                await self._quiet(code, self.guard_timeout)
                self._read_answer(nonce, "the end of the notebook", "check")
        finally:
            await self._stop_kernel()

    def _grade_id(self, index: int) -> str:
        cell = self.nb.cells[index]
        return cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"

    async def _run_cell(self, index: int, kind: str) -> None:
        cell = self.nb.cells[index]
        source = cell.source
        guarded = self._guarded and kind in ("test", "locked")
        nonce = None
        if guarded:
            nonce, cell.source = self._payload(kind, self._grade_id(index), source)
        started = time.monotonic()
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
            self._fatal.add(index)
            self._findings.flag(f"{self._grade_id(index)}: the kernel did not stop after its timeout and was replaced")
            self._deaths += 1
            await self._stop_kernel()
            await self._restart_and_replay(index)
            return
        cell = self.nb.cells[index]
        timed_out = any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []) if o.output_type == "error")
        if timed_out:
            self._findings.note(f"{self._grade_id(index)}: stopped after {self.timeout} s")
            await self._after_timeout(index, started)
            return
        if guarded and nonce is not None:
            answer = self._read_answer(nonce, self._grade_id(index), kind)
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

    def _read_answer(self, nonce: str, where: str, kind: str) -> dict[str, Any] | None:
        if self._reader is None:
            return None
        answer = self._reader.wait_for(nonce, self.guard_timeout)
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
        if self._reader.forged:
            self._findings.flag("something wrote forged answers to the grader's channel")
            self._reader.forged = 0
        return answer

    def _tidy_test_outputs(self, index: int) -> None:
        """A test's score comes from its outputs: an error means 0 whatever else was printed.
        Values displayed by the learner's code (not by the test) must not count as a score."""
        cell = self.nb.cells[index]
        outs = cell.get("outputs", [])
        results = [o for o in outs if o.output_type == "execute_result"]
        failed = any(o.output_type == "error" or (o.output_type == "stream" and o.get("name") == "stderr") for o in outs)
        if results and (failed or len(results) > 1):
            if len(results) > 1:
                self._findings.flag(f"{self._grade_id(index)}: the notebook's code displayed values during the test (ignored)")
            keep = [] if failed else results[-1:]
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

    async def _after_timeout(self, index: int, started: float) -> None:
        """nbclient interrupted the kernel; if it does not come back, replace it."""
        reply = await self._quiet("pass", 5)
        if reply is None:
            self._fatal.add(index)
            self._findings.flag(f"{self._grade_id(index)}: the kernel did not stop after its timeout and was replaced")
            self._deaths += 1
            await self._stop_kernel()
            await self._restart_and_replay(index)
        else:
            self._fatal.add(index)  # do not replay an endless cell

    async def _kernel_died(self, index: int) -> None:
        code = self.km.exit_code() if self.km is not None else None
        tail = self.km.kernel_log_tail() if self.km is not None else ""
        why = sbx.describe_exit(code)
        if "MemoryError" in tail or "Cannot allocate memory" in tail or "std::bad_alloc" in tail:
            why += " (it ran out of memory)"
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
                code = self._payload(kind, self._grade_id(i), source)[1] if self._guarded and kind == "locked" else source
                reply = await self._quiet(code, self.timeout or 60)
                if reply is None:
                    alive = await ensure_async(self.km.is_alive())
                    self._fatal.add(i)
                    if not alive:
                        died = i
                        break
                    await self._stop_kernel()  # stuck: start over without that cell
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

    # --- afterwards ------------------------------------------------------------------------------
    def _finish(self, info: dict[str, Any]) -> None:
        f = self._findings
        student, assignment = info.get("student"), info.get("assignment")
        self.nb.cells = [c for c in self.nb.cells if c.get("id") != NOTICE_ID]
        if f.flags:
            text = "**Flagged for review by the autograder.**\n\n" + "\n".join(f"- {x}" for x in f.flags)
            if f.notes:
                text += "\n\nNotes:\n\n" + "\n".join(f"- {x}" for x in f.notes[:20])
            notice = new_markdown_cell(text)
            notice["id"] = NOTICE_ID
            self.nb.cells.insert(0, notice)
        if not (student and assignment):
            return
        coursedir = getattr(getattr(self.parent, "parent", None), "coursedir", None)
        autograded = Path(self._scratch).parent.parent
        if coursedir is not None:
            autograded = Path(coursedir.format_path(coursedir.autograded_directory, ".", ".")).resolve()
        path = rep.report_path(autograded, student, assignment)
        was = rep.record_notebook(path, self._nb_name, f.flags, f.notes, self._sandbox_label)
        db_url = info.get("db_url")
        if db_url:
            flagged = True if f.flags else (False if was else None)
            rep.set_gradebook_flag(db_url, assignment, student, self._nb_name, flagged)


def _error_text(reply: dict[str, Any] | None) -> str:
    """'Ename: evalue' of an execute reply that failed, or ''."""
    if reply is None:
        return ""
    content = reply.get("content", {})
    if content.get("status") == "ok":
        return ""
    return f"{content.get('ename', 'error')}: {content.get('evalue', '')}"
