"""The grading kernel's choices and its scratch folder, in process: when a sandbox is used or
required, what a submission may leave next to the notebook, how the guard's answers are read
and how a kernel is started, asked and stopped (with a fake jupyter_client). Part of the fast
oracle of ``make mutation``; the kernels themselves start in ``test_trust.py`` and
``test_hostile.py``."""

from __future__ import annotations

import asyncio
import os
import queue
import stat
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tinycourse import run_async

from course.grading import kernel, protocol, scratch
from course.grading import sandbox as sbx
from course.grading.kernel import ChannelReader, GradingKernel, GradingKernelSpecs, choose_sandbox
from course.grading.protocol import GraderFailure

# --- the scratch folder ---------------------------------------------------------------------


def test_prepare_removes_what_could_shadow_the_course(tmp_path: Path) -> None:
    for name in ("torch.py", "answer.ipynb", "timestamp.txt", "data.csv", "helper.py"):
        (tmp_path / name).write_text("x")
    (tmp_path / "course").mkdir()
    removed = scratch.prepare(str(tmp_path), allowed={"data.csv"})
    assert removed == ["course/", "helper.py", "torch.py"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answer.ipynb", "data.csv", "timestamp.txt"]


def test_prepare_removes_links_and_special_files_even_when_allowed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("s")
    root = tmp_path / "scratch"
    root.mkdir()
    (root / "notes.txt").write_text("kept: plain data")
    (root / "model.pth").write_text("import os")
    (root / "pkg.egg-link").write_text("/elsewhere")
    (root / "data.csv").symlink_to(outside / "secret.txt")  # allowed name, but a link
    (root / "look.ipynb").symlink_to(outside / "secret.txt")  # a notebook that is a link
    (root / "timestamp.txt").mkdir()  # nbgrader's file name, but a folder
    (root / "dirlink").symlink_to(outside)
    os.mkfifo(root / "pipe")
    (root / "data").mkdir()  # a folder of the instructor's files (data/x.csv is allowed)
    (root / "data" / "x.csv").write_text("1")
    removed = scratch.prepare(str(root), allowed={"data.csv", os.path.join("data", "x.csv")})
    assert removed == ["data.csv", "dirlink", "look.ipynb", "model.pth", "pipe", "pkg.egg-link", "timestamp.txt/"]
    assert sorted(p.name for p in root.iterdir()) == ["data", "notes.txt"]
    assert (root / "data" / "x.csv").read_text() == "1"
    assert (outside / "secret.txt").read_text() == "s"  # a link is removed, not what it points to


@pytest.fixture
def stuck_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder named ``stuck`` cannot be removed (as for a user who may not write in it)."""
    real_rmdir = os.rmdir

    def rmdir(path: Any, *a: Any, **k: Any) -> None:
        if os.path.basename(os.fspath(path)) == "stuck":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        real_rmdir(path, *a, **k)

    monkeypatch.setattr(os, "rmdir", rmdir)


def test_a_folder_that_cannot_be_removed_does_not_stop_grading(tmp_path: Path, stuck_folder: None) -> None:
    (tmp_path / "stuck").mkdir()
    (tmp_path / "stuck" / "torch.py").write_text("x")
    (tmp_path / "zz.py").write_text("x")
    assert scratch.prepare(str(tmp_path), allowed=set()) == ["stuck/", "zz.py"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stuck"]
    before = scratch.listing(str(tmp_path))
    (tmp_path / "new" / "stuck").mkdir(parents=True)
    (tmp_path / "new.txt").write_text("x")
    scratch.clean(str(tmp_path), before)
    assert not (tmp_path / "new.txt").exists()


def test_prepare_of_a_missing_folder_removes_nothing(tmp_path: Path) -> None:
    assert scratch.prepare(str(tmp_path / "absent"), allowed=set()) == []


def test_source_files_are_what_nbgrader_copied_from_source(tmp_path: Path) -> None:
    src = tmp_path / "source" / "hw1"
    (src / "data").mkdir(parents=True)
    (src / "hw1.ipynb").write_text("{}")
    (src / "data" / "x.csv").write_text("1")
    (src / "util.txt").write_text("u")
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(root=str(tmp_path))
    assert scratch.source_files(coursedir, "hw1") == {"data", os.path.join("data", "x.csv"), "util.txt"}
    assert scratch.source_files(coursedir, "hw2") == set()
    assert scratch.source_files(coursedir, "") == set()
    assert scratch.source_files(None, "hw1") == set()


def test_listing_names_every_path_below_the_folder(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f.txt").write_text("x")
    (tmp_path / "top.txt").write_text("x")
    assert scratch.listing(str(tmp_path)) == {"a", os.path.join("a", "b"), os.path.join("a", "b", "f.txt"), "top.txt"}


def test_clean_removes_what_the_kernel_left_and_set_id_bits(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "old.txt").write_text("old")
    (tmp_path / "tool").write_text("x")
    os.chmod(tmp_path / "tool", 0o4755 | stat.S_ISGID)
    (tmp_path / "shared").mkdir()
    os.chmod(tmp_path / "shared", 0o2775)  # a group folder: its set-group-id bit is the course's business
    (tmp_path / "odd").write_text("x")
    os.chmod(tmp_path / "odd", 0o1640)
    os.mkfifo(tmp_path / "kept" / "old-fifo")  # there before (in a folder of data), a special file all the same
    before = scratch.listing(str(tmp_path))
    (tmp_path / "kept" / "new.txt").write_text("new")
    (tmp_path / "made" / "deep").mkdir(parents=True)
    (tmp_path / "made" / "deep" / "f").write_text("x")
    os.unlink(tmp_path / "kept" / "old.txt")
    (tmp_path / "kept" / "old.txt").symlink_to("/etc/passwd")  # replaced by a link: goes
    os.mkfifo(tmp_path / "fifo")
    scratch.clean(str(tmp_path), before)
    assert scratch.listing(str(tmp_path)) == {"kept", "tool", "shared", "odd"}
    assert stat.S_IMODE(os.stat(tmp_path / "tool").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(tmp_path / "shared").st_mode) == 0o2775
    assert stat.S_IMODE(os.stat(tmp_path / "odd").st_mode) == 0o1640  # only set-id bits are taken away


def test_clean_goes_on_past_an_entry_that_vanished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = scratch.listing(str(tmp_path))
    for name in ("a", "b", "c", "d"):
        (tmp_path / name).write_text("left by the kernel")
    real_lstat = os.lstat
    vanished: list[str] = []

    def lstat(path: Any) -> Any:  # the first one asked about is gone by then (a process still running)
        if not vanished:
            vanished.append(os.path.basename(path))
            raise FileNotFoundError(path)
        return real_lstat(path)

    monkeypatch.setattr(scratch.os, "lstat", lstat)
    scratch.clean(str(tmp_path), before)
    assert scratch.listing(str(tmp_path)) == set(vanished)


def test_clean_gives_files_back_to_the_owner_when_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    before = scratch.listing(str(tmp_path))
    real_lstat = os.lstat
    owner = os.stat(tmp_path)

    def lstat(path: Any) -> Any:  # every entry looks as if the sandbox's uid made it
        st = real_lstat(path)
        return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, 61000, 61000, *tuple(st)[6:]))

    chowned: list[tuple[str, int, int]] = []
    monkeypatch.setattr(scratch.os, "lstat", lstat)
    monkeypatch.setattr(scratch.os, "geteuid", lambda: 0)
    monkeypatch.setattr(scratch.os, "lchown", lambda p, u, g: chowned.append((os.path.basename(p), u, g)))
    scratch.clean(str(tmp_path), before)
    assert sorted(chowned) == [("a.txt", owner.st_uid, owner.st_gid), ("sub", owner.st_uid, owner.st_gid)]
    chowned.clear()
    monkeypatch.setattr(scratch.os, "geteuid", lambda: 1000)  # not root: cannot, does not try
    scratch.clean(str(tmp_path), before)
    assert chowned == []


def test_clean_of_a_missing_folder_does_nothing(tmp_path: Path) -> None:
    scratch.clean(str(tmp_path / "absent"), set())
    assert not (tmp_path / "absent").exists()


# --- whether to sandbox -----------------------------------------------------------------------


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, line: str) -> None:
        self.lines.append(line)


@pytest.fixture
def sandbox_here(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set whether bubblewrap works here: ``sandbox_here(available)``; warnings are recorded."""
    monkeypatch.setenv(sbx.MODE_ENV, "")
    monkeypatch.setattr(sbx, "provisioner_registered", lambda: True)
    warned: list[Any] = []
    monkeypatch.setattr(sbx, "warn_once", lambda log=None: warned.append(log))

    def set_support(available: bool) -> list[Any]:
        reason = "" if available else "bubblewrap is not installed"
        monkeypatch.setattr(sbx, "support", lambda refresh=False: sbx.Support(available, reason=reason))
        return warned

    return set_support


def test_sandbox_is_used_when_it_works(sandbox_here: Any) -> None:
    warned = sandbox_here(True)
    assert choose_sandbox("auto", _Log()) == (True, "bubblewrap")
    assert choose_sandbox("required", _Log()) == (True, "bubblewrap")
    assert warned == []


def test_no_sandbox_is_said_plainly(sandbox_here: Any) -> None:
    warned = sandbox_here(False)
    log = _Log()
    assert choose_sandbox("auto", log) == (False, "none (bubblewrap is not installed)")
    assert warned == [log]


def test_a_required_sandbox_that_is_missing_stops_grading(sandbox_here: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox_here(False)
    with pytest.raises(GraderFailure, match=r"a sandbox is required \(COURSE_SANDBOX=required\) but: bubblewrap is not installed"):
        choose_sandbox("required", _Log())
    monkeypatch.setenv(sbx.MODE_ENV, "required")  # the environment overrides the setting
    with pytest.raises(GraderFailure, match="required"):
        choose_sandbox("auto", _Log())


def test_sandbox_off_turns_it_off_for_the_kernels_too(sandbox_here: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox_here(True)
    assert choose_sandbox("off", _Log()) == (False, "none ()")
    assert os.environ[sbx.MODE_ENV] == "off"  # the provisioner reads it
    monkeypatch.setenv(sbx.MODE_ENV, "off")
    assert choose_sandbox("required", _Log())[0] is False


def test_no_grading_without_the_sandbox_provisioner(sandbox_here: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox_here(True)
    monkeypatch.setattr(sbx, "provisioner_registered", lambda: False)
    with pytest.raises(GraderFailure) as err:
        choose_sandbox("off", _Log())
    assert err.value.reason == (
        "the sandbox's kernel provisioner ('course-sandbox', an entry point of the course package) is not registered in "
        "this Python environment; reinstall the course package (make setup, or pip install -e .)")


def test_kernel_spec_names_the_sandbox_provisioner() -> None:
    settings = {"scratch": "/s", "use_sandbox": True}
    spec = GradingKernelSpecs(provisioner_config=settings, interrupt_by_message=True).get_kernel_spec("python3")
    assert spec.metadata["kernel_provisioner"] == {"provisioner_name": "course-sandbox", "config": settings}
    assert spec.interrupt_mode == "message"
    assert spec.argv  # still the installed python3 kernel
    plain = GradingKernelSpecs(provisioner_config={}).get_kernel_spec("python3")
    assert plain.interrupt_mode == "signal"
    assert plain.metadata["kernel_provisioner"]["provisioner_name"] == "course-sandbox"


# --- the guard's channel ----------------------------------------------------------------------

KEY = b"k" * 32


def _line(body: str, key: bytes = KEY) -> bytes:
    return f"{protocol.channel(key)[0](body)} {body}\n".encode()


def _answer(nonce: str, **more: Any) -> bytes:
    import json

    return _line(json.dumps({"n": nonce, "ok": True, **more}))


@pytest.fixture
def channel() -> Any:
    """A started reader on a pipe, and the pipe's write end."""
    read_end, write_end = os.pipe()
    reader = ChannelReader(read_end, KEY)
    reader.start()
    state = {"w": write_end}
    yield reader, write_end, state
    if state["w"] is not None:
        os.close(state["w"])
    reader.join(5)


def _close(state: dict[str, Any]) -> None:
    fd, state["w"] = state["w"], None
    os.close(fd)


def test_channel_reader_keeps_signed_answers_and_counts_forged_ones(channel: Any) -> None:
    reader, w, state = channel
    assert reader.daemon and reader.name == "course-guard-reader"  # never keeps the grader alive
    os.write(w, _answer("a1", note="two words")
             + _line('{"n": "a2"}', key=b"x" * 32)  # signed with another key
             + b"no-space-at-all\n"
             + b"\xff\xfe bytes\n"
             + _line("not json")  # signed, but no answer: ignored
             + _answer("a4").replace(b" ", b"\t", 1)  # the format is "<mac> <json>", nothing else
             + _answer("a3"))
    assert reader.wait_for("a1", 5) == {"n": "a1", "ok": True, "note": "two words"}
    assert reader.wait_for("a3", 5) == {"n": "a3", "ok": True}
    assert reader.forged == 4 and reader.wait_for("a4", 0.05) is None
    assert reader.wait_for("a1", 0.05) is None  # an answer is taken once
    _close(state)
    assert reader.eof.wait(5)
    assert reader.answers == {}


def test_channel_reader_joins_a_line_written_in_pieces(channel: Any) -> None:
    reader, w, _state = channel
    line = _answer("p1")
    os.write(w, line[:20])
    deadline = time.monotonic() + 5
    while reader.total < 20 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert reader.total == 20
    os.write(w, line[20:])
    assert reader.wait_for("p1", 5) == {"n": "p1", "ok": True}
    assert reader.forged == 0


def test_wait_for_wakes_as_soon_as_the_answer_comes(channel: Any) -> None:
    reader, w, _state = channel
    threading.Timer(0.1, os.write, (w, _answer("late"))).start()
    start = time.monotonic()
    assert reader.wait_for("late", 10) == {"n": "late", "ok": True}
    assert time.monotonic() - start < 3


def test_wait_for_gives_up_at_its_timeout_or_when_the_kernel_is_gone(channel: Any) -> None:
    reader, _w, state = channel
    start = time.monotonic()
    assert reader.wait_for("never", 0.2) is None
    assert 0.15 < time.monotonic() - start < 3
    threading.Timer(0.1, _close, (state,)).start()
    start = time.monotonic()
    assert reader.wait_for("never", 10) is None  # woken by the end of the pipe
    assert time.monotonic() - start < 3
    start = time.monotonic()
    assert reader.wait_for("never", 10) is None  # and, once it ended, at once
    assert time.monotonic() - start < 1


def test_channel_reader_closes_its_end_of_the_pipe(channel: Any) -> None:
    reader, _w, state = channel
    fd = reader.fd
    _close(state)
    reader.join(5)
    assert not reader.is_alive() and reader.eof.is_set()
    with pytest.raises(OSError):
        os.fstat(fd)


def test_a_flood_silences_the_channel_but_the_pipe_is_still_drained() -> None:
    first = _answer("f1")
    read_end, write_end = os.pipe()
    reader = ChannelReader(read_end, KEY, limit=len(first))
    reader.start()
    try:
        os.write(write_end, first)  # exactly the limit: still heard
        assert reader.wait_for("f1", 5) == {"n": "f1", "ok": True}
        os.write(write_end, _answer("f2"))
        assert reader.wait_for("f2", 0.3) is None
        for _ in range(32):  # far more than a pipe holds: the writer (the kernel) never blocks
            os.write(write_end, b"x" * 65536)
        assert not reader.eof.is_set()
    finally:
        os.close(write_end)
    assert reader.eof.wait(5)
    assert reader.total == len(first) + len(_answer("f2")) + 32 * 65536


def test_the_default_limit_is_four_mebibytes() -> None:
    read_end, write_end = os.pipe()
    reader = ChannelReader(read_end, KEY)
    reader.start()
    try:
        written = os.write(write_end, _answer("below"))
        assert reader.wait_for("below", 5) is not None
        blob = b"x" * 65536
        at = b"\n" + _answer("at")
        while written + len(blob) + len(at) <= 4 << 20:
            written += os.write(write_end, blob)
        os.write(write_end, at)
        assert reader.wait_for("at", 5) is not None  # under 4 MiB + a line: heard
        os.write(write_end, blob + b"\n" + _answer("over"))
        assert reader.wait_for("over", 0.3) is None
    finally:
        os.close(write_end)
    assert reader.eof.wait(5)


# --- a kernel, faked: started, asked, stopped -------------------------------------------------


class FakeProvisioner(sbx.SandboxProvisioner):
    def __init__(self, code: int | None = None, log: str = "") -> None:
        super().__init__()
        self.code, self.log_text, self.locked = code, log, 0

    def exit_code(self) -> int | None:
        return self.code

    def log_tail(self, limit: int = 2000) -> str:
        return self.log_text[-limit:]

    def lock_run_dir(self) -> None:
        self.locked += 1


class FakeClient:
    """jupyter_client's client: each request is answered at once, as ``replies`` says."""

    def __init__(self, km: FakeKM) -> None:
        self.km = km
        self.shell: queue.Queue[dict[str, Any]] = queue.Queue()
        self.shell_channel = SimpleNamespace(get_msg=self.get_msg)
        self.timeouts: list[float] = []
        self.executed: list[tuple[str, dict[str, Any]]] = []
        self.ready_timeout: float | None = None
        self.stopped = False
        self.allow_stdin = True
        self.channels = False

    async def get_msg(self, timeout: float) -> dict[str, Any]:
        self.timeouts.append(timeout)
        try:
            return self.shell.get_nowait()
        except queue.Empty:
            if self.km.replies.get("slow"):
                await asyncio.sleep(min(timeout, 0.01))
            raise

    def _reply(self, msg_id: str, content: dict[str, Any] | None) -> None:
        self.shell.put({"parent_header": {"msg_id": "someone-else"}, "content": {"status": "ok"}})
        if content is not None:
            self.shell.put({"parent_header": {"msg_id": msg_id}, "content": content})

    def start_channels(self) -> None:
        self.channels = True

    async def wait_for_ready(self, timeout: float) -> None:
        self.ready_timeout = timeout
        if self.km.replies.get("ready") is False:
            raise RuntimeError("Kernel didn't respond in 30 seconds")

    def kernel_info(self) -> str:
        self._reply("info-1", self.km.replies.get("info", {"status": "ok", "language_info": {"name": "python"}}))
        return "info-1"

    async def execute(self, code: str, **kw: Any) -> str:
        self.executed.append((code, kw))
        msg_id = f"exec-{len(self.executed)}"
        self._reply(msg_id, self.km.replies.get("execute", {"status": "ok"}))
        return msg_id

    def stop_channels(self) -> None:
        self.stopped = True
        if self.km.replies.get("stop_channels_fails"):
            raise RuntimeError("channels gone")


class FakeKM:
    replies: dict[str, Any] = {}
    made: list[FakeKM] = []

    def __init__(self, kernel_name: str, kernel_spec_manager: GradingKernelSpecs, config: Any) -> None:
        self.kernel_name, self.specs, self.config = kernel_name, kernel_spec_manager, config
        self.replies = dict(FakeKM.replies)
        self.provisioner = FakeProvisioner(log=self.replies.get("log", ""))
        self.alive = True
        self.calls: list[str] = []
        self.kc: FakeClient | None = None
        FakeKM.made.append(self)

    async def start_kernel(self, extra_arguments: list[str]) -> None:
        self.extra_arguments = extra_arguments
        fd = self.specs.provisioner_config.get("guard_fd")
        self.guard_fd_open_at_start = fd is not None and _is_open(fd)
        if fd is not None:  # the guard, once installed, answers on its end of the pipe
            os.write(fd, _line('{"n": "hello", "ok": true}', key=self.specs.provisioner_config["guard_key"]))

    def client(self) -> FakeClient:
        self.kc = FakeClient(self)
        return self.kc

    async def is_alive(self) -> bool:
        self.calls.append("is_alive")
        return self.alive

    async def shutdown_kernel(self, now: bool = False) -> None:
        self.calls.append(f"shutdown now={now}")
        if self.replies.get("shutdown_fails"):
            raise RuntimeError("no")
        self.alive = False

    def kill_kernel(self) -> None:
        self.calls.append("kill")
        self.alive = False

    async def cleanup_resources(self) -> None:
        self.calls.append("cleanup")


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


@pytest.fixture
def fake_km(monkeypatch: pytest.MonkeyPatch) -> type[FakeKM]:
    monkeypatch.setattr(kernel, "AsyncKernelManager", FakeKM)
    monkeypatch.setattr(FakeKM, "replies", {})
    monkeypatch.setattr(FakeKM, "made", [])
    return FakeKM


def _kernel(scratch_dir: Path, *, guard: bool = True, sandboxed: bool = True) -> GradingKernel:
    return GradingKernel(scratch=str(scratch_dir), sandboxed=sandboxed, limits={"memory_mb": 512}, extra_ro=["/data"],
                         guard=guard, startup_timeout=7.0, extra_arguments=["--x"], config="cfg")


def test_start_hands_the_provisioner_its_settings_and_installs_the_guard(tmp_path: Path, fake_km: type[FakeKM]) -> None:
    (tmp_path / "hw1.ipynb").write_text("{}")
    (tmp_path / "data.csv").write_text("1")
    (tmp_path / "link").symlink_to(tmp_path / "data.csv")
    gk = _kernel(tmp_path)
    run_async(gk.start())
    km = fake_km.made[0]
    settings = km.specs.provisioner_config
    assert settings["scratch"] == str(tmp_path)
    assert settings["visible"] == [str(tmp_path / "data.csv")]  # not the notebook, not a link
    assert settings["limits_overrides"] == {"memory_mb": 512}
    assert settings["use_sandbox"] is True and settings["extra_ro"] == ["/data"]
    assert settings["guard_key"] == gk._key and len(gk._key) == 32
    assert km.guard_fd_open_at_start and not _is_open(settings["guard_fd"])  # the kernel's end, closed here
    assert km.specs.interrupt_by_message is True  # a sandboxed kernel is interrupted by message
    assert (km.kernel_name, km.config, km.extra_arguments) == ("python3", "cfg", ["--x"])
    assert gk.km is km and gk.kc is km.kc and km.kc.allow_stdin is False
    assert km.kc.ready_timeout == 7.0 and km.kc.channels
    assert gk.answer("hello", 5) == {"n": "hello", "ok": True}  # the channel is read, with this kernel's key
    assert gk.language_info == {"name": "python"}
    assert km.kc.executed == [(kernel.GUARD_INSTALL, {"silent": True, "store_history": False, "allow_stdin": False})]
    assert gk.guarded is True and km.provisioner.locked == 1
    assert gk.reader is not None
    assert gk.reader.eof.wait(5)  # no one else holds the write end
    run_async(gk.stop())
    assert gk.km is None and gk.kc is None


def test_start_without_the_guard_opens_no_channel(tmp_path: Path, fake_km: type[FakeKM]) -> None:
    gk = _kernel(tmp_path, guard=False, sandboxed=False)
    run_async(gk.start())
    km = fake_km.made[0]
    assert "guard_fd" not in km.specs.provisioner_config and gk.reader is None
    assert km.specs.interrupt_by_message is False and km.specs.provisioner_config["use_sandbox"] is False
    assert km.kc.executed == [] and gk.guarded is False and km.provisioner.locked == 0
    assert gk.answer("n", 5) is None and gk.take_forged() == 0


def test_a_guard_that_cannot_install_stops_grading(tmp_path: Path, fake_km: type[FakeKM]) -> None:
    fake_km.replies = {"execute": {"status": "error", "ename": "ImportError", "evalue": "no course"}}
    gk = _kernel(tmp_path)
    with pytest.raises(GraderFailure, match=r"could not be installed in the kernel \(ImportError: no course\)"):
        run_async(gk.start())
    assert gk.guarded is False and fake_km.made[0].provisioner.locked == 1


def test_a_guard_install_without_answer_says_what_the_kernel_logged(tmp_path: Path, fake_km: type[FakeKM]) -> None:
    fake_km.replies = {"execute": None, "log": "Traceback\nSyntaxError: bad\n", "slow": True}
    gk = _kernel(tmp_path)
    gk.startup_timeout = 0.2
    with pytest.raises(GraderFailure, match=r"\(Traceback \| SyntaxError: bad\)"):
        run_async(gk.start())
    fake_km.replies = {"execute": None, "slow": True}
    gk = _kernel(tmp_path)
    gk.startup_timeout = 0.2
    with pytest.raises(GraderFailure, match=r"\(no answer\)"):
        run_async(gk.start())


def test_why_the_guard_failed_is_cut_to_300_characters(tmp_path: Path, fake_km: type[FakeKM]) -> None:
    fake_km.replies = {"execute": {"status": "error", "ename": "E", "evalue": "v" * 400}}
    with pytest.raises(GraderFailure) as err:
        run_async(_kernel(tmp_path).start())
    assert err.value.reason.endswith("(E: " + "v" * 297 + ")")
    fake_km.replies = {"execute": None, "slow": True, "log": "old" + "w" * 300}
    gk = _kernel(tmp_path)
    gk.startup_timeout = 0.1
    with pytest.raises(GraderFailure) as err:
        run_async(gk.start())
    assert err.value.reason.endswith("kernel (" + "w" * 300 + ")")  # the log's last 300 characters


def test_a_kernel_that_is_never_ready_is_stopped(tmp_path: Path, fake_km: type[FakeKM]) -> None:
    fake_km.replies = {"ready": False}
    gk = _kernel(tmp_path, guard=False)
    with pytest.raises(RuntimeError, match="didn't respond"):
        run_async(gk.start())
    assert fake_km.made[0].calls[:2] == ["is_alive", "shutdown now=True"] and gk.km is None


def test_a_kernel_that_does_not_say_what_it_is(tmp_path: Path, fake_km: type[FakeKM]) -> None:
    fake_km.replies = {"info": None, "slow": True}
    gk = _kernel(tmp_path, guard=False)
    gk.startup_timeout = 0.1
    with pytest.raises(RuntimeError) as err:
        run_async(gk.start())
    assert str(err.value) == "the kernel did not answer its kernel_info request"
    fake_km.replies = {"info": {"status": "ok"}}
    gk = _kernel(tmp_path, guard=False)
    run_async(gk.start())
    assert gk.language_info is None


def _started(fake: type[FakeKM], **replies: Any) -> tuple[GradingKernel, FakeKM]:
    """A GradingKernel as if started, without the start."""
    fake.replies = replies
    gk = object.__new__(GradingKernel)
    km = FakeKM("python3", GradingKernelSpecs(), None)
    gk.km, gk.kc, gk.reader, gk._key = km, km.client(), None, KEY
    return gk, km


def test_a_kernel_not_started_has_nothing_to_stop_or_ask(tmp_path: Path) -> None:
    gk = _kernel(tmp_path)
    assert gk.km is None and gk.kc is None and gk.guarded is False
    assert run_async(gk.is_alive()) is False
    assert gk.answer("n", 5) is None and gk.take_forged() == 0
    assert gk.log_tail() == "" and gk.death() == "the kernel stopped answering"
    run_async(gk.stop())


def test_stop_shuts_down_and_frees_everything(fake_km: type[FakeKM]) -> None:
    gk, km = _started(fake_km, stop_channels_fails=True)
    kc = gk.kc
    run_async(gk.stop())
    assert kc.stopped and km.calls == ["is_alive", "shutdown now=True", "cleanup"]
    assert gk.km is None and gk.kc is None
    run_async(gk.stop())  # twice: nothing more to do
    assert km.calls == ["is_alive", "shutdown now=True", "cleanup"]


def test_stop_kills_a_kernel_that_will_not_shut_down(fake_km: type[FakeKM]) -> None:
    gk, km = _started(fake_km, shutdown_fails=True)
    run_async(gk.stop())
    assert km.calls == ["is_alive", "shutdown now=True", "kill", "cleanup"]
    gk, km = _started(fake_km)
    km.alive = False
    run_async(gk.stop())
    assert km.calls == ["is_alive", "cleanup"]


def test_stop_waits_for_the_channel_to_end(fake_km: type[FakeKM]) -> None:
    gk, _km = _started(fake_km)
    read_end, write_end = os.pipe()
    gk.reader = ChannelReader(read_end, KEY)
    gk.reader.start()
    threading.Timer(0.1, os.close, (write_end,)).start()
    run_async(gk.stop())
    assert gk.reader.eof.is_set()


def test_stop_waits_at_most_five_seconds_for_the_channel(fake_km: type[FakeKM]) -> None:
    gk, _km = _started(fake_km)
    waited: list[float | None] = []
    gk.reader = SimpleNamespace(eof=SimpleNamespace(wait=waited.append))  # a channel a leftover process holds open
    run_async(gk.stop())
    assert waited == [5]


def test_is_alive(fake_km: type[FakeKM]) -> None:
    gk, km = _started(fake_km)
    assert run_async(gk.is_alive()) is True
    km.alive = False
    assert run_async(gk.is_alive()) is False
    gk.km = None
    assert run_async(gk.is_alive()) is False


def test_quiet_runs_silently_and_returns_its_own_reply(fake_km: type[FakeKM]) -> None:
    gk, km = _started(fake_km, execute={"status": "ok", "mine": 1})
    reply = run_async(gk.quiet("x = 1", 5))
    assert reply is not None and reply["content"] == {"status": "ok", "mine": 1}  # not the other message before it
    assert km.kc.executed == [("x = 1", {"silent": True, "store_history": False, "allow_stdin": False})]
    assert max(km.kc.timeouts) <= 1.0


def test_reply_gives_up_when_the_kernel_dies_or_time_is_up(fake_km: type[FakeKM]) -> None:
    gk, km = _started(fake_km, slow=True)
    km.alive = False
    start = time.monotonic()
    assert run_async(gk._reply("m", 30)) is None
    assert time.monotonic() - start < 3
    assert km.kc.timeouts[0] == 1.0  # asks in steps of a second at most, to notice a death
    km.alive, km.kc.timeouts = True, []
    start = time.monotonic()
    assert run_async(gk._reply("m", 0.1)) is None
    assert 0.05 < time.monotonic() - start < 3
    assert max(km.kc.timeouts) <= 0.1
    km.kc._reply("m", {"status": "ok"})
    assert run_async(gk._reply("m", None))["content"] == {"status": "ok"}  # no timeout: waits


def test_requests_are_signed_for_the_guard_and_answers_read_back(fake_km: type[FakeKM]) -> None:
    gk, _km = _started(fake_km)
    nonce, code = gk.request("check", "q1", "assert f(2) == 4")
    other, _ = gk.request("check", "q1", "assert f(2) == 4")
    assert len(nonce) == 24 and nonce != other
    text = code.split(" = ", 1)[1].split("\n", 1)[0]
    assert protocol.request_reader(KEY)(eval(text)) == (nonce, "check", "q1", "assert f(2) == 4")
    read_end, write_end = os.pipe()
    gk.reader = ChannelReader(read_end, KEY)
    gk.reader.start()
    try:
        os.write(write_end, _line("{}", key=b"y" * 32) * 2 + _answer(nonce))
        assert gk.answer(nonce, 5) == {"n": nonce, "ok": True}
        assert gk.take_forged() == 2
        assert gk.take_forged() == 0  # counted once
    finally:
        os.close(write_end)


def test_death_says_why_in_words(fake_km: type[FakeKM]) -> None:
    gk, km = _started(fake_km)
    km.provisioner.code = -9
    km.provisioner.log_text = "x = torch.zeros(10**12)\nRuntimeError: std::bad_alloc\n"
    assert gk.death() == "the kernel died: it was killed, most likely for using too much memory (SIGKILL) (it ran out of memory)"
    km.provisioner.code, km.provisioner.log_text = 3, "MemoryError"
    assert gk.death().endswith("(it ran out of memory)") and "status 3" in gk.death()
    km.provisioner.log_text = "OSError: Cannot allocate memory"
    assert gk.death().endswith("(it ran out of memory)")
    km.provisioner.log_text = "MemoryError" + "." * 1990  # only the log's last 2000 characters tell
    assert "out of memory" not in gk.death()
    km.provisioner.log_text = "MemoryError" + "." * 1989
    assert gk.death().endswith("(it ran out of memory)")
    km.provisioner.code, km.provisioner.log_text = 0, "bye"
    assert gk.death() == sbx.describe_exit(0)
    assert gk.log_tail() == "bye" and gk.log_tail(2) == "ye"
    km.provisioner = None
    assert gk.death() == "the kernel stopped answering" and gk.log_tail() == ""
    gk.km = None
    assert gk.death() == "the kernel stopped answering" and gk.log_tail() == ""


def test_error_text() -> None:
    assert kernel._error_text(None) == ""
    assert kernel._error_text({"content": {"status": "ok"}}) == ""
    assert kernel._error_text({"content": {"status": "error", "ename": "NameError", "evalue": "x"}}) == "NameError: x"
    assert kernel._error_text({"content": {"status": "aborted"}}) == "error: "
    assert kernel._error_text({}) == "error: "
