"""One grading kernel's life, apart from the cells it runs (``execute.py``).

- :func:`choose_sandbox`: whether kernels run in the sandbox (``sandbox.py``), refusing to
  grade when one is required and missing, or when the sandbox's kernel provisioner is not
  registered (then every kernel start would fail);
- :class:`GradingKernel`: starts the kernel through the sandbox's kernel provisioner
  (``SandboxProvisioner``, named in the kernel spec the grader hands jupyter_client), opens
  the guard's channel (a pipe, read by :class:`ChannelReader`) and installs the guard
  (``guard.py``) before any of the notebook's code runs; runs code quietly (replays, the
  guard's requests); says in words why a kernel died (exit status, the tail of its log); and
  shuts it down, whatever state it is in.

Which cells run, and what a dead kernel means for the grade, is ``execute.py``'s business.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async
from traitlets import Bool, Dict

from course.grading import protocol
from course.grading import sandbox as sbx
from course.grading.protocol import GraderFailure

GUARD_INSTALL = "import course.grading.guard as _cg\n_cg.install()\ndel _cg"


def choose_sandbox(setting: str, log: Any) -> tuple[bool, str]:
    """(sandboxed, a label for the report) for grading now; ``setting`` is 'auto', 'required'
    or 'off', and ``COURSE_SANDBOX`` overrides it. Raises :class:`GraderFailure` when grading
    cannot go on as asked."""
    if not sbx.provisioner_registered():
        raise GraderFailure(
            f"the sandbox's kernel provisioner ({sbx.PROVISIONER!r}, an entry point of the course package) is not "
            "registered in this Python environment; reinstall the course package (make setup, or pip install -e .)"
        )
    wanted = os.environ.get(sbx.MODE_ENV) or setting
    if wanted == "off":
        os.environ[sbx.MODE_ENV] = "off"
    s = sbx.support()
    if not s.available and wanted == "required":
        raise GraderFailure(f"a sandbox is required ({sbx.MODE_ENV}=required) but: {s.reason}")
    if not s.available:
        sbx.warn_once(log)
    sandboxed = s.available and wanted != "off"
    return sandboxed, "bubblewrap" if sandboxed else f"none ({s.reason})"


class GradingKernelSpecs(KernelSpecManager):
    """The installed kernel specs, each handed out with the sandbox's provisioner named in it."""

    provisioner_config = Dict(help="settings of SandboxProvisioner for the next kernel").tag(config=False)
    interrupt_by_message = Bool(False, help="interrupt over the control channel (a sandboxed kernel "
                                "is not the leader of its process group)").tag(config=False)

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        spec = super().get_kernel_spec(kernel_name)
        spec.metadata = {**spec.metadata, "kernel_provisioner": {"provisioner_name": sbx.PROVISIONER,
                                                                 "config": dict(self.provisioner_config)}}
        if self.interrupt_by_message:
            spec.interrupt_mode = "message"
        return spec


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


class GradingKernel:
    """One kernel for one notebook's scratch folder: started, guarded, asked, stopped.

    ``km`` and ``kc`` (jupyter_client's manager and client) are there between :meth:`start`
    and :meth:`stop`; the grading preprocessor runs the cells through them.
    """

    def __init__(self, *, scratch: str, sandboxed: bool, limits: dict[str, int], extra_ro: list[str],
                 guard: bool, startup_timeout: float, extra_arguments: list[str], config: Any) -> None:
        self.scratch, self.sandboxed, self.limits, self.extra_ro = scratch, sandboxed, limits, extra_ro
        self.guard, self.startup_timeout, self.extra_arguments, self.config = guard, startup_timeout, extra_arguments, config
        self.km: AsyncKernelManager | None = None
        self.kc: Any = None
        self.reader: ChannelReader | None = None
        self.guarded = False
        self.language_info: dict[str, Any] | None = None
        self._key = b""

    # --- start and stop ---------------------------------------------------------------------
    async def start(self) -> None:
        """A fresh kernel, with the guard installed when asked (:class:`GraderFailure` if it is not)."""
        self._key = secrets.token_bytes(32)
        self.reader = None
        self.guarded = False
        settings: dict[str, Any] = {
            "scratch": self.scratch,
            "visible": [str(p) for p in Path(self.scratch).iterdir() if p.suffix != ".ipynb" and not p.is_symlink()],
            "limits_overrides": dict(self.limits),
            "use_sandbox": self.sandboxed,
            "extra_ro": list(self.extra_ro),
        }
        write_end = None
        if self.guard:
            read_end, write_end = os.pipe()
            settings.update(guard_fd=write_end, guard_key=self._key)
            self.reader = ChannelReader(read_end, self._key)
            self.reader.start()
        specs = GradingKernelSpecs(provisioner_config=settings, interrupt_by_message=self.sandboxed)
        km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs, config=self.config)
        self.km = km
        try:
            await ensure_async(km.start_kernel(extra_arguments=self.extra_arguments))
        finally:
            if write_end is not None:
                os.close(write_end)
        self.kc = km.client()
        await ensure_async(self.kc.start_channels())
        try:
            await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
        except RuntimeError:
            await self.stop()
            raise
        self.kc.allow_stdin = False
        msg_id = await ensure_async(self.kc.kernel_info())
        info = await self._reply(msg_id, self.startup_timeout)
        if info is None:
            raise RuntimeError("the kernel did not answer its kernel_info request")
        if "language_info" in info["content"]:
            self.language_info = info["content"]["language_info"]
        if self.guard:
            reply = await self.quiet(GUARD_INSTALL, self.startup_timeout)
            ok = reply is not None and reply["content"].get("status") == "ok"
            self.guarded = ok
            self.provisioner.lock_run_dir()
            if not ok:
                why = _error_text(reply) or self.log_tail(300).strip().replace("\n", " | ") or "no answer"
                raise GraderFailure(f"the grading guard could not be installed in the kernel ({why[:300]})")

    async def stop(self) -> None:
        """Shut the kernel down (killed if it does not go), and free what it used."""
        km = self.km
        if km is None:
            return
        try:
            if self.kc is not None:
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
        if self.reader is not None:
            self.reader.eof.wait(5)
        self.kc = None
        self.km = None

    # --- talking to it ----------------------------------------------------------------------
    async def is_alive(self) -> bool:
        return self.km is not None and bool(await ensure_async(self.km.is_alive()))

    async def _reply(self, msg_id: str, timeout: float | None) -> dict[str, Any] | None:
        """The shell reply to ``msg_id``, or None if none came in time (or the kernel died)."""
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=min(left, 1.0)))
            except Exception:  # noqa: BLE001 - queue.Empty
                if not await self.is_alive():
                    return None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    async def quiet(self, code: str, timeout: float) -> dict[str, Any] | None:
        """Run code without recording outputs; the reply, or None if none came in time."""
        assert self.kc is not None
        msg_id = await ensure_async(self.kc.execute(code, silent=True, store_history=False, allow_stdin=False))
        return await self._reply(msg_id, timeout)

    def request(self, action: str, name: str, source: str) -> tuple[str, str]:
        """A signed request for the guard (``protocol.request``): its nonce and the cell's code."""
        nonce = secrets.token_hex(12)
        return nonce, protocol.request(self._key, nonce, action, name, source)

    def answer(self, nonce: str, timeout: float) -> dict[str, Any] | None:
        """The guard's answer to the request ``nonce`` (None: none came in time)."""
        if self.reader is None:
            return None
        return self.reader.wait_for(nonce, timeout)

    def take_forged(self) -> int:
        """How many forged answers came since the last call."""
        if self.reader is None:
            return 0
        n, self.reader.forged = self.reader.forged, 0
        return n

    # --- how it ended -----------------------------------------------------------------------
    @property
    def provisioner(self) -> sbx.SandboxProvisioner:
        assert self.km is not None and isinstance(self.km.provisioner, sbx.SandboxProvisioner)
        return self.km.provisioner

    def log_tail(self, limit: int = 2000) -> str:
        return self.provisioner.log_tail(limit) if self.km is not None and self.km.provisioner else ""

    def death(self) -> str:
        """Why the kernel died, in words (its exit status and what its log says)."""
        code = self.provisioner.exit_code() if self.km is not None and self.km.provisioner else None
        why = sbx.describe_exit(code)
        tail = self.log_tail()
        if "MemoryError" in tail or "Cannot allocate memory" in tail or "std::bad_alloc" in tail:
            why += " (it ran out of memory)"
        return why


def _error_text(reply: dict[str, Any] | None) -> str:
    """'Ename: evalue' of an execute reply that failed, or ''."""
    if reply is None:
        return ""
    content = reply.get("content", {})
    if content.get("status") == "ok":
        return ""
    return f"{content.get('ename', 'error')}: {content.get('evalue', '')}"
