"""`course hub up | down | status`: the course on a JupyterHub for a class, on one Linux machine.

``course hub up`` (as root; ``make hub``) stands up:

- **the hub**: JupyterHub from PyPI with its proxy, ``configurable-http-proxy`` from npm
  (installed into the hub's folder on first use), at http://127.0.0.1:8000 by default;
- **real accounts**: a Unix account for the instructor and for every student of the roster
  CSV (``course.grading.roster`` columns). Passwords are checked for real, through PAM. New
  accounts get a random password, printed once (and kept, root-only, in the hub folder);
  existing accounts keep theirs. With no roster, a demo class of one instructor and three
  students is used;
- **shared folders**: nbgrader's exchange (``/srv/nbgrader/exchange``, mode 777 as nbgrader
  wants) and the course data, generated once and shared read-only (``/srv/course-data``);
- **students' servers**: the course environment, JupyterLab with the Assignments tab and
  Validate; no Formgrader;
- **the instructor's server**: JupyterLab on their own copy of the course
  (``~INSTRUCTOR/COURSE_ID/``), with Formgrader. Grading runs as the instructor, an ordinary
  user, sandboxed through user namespaces (``course doctor`` says so);
- **several courses on one hub** (nbgrader#1316): each ``course hub up --course-id ID`` adds a
  course with its own instructor and roster. JupyterHub groups ``nbgrader-ID`` (its students
  and instructor) and ``formgrade-ID`` (its instructor) and nbgrader's JupyterHubAuthPlugin let
  students see only their courses in the Assignments tab, and each instructor grade only theirs.

``course hub down`` stops the hub (and its users' servers) and leaves accounts and files in
place. Where things live: ``COURSE_HUB_DIR`` (default ``/srv/course-hub``),
``COURSE_HUB_EXCHANGE``, ``COURSE_HUB_DATA``.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from course.grading.coursedir import CourseError

CHP_VERSION = "5.3.0"
DEMO_INSTRUCTOR = "instructor"
DEMO_STUDENTS = ("student1", "student2", "student3")
COURSE_FILES = ("nbgrader_config.py", "source", "release", "notebooks", "locale", "AUTHORING.md", "README.md", "README.zh-CN.md", "LICENSE")


def hub_dir() -> Path:
    return Path(os.environ.get("COURSE_HUB_DIR", "/srv/course-hub"))


def exchange_dir() -> Path:
    return Path(os.environ.get("COURSE_HUB_EXCHANGE", "/srv/nbgrader/exchange"))


def data_dir() -> Path:
    return Path(os.environ.get("COURSE_HUB_DATA", "/srv/course-data"))


@dataclass
class Course:
    id: str
    instructor: str
    students: list[str]
    repo: str


@dataclass
class Hub:
    url: str
    courses: dict[str, Course] = field(default_factory=dict)
    new_passwords: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


# --- accounts ---------------------------------------------------------------------------------


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise CourseError(f"{' '.join(cmd[:2])} failed: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
    return proc


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def ensure_account(name: str, passwords: dict[str, str]) -> str | None:
    """Create the Unix account with a random password; return the password if it was created."""
    if user_exists(name):
        return None
    _run(["useradd", "--create-home", "--shell", "/bin/bash", name])
    password = secrets.token_urlsafe(9)
    _run(["chpasswd"], input=f"{name}:{password}\n")
    Path(pwd.getpwnam(name).pw_dir).chmod(0o700)  # other students cannot read it
    passwords[name] = password
    return password


def _load_passwords() -> dict[str, str]:
    path = hub_dir() / "passwords.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _save_passwords(passwords: dict[str, str]) -> None:
    path = hub_dir() / "passwords.json"
    path.write_text(json.dumps(passwords, indent=1, sort_keys=True))
    path.chmod(0o600)


# --- shared folders and the environment ---------------------------------------------------------


def reachable_python(say: Callable[[str], None]) -> None:
    """Every user runs the course's Python: each folder above it must let others through (o+x)."""
    targets = {Path(sys.executable), Path(os.path.realpath(sys.executable)), Path(sys.prefix)}
    import course

    targets.add(Path(course.__file__).resolve().parent)
    for target in targets:
        for folder in [*reversed(target.parents)]:
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
                say(f"course hub: made {folder} traversable by other users (o+x): the course's Python lives below it")


def ensure_shared(say: Callable[[str], None]) -> None:
    exchange = exchange_dir()
    exchange.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o777)  # what nbgrader's exchange wants; each course's folder is nbgrader's
    data = data_dir()
    if not (data / ".complete").exists():
        data.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, COURSE_DATA_DIR=str(data))
        _run([sys.executable, "-m", "course.grading.cli", "data"], env=env)
        (data / ".complete").write_text("")
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # read-only for everyone but root
    say(f"course hub: exchange {exchange} (777), course data {data} (read-only)")


def ensure_proxy(say: Callable[[str], None]) -> Path:
    """configurable-http-proxy from npm, in the hub's folder (installed once)."""
    prefix = hub_dir() / "proxy"
    exe = prefix / "node_modules" / ".bin" / "configurable-http-proxy"
    if exe.exists():
        return exe
    npm = shutil.which("npm")
    if npm is None:
        raise CourseError("npm is not installed: `make system-deps` installs Node.js and npm (Debian's nodejs, npm)")
    say(f"course hub: installing configurable-http-proxy {CHP_VERSION} from npm into {prefix}")
    prefix.mkdir(parents=True, exist_ok=True)
    _run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--silent", f"configurable-http-proxy@{CHP_VERSION}"])
    return exe


def course_copy(repo: Path, course_id: str, instructor: str) -> Path:
    """The instructor's own copy of the course files, owned by them."""
    home = Path(pwd.getpwnam(instructor).pw_dir)
    dest = home / course_id
    if not dest.exists():
        dest.mkdir()
        ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        for name in COURSE_FILES:
            src = repo / name
            if src.is_dir():
                shutil.copytree(src, dest / name, ignore=ignore)
            elif src.is_file():
                shutil.copy2(src, dest / name)
        ids = pwd.getpwnam(instructor)
        for path in [dest, *dest.rglob("*")]:
            os.chown(path, ids.pw_uid, ids.pw_gid)
    return dest


# --- configuration --------------------------------------------------------------------------


def write_jupyter_config(root: Path, courses: dict[str, Course] | None = None) -> None:
    """Per-role Jupyter config folders the spawner puts on JUPYTER_CONFIG_PATH, and one per course.

    nbgrader's server extensions (Formgrader among them) read ``nbgrader_config.py`` from the
    server's working directory, and JupyterHub starts every server in the user's home, not in
    the course: each course's folder (``jupyter/course-ID/``) loads the course's own
    ``nbgrader_config.py`` from the instructor's copy, so Formgrader sees the course's
    ``source/``, gradebook and id wherever the server starts.
    """
    common = (
        "c = get_config()  # noqa: F821\n"
        "from nbgrader.auth import JupyterHubAuthPlugin\n\n"
        "# The shared exchange; which courses a user sees comes from the hub's groups\n"
        "# (nbgrader-<course>, formgrade-<course>).\n"
        f"c.Exchange.root = {str(exchange_dir())!r}\n"
        "c.Exchange.path_includes_course = True\n"
        "c.Authenticator.plugin_class = JupyterHubAuthPlugin\n"
    )
    for role in ("student", "instructor"):
        folder = root / "jupyter" / role
        (folder / "labconfig").mkdir(parents=True, exist_ok=True)
        (folder / "nbgrader_config.py").write_text(common)
        disabled = {}
        if role == "student":
            disabled = {f"@jupyter/nbgrader:{x}": True for x in ("formgrader", "create-assignment", "course-list")}
        (folder / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}, indent=1))
        server = {
            "ServerApp": {
                "jpserver_extensions": {"course.lab": True},
                # JupyterHub's servers forbid any framing (frame-ancestors 'none'), which leaves
                # Formgrader, a page JupyterLab shows in a frame of its own, blank: frames of the
                # same server only.
                "tornado_settings": {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}},
            },
        }
        if role == "student":
            server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] = False
        (folder / "jupyter_server_config.json").write_text(json.dumps(server, indent=1))
        # No pop-up asking every user whether to fetch JupyterLab's news from the internet: the
        # setting's default, for everyone on the hub (each user may still change it).
        news = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
        (folder / "labconfig" / "default_setting_overrides.json").write_text(json.dumps(news, indent=1))
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    for course in (courses or {}).values():
        folder = root / "jupyter" / f"course-{course.id}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f"# The course {course.id}: its own settings, from the instructor's copy.\n"
            f"load_subconfig('nbgrader_config.py', path={course.repo!r})  # noqa: F821\n"
        )
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_hub_config(root: Path, courses: dict[str, Course], ip: str, port: int, proxy: Path) -> Path:
    instructors = {c.instructor: c for c in courses.values()}
    users = sorted({c.instructor for c in courses.values()} | {s for c in courses.values() for s in c.students})
    groups = {}
    for c in courses.values():
        groups[f"nbgrader-{c.id}"] = {"users": sorted({c.instructor, *c.students})}
        groups[f"formgrade-{c.id}"] = {"users": [c.instructor]}
    venv_bin = str(Path(sys.executable).parent)
    config = f'''# Written by `course hub up`; changes are overwritten. See course/hub.py.
import os

c = get_config()  # noqa: F821

c.JupyterHub.bind_url = "http://{ip}:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {_free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{_free_port()}"
c.ConfigurableHTTPProxy.command = [{str(proxy)!r}]
c.JupyterHub.db_url = "sqlite:///{root / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = "{root / "cookie_secret"}"
c.JupyterHub.pid_file = "{root / "jupyterhub.pid"}"

# Real accounts, real passwords: PAM checks them against the system's.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {set(users)!r}
c.JupyterHub.load_groups = {groups!r}

# Each user's server runs as that Unix user, in the course environment.
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [{str(Path(venv_bin) / "jupyterhub-singleuser")!r}]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
# The server's token may read the user's own groups: nbgrader's JupyterHubAuthPlugin needs them.
c.Spawner.server_token_scopes = ["inherit"]
c.Spawner.environment = {{
    "PATH": "{venv_bin}:/usr/local/bin:/usr/bin:/bin",
    "COURSE_DATA_DIR": "{data_dir()}",
    "NBGRADER_EXCHANGE": "{exchange_dir()}",
}}
INSTRUCTORS = {{{", ".join(f"{k!r}: ({v.id!r}, {v.repo!r})" for k, v in instructors.items())}}}


def pre_spawn(spawner):
    name = spawner.user.name
    if name in INSTRUCTORS:
        course_id, repo = INSTRUCTORS[name]
        spawner.notebook_dir = repo  # JupyterLab opens on the course (its config comes from the path below)
        spawner.environment["COURSE_ID"] = course_id
        # The course's folder first: nbgrader reads the course's config from there (see course/hub.py).
        spawner.environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            ["{root / "jupyter"}/course-" + course_id, "{root / "jupyter" / "instructor"}"]
        )
    else:
        spawner.notebook_dir = os.path.expanduser("~" + name)
        spawner.environment["JUPYTER_CONFIG_PATH"] = "{root / "jupyter" / "student"}"


c.Spawner.pre_spawn_hook = pre_spawn
'''
    path = root / "jupyterhub_config.py"
    path.write_text(config)
    path.chmod(0o600)
    return path


# --- the hub's life -------------------------------------------------------------------------


def _state() -> dict[str, dict]:
    try:
        return json.loads((hub_dir() / "courses.json").read_text())
    except (OSError, ValueError):
        return {}


def _pid() -> int | None:
    try:
        pid = int((hub_dir() / "jupyterhub.pid").read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/hub/api", timeout=3) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def up(repo: Path, course_id: str = "pytorch-course", roster: Path | None = None, instructor: str | None = None,
       ip: str = "127.0.0.1", port: int = 8000, say: Callable[[str], None] = print) -> Hub:
    """Add (or update) a course on the hub and (re)start the hub; return where it answers."""
    from course.grading.roster import read_roster

    start = time.perf_counter()
    if os.geteuid() != 0:
        raise CourseError("course hub up creates Unix accounts and starts JupyterHub: run it as root (sudo make hub)")
    if not course_id.replace("-", "").replace("_", "").isalnum():
        raise CourseError(f"course id {course_id!r}: use letters, digits, - and _")
    root = hub_dir()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    proxy = ensure_proxy(say)
    reachable_python(say)
    ensure_shared(say)
    passwords = _load_passwords()
    if roster is None:
        teacher, students = instructor or DEMO_INSTRUCTOR, list(DEMO_STUDENTS)
        say("course hub: no roster given: the demo class (one instructor, three students)")
    else:
        teacher = instructor or DEMO_INSTRUCTOR
        students = [r["id"] for r in read_roster(roster)]
    new = {}
    for name in [teacher, *students]:
        pw = ensure_account(name, passwords)
        if pw:
            new[name] = pw
    _save_passwords(passwords)
    state = _state()
    state[course_id] = {"id": course_id, "instructor": teacher, "students": students,
                        "repo": str(course_copy(repo, course_id, teacher))}
    (root / "courses.json").write_text(json.dumps(state, indent=1, sort_keys=True))
    courses = {k: Course(**v) for k, v in state.items()}
    write_jupyter_config(root, courses)
    config = write_hub_config(root, courses, ip, port, proxy)
    if _pid() is not None:
        down(say=lambda _: None)
    log = open(root / "jupyterhub.log", "ab")  # noqa: SIM115 - the hub writes to it while it runs
    subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)], cwd=root,
                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    url = f"http://{ip}:{port}"
    deadline = time.monotonic() + 120
    while not _answers(url):
        if time.monotonic() > deadline:
            tail = (root / "jupyterhub.log").read_text(errors="replace").strip().splitlines()[-3:]
            raise CourseError(f"JupyterHub did not answer at {url} within 120 s; its log ends: {' | '.join(tail)}")
        time.sleep(0.5)
    hub = Hub(url, courses, new, time.perf_counter() - start)
    say(f"course hub: {course_id} is on the hub at {url} (up in {hub.seconds:.0f} s)")
    say(f"  instructor: {teacher} (Formgrader on ~{teacher}/{course_id}); students: {', '.join(students)}")
    for name in [teacher, *students]:
        if roster is None or name in new:
            say(f"  {name:<12} password: {passwords.get(name, '(an existing account: its own password)')}")
    return hub


def down(say: Callable[[str], None] = print) -> bool:
    """Stop the hub and its users' servers; accounts and files stay. Returns whether one ran."""
    pid = _pid()
    if pid is None:
        say("course hub: no hub is running")
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
    say("course hub: stopped (accounts, their files, the exchange and the course copies are left in place)")
    return True
