"""A JupyterLab server on a scratch copy of the course, and the browser steps the tests share.

Nothing here writes into the repository: the server serves a copy of the course in a temporary
folder, with its own HOME, Jupyter folders and nbgrader exchange. Only the `course` package
(installed editable) and its generated data are shared with the checkout.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbgrader.utils import get_osusername

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
COURSE_ID = "pytorch-course"
# nbgrader names a submission after the login running the server (nbgrader.utils.get_username)
STUDENT = get_osusername()
# What a scratch course needs: the course files a student or instructor works with.
COURSE_FILES = ["nbgrader_config.py", "jupyter_lab_config.py", "source", "release", "notebooks", "locale"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"]

# Timeouts (ms) generous enough for two busy cores.
KERNEL_START_MS = 120_000
RUN_MS = 240_000
VALIDATE_MS = 240_000


class LabError(Exception):
    """The server or the browser could not start; the message is one line."""


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# the server


@dataclass
class LabServer:
    root: Path  # the scratch course the server serves
    home: Path
    exchange: Path
    env: dict[str, str]
    port: int
    token: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "", **query: str) -> str:
        params = "&".join([*(f"{k}={v}" if v else k for k, v in query.items()), f"token={self.token}"])
        return f"{self.base}/{path.lstrip('/')}?{params}"

    def api(self, path: str, method: str = "GET", body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base}/{path.lstrip('/')}", data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def nbgrader(self, *args: str, timeout: float = 300) -> str:
        """Run the `nbgrader` command in the scratch course, as the instructor would."""
        exe = Path(sys.executable).with_name("nbgrader")
        cmd = [str(exe) if exe.exists() else "nbgrader", *args]
        start = time.perf_counter()
        out = subprocess.run(cmd, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout)
        self.timings[f"nbgrader {args[0]}"] = time.perf_counter() - start
        text = out.stdout + out.stderr
        if out.returncode != 0:
            tail = "\n".join(text.strip().splitlines()[-15:])
            raise AssertionError(f"`nbgrader {' '.join(args)}` failed (exit {out.returncode}):\n{tail}")
        return text

    def shutdown_kernels(self) -> None:
        try:
            for session in self.api("api/sessions"):
                self.api(f"api/sessions/{session['id']}", method="DELETE")
        except (urllib.error.URLError, OSError):
            pass

    def stop(self) -> None:
        """Stop the server (it shuts its kernels down); if it hangs, kill its process group."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)  # its own session (start_new_session): server and kernels
                self.proc.wait(timeout=5)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_scratch_course(base: Path) -> tuple[Path, Path, Path]:
    """Copy the course into base/course; make a HOME and an exchange. Returns (course, home, exchange)."""
    course = base / "course"
    course.mkdir(parents=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")
    for name in COURSE_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, course / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, course / name)
        else:
            raise LabError(f"the course has no {name} to copy into the scratch course")
    home = base / "home"
    home.mkdir()
    # The exchange a JupyterHub administrator would create: world-writable, as nbgrader wants.
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    return course, home, exchange


def lab_env(course: Path, home: Path, exchange: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER", "IPYTHON"))}
    for var in ("COURSE_DB_URL", "MPLBACKEND", "PYTHONPATH", "COURSE_REQUIRE_CUDA"):
        # MPLBACKEND=Agg (set for the test process) would stop plots showing inline.
        env.pop(var, None)
    bindir = str(Path(sys.executable).parent)
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local" / "share" / "jupyter" / "runtime"),
        IPYTHONDIR=str(home / ".ipython"),
        NBGRADER_EXCHANGE=str(exchange),
        PATH=os.pathsep.join([bindir, env.get("PATH", "")]),
        PYTHONUNBUFFERED="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    # No news or update prompts over the notebook in screenshots.
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    return env


def start_lab(base: Path, startup_s: float = 120, lang: str = "en") -> LabServer:
    """Start JupyterLab the way `make lab` does (``COURSE_LANG=lang``), on a scratch course, a free port and a token."""
    start = time.perf_counter()
    course, home, exchange = make_scratch_course(base)
    env = lab_env(course, home, exchange)
    env["COURSE_LANG"] = lang
    log_path = base / "jupyterlab.log"
    token = secrets.token_hex(16)
    last = ""
    for _attempt in range(3):  # a port taken between free_port() and the bind: try another
        port = free_port()
        cmd = [
            sys.executable, "-m", "jupyterlab",
            f"--config={course / 'jupyter_lab_config.py'}",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # containers and CI often run as root
        log = open(log_path, "ab")  # noqa: SIM115 - the server writes to it until it stops
        proc = subprocess.Popen(cmd, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        server = LabServer(course, home, exchange, env, port, token, proc, log_path)
        deadline = time.monotonic() + startup_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                server.api("api/status")
                server.timings["server start"] = time.perf_counter() - start
                return server
            except (urllib.error.URLError, ConnectionError, OSError, json.JSONDecodeError):
                time.sleep(0.3)
        else:
            server.stop()
            raise LabError(
                f"JupyterLab did not answer on 127.0.0.1:{port} within {startup_s:.0f} s; "
                f"last log line: {one_line(server.log_tail(1))}"
            )
        last = server.log_tail(40)
        if not re.search(r"already in use|not available", last):
            break
    errors = [ln for ln in last.splitlines() if re.search(r"\[C |\[E |Error|error", ln)]
    raise LabError(
        f"JupyterLab exited at start (exit {proc.returncode}): {one_line((errors or [last or 'no output'])[-1])}"
    )


# --------------------------------------------------------------------------------------------
# the browser


def find_chromium() -> str:
    wanted = os.environ.get("COURSE_CHROMIUM")
    for candidate in [wanted] if wanted else CHROMIUM_CANDIDATES:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.access(path, os.X_OK):
            return path
    if wanted:
        raise LabError(f"COURSE_CHROMIUM={wanted} is not an executable")
    raise LabError(
        "no Chromium found (/usr/bin/chromium): run `make system-deps` (Debian's chromium) or set COURSE_CHROMIUM"
    )


def launch_chromium(playwright: Any) -> Any:
    path = find_chromium()
    try:
        return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS, timeout=60_000)
    except Exception as err:  # playwright raises its own Error types
        raise LabError(f"Chromium ({path}) could not start: {launch_error(str(err))}") from None


def launch_error(text: str) -> str:
    """Playwright's first line, plus the browser's own complaint from its log when there is one."""
    lines = text.splitlines() or ["no message"]
    said = [
        ln.strip()
        for ln in lines[1:]
        if re.search(r"error|cannot|no such|not found|exit", ln, re.I) and "<launching>" not in ln
    ]
    return one_line(lines[0] + (f"; {said[0]}" if said else ""))


# --------------------------------------------------------------------------------------------
# JupyterLab in the page


def goto_lab(page: Any, server: LabServer, workspace: str, path: str | None = None) -> None:
    """Open JupyterLab in a fresh workspace, optionally on a file (lab/tree/PATH)."""
    ws = re.sub(r"[^A-Za-z0-9_-]", "-", workspace)[:60]
    target = f"lab/workspaces/{ws}" + (f"/tree/{path}" if path else "")
    page.goto(server.url(target, reset=""))
    page.locator("#jp-main-dock-panel").wait_for(timeout=60_000)


def active_notebook(page: Any) -> Any:
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def open_notebook(page: Any, server: LabServer, path: str, workspace: str) -> Any:
    goto_lab(page, server, workspace, path)
    panel = active_notebook(page)
    panel.locator(".jp-Cell").first.wait_for(timeout=60_000)
    return panel


def expect(target: Any) -> Any:
    """Playwright's auto-waiting assertions (imported here, so a missing Playwright fails in the fixture)."""
    from playwright.sync_api import expect as _expect

    return _expect(target)


def wait_kernel_idle(page: Any, timeout_ms: int = KERNEL_START_MS, steady_ms: int = 1000, idle: str = "Idle") -> None:
    """Wait until the status bar has said the kernel is Idle for steady_ms, or a dialog asks something.

    A kernel that just started goes idle, busy (answering JupyterLab's first requests), idle;
    a dialog (such as "Select Kernel") ends the wait at once, so the caller can say which.
    """
    page.evaluate("() => { window.__courseIdleSince = null; }")
    page.wait_for_function(
        """([steady, idle]) => {
            if (document.querySelector('.jp-Dialog')) return true;
            const bar = document.querySelector('#jp-main-statusbar');
            if (!bar || !new RegExp('\\|\\s*' + idle).test(bar.innerText)) { window.__courseIdleSince = null; return false; }
            window.__courseIdleSince = window.__courseIdleSince || Date.now();
            return Date.now() - window.__courseIdleSince >= steady;
        }""",
        arg=[steady_ms, idle],
        timeout=timeout_ms,
        polling=200,
    )


def dialogs(page: Any) -> list[str]:
    """The titles of the dialogs now open."""
    return [t.strip() for t in page.locator(".jp-Dialog .jp-Dialog-header").all_inner_texts()]


def menu(page: Any, menu_label: str, item_label: str) -> None:
    """Click a main-menu entry by what the user reads: the menu's label, then the item's."""
    exact = lambda text: re.compile(f"^{re.escape(text)}$")  # noqa: E731
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=exact(menu_label)).click()
    page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=exact(item_label)).first.click()


def wait_run_finished(page: Any, timeout_ms: int = RUN_MS, idle: str = "Idle") -> None:
    """After Run All: wait until some cell ran, none is queued or running, and the kernel is idle."""
    page.wait_for_function(
        """(idle) => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            const bar = document.querySelector('#jp-main-statusbar');
            if (!panel || !bar || !new RegExp('\\|\\s*' + idle).test(bar.innerText)) return false;
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
            return prompts.some(p => /\\[\\d+\\]/.test(p)) && !prompts.some(p => p.includes('*'));
        }""",
        arg=idle,
        timeout=timeout_ms,
        polling=500,
    )


def run_all(page: Any, timeout_ms: int = RUN_MS, labels: tuple[str, str, str] = ("Run", "Run All Cells", "Idle")) -> float:
    """Run ▸ Run All Cells, by the menu's words (``labels``: the menu, the item, the kernel's idle state)."""
    start = time.perf_counter()
    menu(page, labels[0], labels[1])
    # the first cell must start before "nothing is running" means "finished"
    page.wait_for_timeout(500)
    wait_run_finished(page, timeout_ms, idle=labels[2])
    return time.perf_counter() - start


def error_outputs(panel: Any) -> list[str]:
    return panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_text_contents()


def validate(page: Any, timeout_ms: int = VALIDATE_MS) -> tuple[bool, str, float]:
    """Press the notebook toolbar's Validate; return (success, the dialog's text, seconds)."""
    start = time.perf_counter()
    button = active_notebook(page).locator("jp-button.validate-button")
    button.click()
    dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog")
    dialog.first.wait_for(timeout=timeout_ms)
    seconds = time.perf_counter() - start
    ok = page.locator(".nbgrader-SuccessDialog").count() > 0
    return ok, dialog.first.inner_text(), seconds


def images_rendered(panel: Any) -> list[dict[str, Any]]:
    """Every image output in the notebook: its size once decoded (0 if it failed to load)."""
    return panel.locator(".jp-OutputArea-output img").evaluate_all(
        "imgs => imgs.map(i => ({w: i.naturalWidth, h: i.naturalHeight, complete: i.complete, src: i.src.slice(0, 30)}))"
    )


# --------------------------------------------------------------------------------------------
# notebooks on disk


def solved_copy(release_nb: Path, source_nb: Path, dest: Path) -> Path:
    """The released notebook with every solution cell replaced by the source's: a student's correct work."""
    import nbformat

    src = nbformat.read(str(source_nb), as_version=4)
    rel = nbformat.read(str(release_nb), as_version=4)
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in src.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    filled = 0
    for cell in rel.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in solutions:
            cell.source = solutions[meta["grade_id"]]
            filled += 1
    if not filled:
        raise AssertionError(f"{release_nb} has no solution cells to fill from {source_nb}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(rel, str(dest))
    return dest


def graded_cells(path: Path) -> int:
    """How many graded (test) cells a notebook has."""
    nb = json.loads(path.read_text())
    return sum(
        1 for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c["cell_type"] == "code"
    )
