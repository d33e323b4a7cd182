"""course hub: the JupyterHub and per-role Jupyter configuration it writes (without starting a hub).

Starting the hub itself (Unix accounts, PAM, a proxy from npm) is what `make hub` does;
tests/browser/test_hub.py runs a whole assignment cycle on a real one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course import hub


@pytest.fixture
def hub_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COURSE_HUB_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("COURSE_HUB_EXCHANGE", str(tmp_path / "exchange"))
    monkeypatch.setenv("COURSE_HUB_DATA", str(tmp_path / "data"))
    (tmp_path / "hub").mkdir()
    return tmp_path / "hub"


class Config(dict):
    """Enough of traitlets' config object to run the generated jupyterhub_config.py."""

    def __getattr__(self, name):
        return self.setdefault(name, Config())

    def __setattr__(self, name, value):
        self[name] = value


def load_hub_config(path: Path) -> Config:
    c = Config()
    exec(compile(path.read_text(), str(path), "exec"), {"get_config": lambda: c})
    return c


def test_two_courses_get_their_own_groups_and_instructors(hub_dirs: Path) -> None:
    courses = {
        "torch-a": hub.Course("torch-a", "alice", ["s1", "s2"], "/home/alice/torch-a"),
        "torch-b": hub.Course("torch-b", "bob", ["s2", "s3"], "/home/bob/torch-b"),
    }
    path = hub.write_hub_config(hub_dirs, courses, "127.0.0.1", 8000, Path("/opt/chp"))
    c = load_hub_config(path)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert c.JupyterHub.authenticator_class == "pam"  # real passwords, checked by PAM
    assert c.Authenticator.allowed_users == {"alice", "bob", "s1", "s2", "s3"}
    groups = c.JupyterHub.load_groups
    assert groups["nbgrader-torch-a"]["users"] == ["alice", "s1", "s2"]
    assert groups["nbgrader-torch-b"]["users"] == ["bob", "s2", "s3"]
    assert groups["formgrade-torch-a"]["users"] == ["alice"] and groups["formgrade-torch-b"]["users"] == ["bob"]
    assert c.Spawner.server_token_scopes == ["inherit"]
    assert path.stat().st_mode & 0o077 == 0  # the hub's config is root's alone


def test_students_get_no_formgrader(hub_dirs: Path) -> None:
    hub.write_jupyter_config(hub_dirs)
    student = hub_dirs / "jupyter" / "student"
    server = json.loads((student / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    assert server["nbgrader.server_extensions.formgrader"] is False and server["course.lab"] is True
    page = json.loads((student / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert page["@jupyter/nbgrader:formgrader"] is True and page["@jupyter/nbgrader:create-assignment"] is True
    instructor = json.loads((hub_dirs / "jupyter" / "instructor" / "labconfig" / "page_config.json").read_text())
    assert instructor["disabledExtensions"] == {}
    config = (student / "nbgrader_config.py").read_text()
    assert "JupyterHubAuthPlugin" in config and str(hub.exchange_dir()) in config


def test_up_refuses_without_root(monkeypatch: pytest.MonkeyPatch, hub_dirs: Path) -> None:
    from course.grading.coursedir import CourseError

    monkeypatch.setattr(hub.os, "geteuid", lambda: 1000)
    with pytest.raises(CourseError, match="run it as root"):
        hub.up(Path("."), say=lambda _: None)


def test_formgrader_reads_the_course_config_and_may_be_framed(hub_dirs: Path, tmp_path: Path) -> None:
    """JupyterHub starts servers in the home folder and forbids framing: Formgrader showed nothing."""
    from traitlets.config.loader import PyFileConfigLoader

    repo = tmp_path / "alice" / "torch-a"
    repo.mkdir(parents=True)
    (repo / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = __file__.rsplit('/', 1)[0]\nc.CourseDirectory.course_id = 'torch-a'\n"
    )
    courses = {"torch-a": hub.Course("torch-a", "alice", ["s1"], str(repo))}
    hub.write_jupyter_config(hub_dirs, courses)
    loaded = PyFileConfigLoader("nbgrader_config.py", str(hub_dirs / "jupyter" / "course-torch-a")).load_config()
    assert loaded.CourseDirectory.root == str(repo) and loaded.CourseDirectory.course_id == "torch-a"
    for role in ("student", "instructor"):
        server = json.loads((hub_dirs / "jupyter" / role / "jupyter_server_config.json").read_text())["ServerApp"]
        assert server["tornado_settings"]["headers"]["Content-Security-Policy"] == "frame-ancestors 'self'"
        overrides = json.loads((hub_dirs / "jupyter" / role / "labconfig" / "default_setting_overrides.json").read_text())
        assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"  # no news pop-up

    path = hub.write_hub_config(hub_dirs, courses, "127.0.0.1", 8000, Path("/opt/chp"))
    c = load_hub_config(path)

    class Spawner:
        def __init__(self, name: str) -> None:
            self.user = type("User", (), {"name": name})()
            self.environment: dict = {}

    teacher, student = Spawner("alice"), Spawner("s1")
    c.Spawner.pre_spawn_hook(teacher)
    c.Spawner.pre_spawn_hook(student)
    assert teacher.notebook_dir == str(repo) and teacher.environment["COURSE_ID"] == "torch-a"
    assert teacher.environment["JUPYTER_CONFIG_PATH"].split(":") == [
        str(hub_dirs / "jupyter" / "course-torch-a"),
        str(hub_dirs / "jupyter" / "instructor"),
    ]
    assert student.environment["JUPYTER_CONFIG_PATH"] == str(hub_dirs / "jupyter" / "student")
