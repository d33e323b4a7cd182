"""The sandbox around grading kernels: student code runs in a box it cannot climb out of.

On Linux with bubblewrap (Debian: ``apt-get install bubblewrap``) every grading kernel runs
inside ``bwrap`` with

- a file system of its own: the Python installation, the ``course`` package and the data
  folder read-only, a private ``/tmp``, and as its working directory a private, size-limited
  copy of the student's scratch folder (``autograded/<student>/<assignment>/``): the
  instructor's files of the assignment read-only, the notebook itself absent (so hidden
  tests cannot be read back from disk), and writes that vanish with the box. ``source/``,
  the gradebook, ``submitted/``, other students' folders and ``feedback/`` are not there;
- no network (a network namespace of its own; the kernel talks to the grader over Unix
  sockets in a folder bound into the box) and no view of other processes;
- limits (applied by a tiny launcher before the kernel starts): address space, CPU seconds,
  processes, file size. When the grader runs as root the kernel drops to an unprivileged
  user id (``setpriv``) so that these limits hold and root's files stay root's.

Where none of this can be had (macOS, a container without user namespaces, no ``bwrap``)
grading still works, unsandboxed, and says so once. ``COURSE_SANDBOX=off`` turns the
sandbox off; ``COURSE_SANDBOX=required`` refuses to grade without one.

Kernels get all this from :class:`SandboxProvisioner`, a jupyter_client kernel provisioner
registered by the package's entry point ``course-sandbox`` (``pyproject.toml``); the grader
names it in the kernel spec of each grading kernel (``kernel.py``).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Any as AnyTrait
from traitlets import Bool, Dict, List, Unicode

from course.grading import protocol

MODE_ENV = "COURSE_SANDBOX"  # auto (default) | required | off
SANDBOX_UID_BASE = 61000  # unprivileged ids used for kernels when the grader is root
# Environment variables a grading kernel may see; everything else (COURSE_DB_URL with its
# password, tokens, the instructor's paths) stays outside.
PASS_ENV = (
    "LANG", "LC_ALL", "TZ", "PYTHONHASHSEED", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
    "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
    "COURSE_REQUIRE_CUDA", "NBGRADER_EXECUTION", "MPLBACKEND",
)


@dataclass(frozen=True)
class Limits:
    """Per-kernel resource limits. Generous for honest work, fatal for bombs."""

    memory_mb: int = 4096  # private writable memory of the kernel process
    cpu_seconds: int = 900  # CPU time of the kernel process, all threads together
    processes: int = 512  # tasks (processes and threads) of the kernel's user id
    file_mb: int = 256  # the largest file the kernel may write
    tmp_mb: int = 512  # its private /tmp (and /dev/shm)

    def rlimits(self) -> dict[str, int]:
        out = {
            "CPU": self.cpu_seconds,
            "FSIZE": self.file_mb << 20,
            "NPROC": self.processes,
            "CORE": 0,
        }
        # The data segment (private writable memory), not the address space: torch maps
        # gigabytes of libraries, and CUDA reserves huge virtual ranges it never touches.
        out["DATA"] = self.memory_mb << 20
        return out


@dataclass(frozen=True)
class Support:
    """Whether grading kernels can be sandboxed here, and how."""

    available: bool
    drop_user: bool = False  # root: drop to an unprivileged uid with setpriv inside the box
    reason: str = ""

    def describe(self) -> str:
        if self.available:
            how = "bubblewrap, kernels as an unprivileged user" if self.drop_user else "bubblewrap"
            return f"sandboxed grading ({how}): no network, read-only course files, memory/CPU/process limits"
        return f"UNSANDBOXED grading: {self.reason}; student code can read and write whatever this user can"

    def explain(self) -> str:
        """Which sandbox applies for the user running this, and why (``course doctor``)."""
        who = _user()
        if self.available and self.drop_user:
            return (f"for {who}: bubblewrap, and as root the kernels switch to an unprivileged uid "
                    f"({SANDBOX_UID_BASE}+) with setpriv, so root's files stay root's")
        if self.available:
            return (f"for {who}: bubblewrap in an unprivileged user namespace (no user switch: the kernel keeps "
                    "this uid; everything but its scratch folder is bound read-only)")
        return f"for {who}: none, because {self.reason}"


def _user() -> str:
    uid = os.geteuid()
    try:
        import pwd

        name = pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        name = os.environ.get("USER", "?")
    return f"{name} (uid {uid})"


_SUPPORT: Support | None = None
_SUPPORT_LOCK = threading.Lock()
_WARNED = False


def mode() -> str:
    value = os.environ.get(MODE_ENV, "").strip().lower()
    return value if value in ("required", "off") else "auto"


def _probe() -> Support:
    if mode() == "off":
        return Support(False, reason=f"the sandbox is turned off ({MODE_ENV}=off)")
    if not sys.platform.startswith("linux"):
        return Support(False, reason=f"no sandbox on {sys.platform} (bubblewrap needs Linux)")
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return Support(False, reason="bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)")
    root = os.geteuid() == 0
    if root and not shutil.which("setpriv"):
        return Support(False, reason="running as root without setpriv (util-linux) to drop privileges in the sandbox")
    box = Box(cwd=None, drop_user=root)
    cmd = box.wrap(["/bin/true"]) if os.path.exists("/bin/true") else box.wrap([sys.executable, "-c", "pass"])
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return Support(False, reason=f"bubblewrap does not start here ({err})")
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return Support(False, reason=f"bubblewrap cannot create its namespaces here ({detail}); user namespaces may be disabled")
    return Support(True, drop_user=root)


def support(refresh: bool = False) -> Support:
    """Probe once per process (about 20 ms) whether bubblewrap works here."""
    global _SUPPORT
    with _SUPPORT_LOCK:
        if _SUPPORT is None or refresh:
            _SUPPORT = _probe()
        return _SUPPORT


def warn_once(log: Any = None) -> None:
    """Say plainly, once per process, that grading runs without a sandbox."""
    global _WARNED
    s = support()
    if s.available or _WARNED:
        return
    _WARNED = True
    line = f"course: {s.describe()}"
    if log is not None:
        log.warning(line)
    else:
        print(line, file=sys.stderr, flush=True)


# --- what the kernel may see -------------------------------------------------------------

def _python_paths() -> list[str]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    return sorted(p for p in paths if p and os.path.isdir(p))


def _course_paths() -> list[str]:
    from course.paths import data_dir, package_dir

    return [str(package_dir()), str(data_dir())]


def _system_dirs() -> list[tuple[str, str | None]]:
    """(path, symlink target or None) for the usual top-level system folders."""
    out = []
    for name in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"):
        if os.path.islink(name):
            out.append((name, os.readlink(name)))
        elif os.path.isdir(name):
            out.append((name, None))
    return out


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


@dataclass
class Box:
    """One bwrap command line: what is visible, what is writable, who runs, which limits."""

    cwd: str | None  # the kernel's working directory: a private tmpfs at the scratch folder's path
    drop_user: bool = False
    uid: int = SANDBOX_UID_BASE
    visible: list[str] = field(default_factory=list)  # files of the scratch folder shown there, read-only
    extra_rw: list[str] = field(default_factory=list)  # e.g. the folder with the kernel's sockets
    extra_ro: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    limits: Limits | None = None

    def wrap(self, argv: list[str]) -> list[str]:
        args = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--die-with-parent", "--hostname", "grader"]
        if not self.drop_user:
            args += ["--unshare-user", "--cap-drop", "ALL"]
        made: set[str] = {"/tmp", "/dev", "/dev/shm", "/proc"}
        system = []
        for path, target in _system_dirs():
            if target is not None:
                args += ["--symlink", target, path]
            else:
                args += ["--ro-bind", path, path]
                system.append(path)
            made.add(path)
        args += ["--proc", "/proc", "--dev", "/dev"]
        tmp_bytes = str((self.limits or Limits()).tmp_mb << 20)
        args += ["--perms", "1777", "--size", tmp_bytes, "--tmpfs", "/tmp"]
        args += ["--perms", "1777", "--size", tmp_bytes, "--tmpfs", "/dev/shm"]
        for dev in sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/dri")):
            args += ["--dev-bind", dev, dev]
        if os.path.isdir("/sys"):
            args += ["--ro-bind", "/sys", "/sys"]
            system.append("/sys")

        def ensure_parents(dest: str) -> None:
            nonlocal args
            parts = Path(dest).parts
            for i in range(2, len(parts)):
                parent = str(Path(*parts[:i]))
                if parent in made or _inside(parent, system):
                    continue
                args += ["--perms", "0755", "--dir", parent]
                made.add(parent)

        ro: list[str] = []
        for p in [*_python_paths(), *_course_paths(), *self.extra_ro]:
            real = os.path.realpath(p)
            for q in {p, real}:
                if os.path.exists(q) and not _inside(q, system) and q not in ro:
                    ro.append(q)
        for q in sorted(ro, key=len):
            if any(_inside(q, [r]) and q != r for r in ro) and os.path.realpath(q) == q:
                continue  # already visible through a parent bind
            ensure_parents(q)
            args += ["--ro-bind", os.path.realpath(q), q]
            made.add(q)
        for w in self.extra_rw:
            ensure_parents(w)
            args += ["--bind", w, w]
            made.add(w)
        if self.cwd:
            # The working folder is a fresh, size-limited tmpfs at the scratch folder's path:
            # whatever the code writes stays in the box and is gone with it. The instructor's
            # files of the assignment are shown read-only; the notebook itself is not there.
            ensure_parents(self.cwd)
            args += ["--perms", "1777", "--size", tmp_bytes, "--tmpfs", self.cwd]
            for v in self.visible:
                args += ["--ro-bind", v, v]
            args += ["--chdir", self.cwd]
        args += ["--clearenv"]
        for k, v in self.env.items():
            args += ["--setenv", k, v]
        args += ["--"]
        if self.drop_user:
            setpriv = shutil.which("setpriv") or "setpriv"
            args += [setpriv, f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        return args + argv


LIMITER = (
    "import os,resource,sys\n"
    "a=sys.argv[1:];i=a.index('--')\n"
    "for s in a[:i]:\n"
    " k,v=s.split('=');v=int(v);r=getattr(resource,'RLIMIT_'+k,None)\n"
    " if r is None: continue\n"
    " h=v+5 if k=='CPU' else v\n"
    " try:\n"
    "  o=resource.getrlimit(r)[1]\n"
    "  resource.setrlimit(r,(v,h if o==resource.RLIM_INFINITY or o>h else o))\n"
    " except (ValueError,OSError): pass\n"
    "os.execv(a[i+1],a[i+1:])\n"
)


def limited(argv: list[str], limits: Limits) -> list[str]:
    """``argv`` started through a tiny launcher that sets the resource limits first."""
    if sys.platform == "win32":  # pragma: no cover
        return argv
    rl = limits.rlimits()
    if not support().available:
        # Outside the sandbox the process count is the whole user's (a desktop runs hundreds of
        # threads; root is exempt): a limit there would break honest kernels, so there is none.
        del rl["NPROC"]
    exe = shutil.which(argv[0]) or argv[0]  # a path with a folder comes back as it is
    return [sys.executable, "-I", "-S", "-c", LIMITER, *[f"{k}={v}" for k, v in rl.items()], "--", exe, *argv[1:]]


class LogTail:
    """The last few kilobytes a kernel wrote to its stdout/stderr, read from a pipe (no disk)."""

    def __init__(self, keep: int = 16384) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.keep = keep
        self.data = b""
        self._thread = threading.Thread(target=self._run, daemon=True, name="kernel-log")
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                chunk = os.read(self.read_fd, 65536)
                if not chunk:
                    break
                self.data = (self.data + chunk)[-self.keep:]
        except OSError:
            pass
        finally:
            os.close(self.read_fd)

    def close_writer(self) -> None:
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def tail(self, limit: int) -> str:
        self._thread.join(0.2)
        return self.data[-limit:].decode("utf-8", "replace")


PROBE_COURSE = (
    "import importlib.util, os\n"
    "s = importlib.util.find_spec('course')\n"
    "print(os.path.realpath(list(s.submodule_search_locations)[0]) if s and s.submodule_search_locations else '')\n"
)
_KERNEL_COURSE: dict[tuple[str, str], str | None] = {}


def kernel_course(python: str, env: dict[str, str]) -> str | None:
    """The folder of the ``course`` package that ``python`` imports with ``env`` (None: none).

    Asked of the kernel's own interpreter, from an empty folder and with the kernel's
    environment, once per process (about 50 ms).
    """
    key = (python, env.get("PYTHONPATH", ""))
    if key not in _KERNEL_COURSE:
        with tempfile.TemporaryDirectory(prefix="course-probe-") as empty:
            try:
                proc = subprocess.run([python, "-c", PROBE_COURSE], env=env, cwd=empty, capture_output=True,
                                      text=True, timeout=60)
                found = proc.stdout.strip().splitlines()[-1:] if proc.returncode == 0 else []
            except (OSError, subprocess.TimeoutExpired):
                found = []
        _KERNEL_COURSE[key] = found[0] if found and found[0] else None
    return _KERNEL_COURSE[key]


def same_course(python: str, env: dict[str, str]) -> dict[str, str]:
    """``env`` changed, if need be, so that ``python`` imports exactly the grader's ``course``.

    The grader and the kernel must use one ``course``: the guard speaks the grader's protocol,
    and the sandbox shows the kernel only the grader's package. They differ when the course
    folder is another checkout than the one installed (two terms sharing one environment, an
    editable install pointing elsewhere, ``PYTHONPATH``): then the grader's copy goes first on
    the kernel's ``PYTHONPATH``. Raises :class:`GraderFailure` when that still does not work.
    """
    from course.grading.protocol import GraderFailure
    from course.paths import package_dir

    mine = os.path.realpath(package_dir())
    if kernel_course(python, env) == mine:
        return env
    theirs = kernel_course(python, env)
    env = {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(Path(mine).parent), env.get("PYTHONPATH")) if p)}
    if kernel_course(python, env) != mine:
        raise GraderFailure(
            f"the grading kernel ({python}) would import the course package from {theirs or 'nowhere'} "
            f"and cannot be made to import the grader's, {mine}"
        )
    return env


def guard_roots() -> list[str]:
    """Where the kernel's own code comes from: imports from anywhere else are reported."""
    from course.paths import package_dir

    roots = [os.path.realpath(p) + os.sep for p in _python_paths()] + [str(package_dir()) + os.sep]
    return roots + [p + os.sep for p in _python_paths()]


def kernel_env(data_dir: str, guard_fd: int | None, sandboxed: bool) -> dict[str, str]:
    env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
    bindir = str(Path(sys.executable).parent)
    env.update({
        "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
        "COURSE_DATA_DIR": data_dir,
        "PYTHONNOUSERSITE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
    })
    env.setdefault("LANG", "C.UTF-8")
    if sandboxed:
        env.update({"HOME": "/tmp/home", "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp/mpl", "IPYTHONDIR": "/tmp/ipython",
                    "XDG_CACHE_HOME": "/tmp/cache", "XDG_CONFIG_HOME": "/tmp/config", "TORCH_HOME": "/tmp/torch"})
    else:
        for k in ("HOME", "TMPDIR", "USER", "SystemRoot"):
            if k in os.environ:
                env[k] = os.environ[k]
    if guard_fd is not None:
        env[protocol.FD_ENV] = str(guard_fd)
    return env


def describe_exit(code: int | None) -> str:
    """Words for how a kernel process ended (bwrap reports a signal as 128 + its number)."""
    if code is None:
        return "the kernel stopped answering"
    sig = -code if code < 0 else code - 128 if code > 128 else 0
    if sig:
        name = {signal.SIGKILL: "SIGKILL", signal.SIGXCPU: "SIGXCPU", signal.SIGSEGV: "SIGSEGV",
                signal.SIGABRT: "SIGABRT", signal.SIGBUS: "SIGBUS", signal.SIGTERM: "SIGTERM"}.get(sig, f"signal {sig}")
        why = {
            signal.SIGKILL: "it was killed, most likely for using too much memory",
            signal.SIGXCPU: "it used up its CPU-time limit",
            signal.SIGSEGV: "it crashed (segmentation fault)",
            signal.SIGABRT: "it aborted",
            signal.SIGBUS: "it crashed (bus error)",
        }.get(sig, "it was stopped by a signal")
        return f"the kernel died: {why} ({name})"
    if code == 0:
        return "the kernel exited (the code called exit(), quit() or os._exit(0))"
    return f"the kernel exited with status {code} (the code called os._exit({code}) or sys.exit from a thread, or crashed)"


PROVISIONER = "course-sandbox"  # the entry point (pyproject.toml) naming SandboxProvisioner


def provisioner_registered() -> bool:
    """Whether jupyter_client can find :class:`SandboxProvisioner` by its entry point."""
    from importlib.metadata import entry_points

    from jupyter_client.provisioning.factory import KernelProvisionerFactory

    return bool(entry_points(group=KernelProvisionerFactory.GROUP_NAME, name=PROVISIONER))


class SandboxProvisioner(LocalProvisioner):
    """A kernel provisioner whose kernels start inside the sandbox (or, failing that, plainly but limited).

    jupyter_client finds it by its entry point (``course-sandbox`` in the group
    ``jupyter_client.kernel_provisioners``, see ``pyproject.toml``) when a kernel spec names it
    in ``metadata.kernel_provisioner``; the grader's kernel spec does (``kernel.py``), with the
    settings below as its ``config``: ``scratch`` (the student's scratch folder, whose path
    becomes the kernel's working directory), ``visible`` (the instructor's files there that
    the kernel may read), the limits, and the guard's channel.
    """

    scratch = Unicode("", help="the student's scratch folder: the kernel's working directory").tag(config=False)
    visible = List(Unicode(), help="files of the scratch folder the sandboxed kernel may read").tag(config=False)
    extra_ro = List(Unicode(), help="more folders the sandboxed kernel may read").tag(config=False)
    limits_overrides = Dict(help="Limits fields to override").tag(config=False)
    use_sandbox = Bool(True).tag(config=False)
    guard_fd = AnyTrait(None, allow_none=True).tag(config=False)  # write end of the guard channel
    guard_key = AnyTrait(None, allow_none=True).tag(config=False)  # bytes handed to the guard once

    _run_dir: str | None = None
    _uid: int | None = None
    _log: LogTail | None = None

    @property
    def sandboxed(self) -> bool:
        return self.use_sandbox and support().available

    @property
    def limits(self) -> Limits:
        return Limits(**self.limits_overrides)

    def kernel_python(self) -> str:
        """The kernel's interpreter, as the kernel manager's ``format_kernel_cmd`` will pick it."""
        exe = self.kernel_spec.argv[0] if self.kernel_spec and self.kernel_spec.argv else "python"
        if exe in {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}:
            return sys.executable
        return shutil.which(exe) or exe

    def _env(self) -> dict[str, str]:
        from course.paths import data_dir

        env = same_course(self.kernel_python(), kernel_env(str(data_dir()), self.guard_fd, self.sandboxed))
        if self.guard_key is not None and self._run_dir:
            key_file = os.path.join(self._run_dir, "guard.key")
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(self.guard_key)
            if self._uid is not None:
                os.chown(key_file, self._uid, self._uid)
            env[protocol.KEY_FILE_ENV] = key_file
            env[protocol.ROOTS_ENV] = os.pathsep.join(guard_roots())
        return env

    async def pre_launch(self, **kw: Any) -> dict[str, Any]:
        km = self.parent
        # A short private folder for the connection file, the IPC sockets and the one-time key.
        self._run_dir = tempfile.mkdtemp(prefix="cg-", dir="/tmp" if os.path.isdir("/tmp") else None)
        km.connection_file = os.path.join(self._run_dir, "k.json")
        if self.sandboxed:
            km.transport = "ipc"
            km.ip = os.path.join(self._run_dir, "k")
            if support().drop_user:
                self._uid = SANDBOX_UID_BASE + os.getpid() % 1000
                os.chown(self._run_dir, self._uid, self._uid)
        # The kernel's own stdout/stderr go to a pipe: the last lines say why a kernel died.
        self._log = LogTail()
        kw["stdout"] = self._log.write_fd
        kw["stderr"] = self._log.write_fd
        if self.guard_fd is not None:
            kw["pass_fds"] = (self.guard_fd,)
        box_env = self._env()
        kw["env"] = dict(box_env)
        if self.scratch and not self.sandboxed:
            kw["cwd"] = self.scratch
        kw = await super().pre_launch(**kw)  # writes the connection file, formats the command
        if self._uid is not None and os.path.exists(km.connection_file):
            os.chown(km.connection_file, self._uid, self._uid)
        kw["cmd"] = self._wrap(kw["cmd"], box_env)
        return kw

    def _wrap(self, cmd: list[str], env: dict[str, str]) -> list[str]:
        """The kernel's command line started through the limits and, when sandboxed, inside the box."""
        cmd = limited(cmd, self.limits)
        if not self.sandboxed:
            return cmd
        box = Box(
            cwd=self.scratch or None,
            drop_user=support().drop_user,
            uid=self._uid or SANDBOX_UID_BASE,
            visible=[v for v in self.visible if os.path.exists(v)],
            extra_rw=[self._run_dir] if self._run_dir else [],
            extra_ro=list(self.extra_ro),
            env=env,
            limits=self.limits,
        )
        return box.wrap(cmd)

    async def launch_kernel(self, cmd: list[str], **kw: Any) -> Any:
        try:
            return await super().launch_kernel(cmd, **kw)
        finally:
            if self._log is not None:
                self._log.close_writer()

    def lock_run_dir(self) -> None:
        """Once the kernel has made its sockets (and the guard has read its key), it gets no
        more room on the host's disk: the folder goes back to the grader."""
        if self._uid is not None and self._run_dir and os.path.isdir(self._run_dir):
            os.chown(self._run_dir, os.geteuid(), os.getegid())
            os.chmod(self._run_dir, 0o755)

    def exit_code(self) -> int | None:
        """The kernel process's exit status, None while it runs (or when it is gone)."""
        return self.process.poll() if self.process is not None else None

    def log_tail(self, limit: int = 2000) -> str:
        return self._log.tail(limit) if self._log is not None else ""

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if self._run_dir and not restart:
            shutil.rmtree(self._run_dir, ignore_errors=True)
            self._run_dir = None
