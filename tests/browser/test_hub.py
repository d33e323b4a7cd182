"""A whole assignment cycle on a real JupyterHub started by `course hub up`, in a real browser.

The hub runs as `make hub` runs it (as root): real Unix accounts with PAM passwords, the proxy
from npm, a shared exchange, per-role Jupyter configuration. Everything of this test is its
own: a free port, a hub folder, exchange and data folder under a fresh temporary folder, and
accounts with names no one else has (``hbt<hex>...``). A finalizer stops the hub, ends what
the test's accounts still run, deletes the accounts (``userdel -r``) and the folders, also
when the test fails.

The cycle: the instructor logs in with the printed password and releases 01_tensors from
Formgrader; two students fetch it in the Assignments tab, one solves all of it and one part
(their solution cells written through the Jupyter contents API with their own session),
both press Validate and submit; the instructor collects, runs `course autograde` as their own
(unprivileged) account and releases feedback; each student fetches feedback and reads their
own score. A student's kernel cannot read another student's files, the course's source/ or
the gradebook; a student of a second course on the same hub does not see the first course's
assignment; a wrong password does not log in.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from course.hub import user_exists

from .conftest import FAILED, TIMINGS, VIEWPORT, cannot_run
from .lab import ROOT, expect, free_port, menu, one_line, validate

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

ASSIGNMENT = "01_tensors"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SPAWN_MS = 240_000  # a user's server starting on two busy cores


@dataclass
class Account:
    name: str
    password: str = ""


@dataclass
class Hub:
    base: Path  # everything of this hub on disk: hub folder, exchange, data, rosters
    env: dict[str, str]
    url: str
    course_a: str
    course_b: str
    instructor: Account
    students: list[Account]  # course A
    other: Account  # a student of course B
    instructor_b: Account
    seconds_up: list[float] = field(default_factory=list)

    @property
    def accounts(self) -> list[Account]:
        return [self.instructor, *self.students, self.other, self.instructor_b]

    def course_copy(self) -> Path:
        return Path(pwd.getpwnam(self.instructor.name).pw_dir) / self.course_a

    def log_tail(self, lines: int = 5) -> str:
        try:
            return "\n".join((self.base / "hub" / "jupyterhub.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def hub_command(self, *args: str, timeout: float = 420) -> str:
        cmd = [sys.executable, "-m", "course.grading.cli", "--root", str(ROOT), "hub", *args]
        out = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise AssertionError(
                f"`course hub {' '.join(args)}` failed (exit {out.returncode}): "
                f"{one_line(out.stdout + out.stderr, 600)}"
            )
        return out.stdout

    def up(self, course_id: str, roster: Path, instructor: str) -> dict[str, str]:
        """`course hub up` for one course; return the passwords it printed."""
        port = self.url.rsplit(":", 1)[1]
        start = time.perf_counter()
        text = self.hub_command(
            "up", "--course-id", course_id, "--roster", str(roster), "--instructor", instructor, "--port", port
        )
        self.seconds_up.append(time.perf_counter() - start)
        assert f"is on the hub at {self.url}" in text, text
        return dict(re.findall(r"^\s+(\S+)\s+password: (\S+)$", text, re.M))

    def as_instructor(self, *cmd: str, timeout: float = 600) -> str:
        """Run a command as the instructor (an ordinary user) in their copy of the course."""
        user = pwd.getpwnam(self.instructor.name)
        env = {
            "HOME": user.pw_dir,
            "USER": user.pw_name,
            "LOGNAME": user.pw_name,
            "LANG": "C.UTF-8",
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "COURSE_ID": self.course_a,
            "COURSE_DATA_DIR": self.env["COURSE_HUB_DATA"],
            "NBGRADER_EXCHANGE": self.env["COURSE_HUB_EXCHANGE"],
        }
        if os.environ.get("PYTHONPATH"):
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]  # the `course` package under test
        start = time.perf_counter()
        out = subprocess.run(
            list(cmd),
            cwd=self.course_copy(),
            env=env,
            user=user.pw_uid,
            group=user.pw_gid,
            extra_groups=[],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        TIMINGS[f"hub: {' '.join(cmd[:2])}"] = time.perf_counter() - start
        text = out.stdout + out.stderr
        if out.returncode != 0:
            tail = "\n".join(text.strip().splitlines()[-15:])
            raise AssertionError(f"`{' '.join(cmd)}` as {user.pw_name} failed (exit {out.returncode}):\n{tail}")
        return text


def _processes_of(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _remove_account(name: str) -> None:
    """End what the account still runs (by pid; it is this test's own account) and delete it."""
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _processes_of(uid):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + 5
        while _processes_of(uid) and time.monotonic() < deadline:
            time.sleep(0.2)
    subprocess.run(["userdel", "-r", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)  # in case userdel left the user's group


def _roster(path: Path, names: list[str]) -> Path:
    path.write_text("id,first_name,last_name\n" + "".join(f"{n},Test,{n.title()}\n" for n in names))
    return path


@pytest.fixture(scope="module")
def hub(request: pytest.FixtureRequest, artifacts: Path) -> Iterator[Hub]:
    if os.geteuid() != 0:
        cannot_run("the hub test creates Unix accounts and starts JupyterHub: run it as root (CI does)")
    for tool in ("useradd", "userdel", "chpasswd", "npm"):
        if not shutil.which(tool):
            cannot_run(f"`{tool}` is not installed (make system-deps)")
    tag = secrets.token_hex(3)
    base = Path(tempfile.mkdtemp(prefix=f"course-hub-test-{tag}-"))
    base.chmod(0o755)  # users' servers reach the exchange and the data below it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER", "COURSE_"))}
    env.update(
        COURSE_HUB_DIR=str(base / "hub"),
        COURSE_HUB_EXCHANGE=str(base / "exchange"),
        COURSE_HUB_DATA=str(base / "data"),
        PYTHONUNBUFFERED="1",
    )
    h = Hub(
        base,
        env,
        f"http://127.0.0.1:{free_port()}",
        f"hubtest-a-{tag}",
        f"hubtest-b-{tag}",
        Account(f"hbt{tag}i"),
        [Account(f"hbt{tag}s1"), Account(f"hbt{tag}s2")],
        Account(f"hbt{tag}s3"),
        Account(f"hbt{tag}j"),
    )

    def clean() -> None:
        try:
            h.hub_command("down", timeout=120)
        except (AssertionError, subprocess.TimeoutExpired):
            pass
        if (base / "hub" / "jupyterhub.log").is_file():
            shutil.copy(base / "hub" / "jupyterhub.log", artifacts / "jupyterhub.log")
        for account in h.accounts:
            _remove_account(account.name)
        shutil.rmtree(base, ignore_errors=True)
        # The timings next to the other browser tests' (tests/browser/conftest.py writes them too).
        path = artifacts / "timings.json"
        try:
            known = json.loads(path.read_text())
        except (OSError, ValueError):
            known = {}
        known.update({k: round(v, 1) for k, v in TIMINGS.items() if k.startswith("hub")})
        path.write_text(json.dumps(known, indent=2) + "\n")
        left = [a.name for a in h.accounts if user_exists(a.name)]
        assert not left, f"accounts left behind: {left}"

    request.addfinalizer(clean)
    # The course data, generated once for the session (tests/conftest.py): `course hub up` shares
    # a generated folder as it is instead of generating it again.
    from course import paths

    shutil.copytree(paths.data_dir(), base / "data", ignore=shutil.ignore_patterns(".lock", "*.tmp"))
    (base / "data" / ".complete").write_text("")
    try:
        passwords = h.up(h.course_a, _roster(base / "a.csv", [s.name for s in h.students]), h.instructor.name)
        passwords |= h.up(h.course_b, _roster(base / "b.csv", [h.other.name]), h.instructor_b.name)
    except (AssertionError, subprocess.TimeoutExpired) as err:
        pytest.fail(f"the hub did not come up: {one_line(err, 600)}; its log ends: {one_line(h.log_tail(3))}")
    for account in h.accounts:
        account.password = passwords.get(account.name, "")
        assert account.password, f"`course hub up` printed no password for {account.name}"
    TIMINGS["hub: course hub up (first course, until it answers)"] = h.seconds_up[0]
    TIMINGS["hub: course hub up (second course: restart)"] = h.seconds_up[1]
    yield h




# --------------------------------------------------------------------------------------------
# the browser on the hub


@pytest.fixture
def new_page(chromium: Any, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[], Any]]:
    """new_page() opens a page with its own cookies (one user); all are closed afterwards, and on
    a failure each page's last state is saved as artifacts/browser/hub-FAILED-N.png."""
    contexts: list[Any] = []

    def make() -> Any:
        context = chromium.new_context(viewport=VIEWPORT)
        context.set_default_timeout(120_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for n, context in enumerate(contexts):
        if request.node.stash.get(FAILED, False):
            for page in context.pages:
                try:
                    page.screenshot(path=str(artifacts / f"hub-FAILED-{n}.png"))
                except Exception:  # noqa: BLE001 - a failed screenshot must not hide the failure
                    pass
        context.close()


def submit_login(page: Any, hub: Hub, account: Account, password: str | None = None) -> None:
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", account.name)
    page.fill("#password_input", account.password if password is None else password)
    page.click("#login_submit")


def wait_lab(page: Any, hub: Hub, account: Account) -> None:
    """After a login: the hub spawns the user's server and JupyterLab opens on it."""
    page.wait_for_url(re.compile(rf"/user/{account.name}/lab"), timeout=SPAWN_MS)
    page.locator("#jp-main-dock-panel").wait_for(timeout=SPAWN_MS)


def user_url(hub: Hub, account: Account, path: str) -> str:
    return f"{hub.url}/user/{account.name}/{path.lstrip('/')}"


def xsrf(page: Any) -> str:
    return next(
        (c["value"] for c in page.context.cookies() if c["name"] == "_xsrf" and c["path"].startswith("/user/")), ""
    )


def contents(page: Any, hub: Hub, account: Account, path: str, model: dict | None = None) -> dict:
    """GET (or PUT, with a model) through the Jupyter contents API, with the user's own session."""
    url = user_url(hub, account, f"api/contents/{path}")
    if model is None:
        resp = page.request.get(url + "?content=1")
    else:
        resp = page.request.put(
            url, data=json.dumps(model), headers={"X-XSRFToken": xsrf(page), "Content-Type": "application/json"}
        )
    assert resp.ok, f"contents API {'PUT' if model else 'GET'} {path}: {resp.status} {resp.text()[:200]}"
    return resp.json()


RUN_IN_KERNEL = """async ([base, code]) => {
    const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]+)/) || [])[1] || "";
    const headers = {"X-XSRFToken": decodeURIComponent(xsrf), "Content-Type": "application/json"};
    const kernel = await (await fetch(base + "api/kernels", {method: "POST", headers, body: "{}"})).json();
    const ws = new WebSocket(base.replace(/^http/, "ws") + "api/kernels/" + kernel.id + "/channels");
    const msgId = crypto.randomUUID();
    const out = await new Promise((resolve, reject) => {
        let text = "";
        const timer = setTimeout(() => reject(new Error("no answer from the kernel: " + text)), 120000);
        ws.onerror = () => reject(new Error("the kernel's websocket failed"));
        ws.onopen = () => ws.send(JSON.stringify({
            header: {msg_id: msgId, username: "", session: crypto.randomUUID(), msg_type: "execute_request",
                     version: "5.3", date: new Date().toISOString()},
            parent_header: {}, metadata: {}, channel: "shell", buffers: [],
            content: {code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false,
                      stop_on_error: true},
        }));
        ws.onmessage = (event) => {
            const msg = JSON.parse(event.data);
            if (msg.parent_header.msg_id !== msgId) return;
            if (msg.msg_type === "stream") text += msg.content.text;
            if (msg.msg_type === "error") text += msg.content.ename + ": " + msg.content.evalue;
            if (msg.msg_type === "status" && msg.content.execution_state === "idle") { clearTimeout(timer); resolve(text); }
        };
    });
    ws.close();
    await fetch(base + "api/kernels/" + kernel.id, {method: "DELETE", headers});
    return out;
}"""

PROBE = """
import json, os
out = {}
for path in %r:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").read(1)
        out[path] = "read"
    except OSError as err:
        out[path] = type(err).__name__
print(json.dumps(out))
"""


def run_in_kernel(page: Any, hub: Hub, account: Account, code: str) -> str:
    return page.evaluate(RUN_IN_KERNEL, [user_url(hub, account, ""), code])


def open_assignments_tab(page: Any) -> None:
    """Open (or bring back) the Assignments tab and reload its lists: it does not reload by itself."""
    menu(page, "Nbgrader", "Assignment List")
    page.locator("#released_assignments_list").wait_for()
    page.locator("#refresh_assignments_list").click()


def rows(page: Any, which: str) -> Any:
    expect(page.locator(f"#{which}_assignments_list_loading")).to_be_hidden(timeout=60_000)
    return page.locator(f"#{which}_assignments_list > .list_item")


def fill_solutions(nb: dict, source: dict, keep: int | None = None) -> int:
    """Write the reference's solution cells into a fetched notebook (the first `keep` only)."""
    solutions = {
        c["metadata"]["nbgrader"]["grade_id"]: c["source"]
        for c in source["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    filled = 0
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in solutions and (keep is None or filled < keep):
            cell["source"] = solutions[meta["grade_id"]]
            filled += 1
    return filled


def formgrader_success(frame: Any, timeout_ms: int = 120_000) -> None:
    """Formgrader's answer to a button: a success dialog (closed here), or fail with its error."""
    modal = frame.locator("#success-modal, #error-modal")
    expect(modal.first).to_be_visible(timeout=timeout_ms)
    title = modal.first.locator(".modal-title").inner_text()
    assert title.strip() == "Success", f"Formgrader: {one_line(modal.first.inner_text(), 600)}"
    modal.first.locator(".modal-footer button", has_text="OK").click()
    expect(frame.locator("#success-modal")).to_have_count(0)


def gradebook_score(hub: Hub, student: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course_copy() / 'gradebook.db'}", hub.course_a) as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        return float(sub.score), float(sub.max_score)


# --------------------------------------------------------------------------------------------


def test_hub_assignment_cycle(hub: Hub, new_page: Callable[[], Any], artifacts: Path) -> None:
    inst, (full, part), other = hub.instructor, hub.students, hub.other
    shots = iter(range(1, 100))

    def shot(page: Any, step: str) -> None:
        page.screenshot(path=str(artifacts / f"hub-{next(shots):02d}-{step}.png"))

    # A wrong password does not log in: the login page again, with an error.
    page = new_page()
    submit_login(page, hub, full, password=full.password + "x")
    expect(page.locator(".login_error")).to_be_visible()
    assert "/hub/login" in page.url and f"/user/{full.name}" not in page.url
    shot(page, "wrong-password")

    # Everyone logs in with their password; the hub spawns their servers side by side.
    start = time.perf_counter()
    pages = {}
    for account in (inst, full, part, other):
        pages[account.name] = new_page()
        submit_login(pages[account.name], hub, account)
    for account in (inst, full, part, other):
        wait_lab(pages[account.name], hub, account)
    TIMINGS["hub: four logins until JupyterLab opens"] = time.perf_counter() - start
    # Formgrader is the instructor's alone: a student's server does not serve it.
    for account in (full, other):
        resp = pages[account.name].request.get(user_url(hub, account, "formgrader/api/assignments"))
        assert resp.status == 404, f"{account.name}'s server answers Formgrader's API: {resp.status}"

    # The instructor: Formgrader lists the course's assignments; generate and release 01_tensors.
    ipage = pages[inst.name]
    menu(ipage, "Nbgrader", "Formgrader")
    frame = ipage.frame_locator("#jp-main-dock-panel iframe")
    expect(frame.locator("#main-table td.name").first).to_be_visible(timeout=120_000)
    names = [n.strip() for n in frame.locator("#main-table td.name").all_inner_texts()]
    assert ASSIGNMENT in names, f"Formgrader lists {names}"
    row = frame.locator("#main-table tr").filter(has=frame.locator("td.name", has_text=ASSIGNMENT))
    shot(ipage, "formgrader")
    row.locator("td.assign a").click()  # Generate: the student version, and the gradebook's record
    formgrader_success(frame, timeout_ms=240_000)
    row = frame.locator("#main-table tr").filter(has=frame.locator("td.name", has_text=ASSIGNMENT))
    row.locator("td.release a").click()
    formgrader_success(frame)
    expect(row.locator("td.status")).to_have_text("released")
    shot(ipage, "formgrader-released")
    exchange = Path(hub.env["COURSE_HUB_EXCHANGE"]) / hub.course_a
    assert (exchange / "outbound" / ASSIGNMENT / NOTEBOOK).is_file()

    # A student of the other course does not see it.
    opage = pages[other.name]
    open_assignments_tab(opage)
    expect(rows(opage, "released")).to_have_count(0)
    expect(opage.locator("#released_assignments_list")).not_to_contain_text(ASSIGNMENT)
    shot(opage, "other-course-student")

    # No pop-up over the notebook asking to fetch JupyterLab's news (news_url is off on the hub).
    expect(opage.get_by_text("notified about official Jupyter news")).to_have_count(0)

    # The two students fetch it, solve all of it / part of it, validate and submit.
    source = json.loads((ROOT / "source" / ASSIGNMENT / NOTEBOOK).read_text())
    path = f"{hub.course_a}/{ASSIGNMENT}/{NOTEBOOK}"
    for account, keep in ((full, None), (part, 2)):
        page = pages[account.name]
        open_assignments_tab(page)
        released = rows(page, "released")
        expect(released).to_have_count(1)
        expect(released.first.locator(".item_name")).to_have_text(ASSIGNMENT)
        expect(released.first.locator(".item_course")).to_have_text(hub.course_a)
        released.first.locator(".item_status button", has_text="Fetch").click()
        expect(rows(page, "fetched")).to_have_count(1)
        shot(page, f"{account.name}-fetched")

        model = contents(page, hub, account, path)
        nb = model["content"]
        filled = fill_solutions(nb, source, keep)
        assert filled >= 2, f"the fetched notebook has {filled} solution cells to fill"
        contents(page, hub, account, path, {"type": "notebook", "format": "json", "content": nb})

        page.goto(user_url(hub, account, f"lab/workspaces/{account.name}/tree/{path}") + "?reset")
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.wait_for(timeout=120_000)
        ok, text, seconds = validate(page)
        TIMINGS[f"hub: validate ({'all' if keep is None else 'part'})"] = seconds
        shot(page, f"{account.name}-validated")
        assert ok is (keep is None), f"Validate for {account.name} said: {one_line(text)}"
        page.keyboard.press("Escape")

        open_assignments_tab(page)
        fetched = rows(page, "fetched")
        fetched.first.locator(".item_status button", has_text="Submit").click()
        expect(rows(page, "submitted")).to_have_count(1)
        shot(page, f"{account.name}-submitted")

    # From a student's kernel: another student's files, the course's source/, the gradebook.
    course_copy = hub.course_copy()
    targets = [
        f"/home/{full.name}",
        f"/home/{full.name}/{path}",
        str(course_copy / "source" / ASSIGNMENT / NOTEBOOK),
        str(course_copy / "gradebook.db"),
        str(exchange / "inbound"),
    ]
    seen = json.loads(run_in_kernel(pages[part.name], hub, part, PROBE % (targets,)).strip().splitlines()[-1])
    assert seen == {t: "PermissionError" for t in targets}, seen
    own = json.loads(
        run_in_kernel(pages[part.name], hub, part, PROBE % ([f"/home/{part.name}/{path}"],)).splitlines()[-1]
    )
    assert own == {f"/home/{part.name}/{path}": "read"}, own  # the probe can read what is theirs

    # The instructor collects, autogrades as themselves (sandboxed), releases feedback.
    hub.as_instructor("nbgrader", "collect", ASSIGNMENT)
    graded = hub.as_instructor("course", "autograde", ASSIGNMENT)
    assert "sandboxed grading (bubblewrap)" in graded, graded
    assert "autograded 2 of 2 submission(s)" in graded, graded
    hub.as_instructor("course", "feedback", ASSIGNMENT)
    hub.as_instructor("nbgrader", "release_feedback", ASSIGNMENT)
    scores = {a.name: gradebook_score(hub, a.name) for a in (full, part)}
    top = scores[full.name][1]
    assert top > 0 and scores[full.name] == (top, top), scores
    assert scores[part.name][1] == top and 0 < scores[part.name][0] < top, scores

    # Each student fetches feedback and reads their own score.
    for account in (full, part):
        page = pages[account.name]
        open_assignments_tab(page)
        submitted = rows(page, "submitted")
        expect(submitted.first).to_contain_text("feedback available to fetch", timeout=60_000)
        submitted.first.locator(".item_status button", has_text="Fetch Feedback").click()
        expect(page.locator("#submitted_assignments_list")).to_contain_text("view feedback")
        listing = contents(page, hub, account, f"{hub.course_a}/{ASSIGNMENT}/feedback")["content"]
        assert len(listing) == 1, listing
        html = contents(page, hub, account, f"{listing[0]['path']}/{ASSIGNMENT}.html")["content"]
        shown = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", html)
        assert shown and (float(shown[1]), float(shown[2])) == scores[account.name], (account.name, shown and shown[0])
        page.goto(user_url(hub, account, f"files/{listing[0]['path']}/{ASSIGNMENT}.html"))
        expect(page.locator("body")).to_contain_text(ASSIGNMENT)
        shot(page, f"{account.name}-feedback")
