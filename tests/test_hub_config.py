"""course hub: the JupyterHub and per-role Jupyter configuration it writes (without starting a hub).

Starting the hub itself (Unix accounts, PAM, a proxy from npm) is what `make hub` does; the
browser test of a whole assignment cycle on it is still to come."""

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


def test_two_courses_get_their_own_groups_and_instructors(hub_dirs: Path) -> None:
    courses = {
        "torch-a": hub.Course("torch-a", "alice", ["s1", "s2"], "/home/alice/torch-a"),
        "torch-b": hub.Course("torch-b", "bob", ["s2", "s3"], "/home/bob/torch-b"),
    }
    path = hub.write_hub_config(hub_dirs, courses, "127.0.0.1", 8000, Path("/opt/chp"))
    namespace: dict = {}

    class Config(dict):
        def __getattr__(self, name):
            return self.setdefault(name, Config())

        def __setattr__(self, name, value):
            self[name] = value

    c = Config()
    exec(compile(path.read_text(), str(path), "exec"), {"get_config": lambda: c, **namespace})
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
