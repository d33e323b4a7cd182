"""JupyterLab as the course sets it up, checked without a browser (fast).

The browser tests (tests/browser/) drive the same setup in Chromium; these catch a broken
install or configuration in seconds, with a message that says what to fix.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

NBGRADER_SERVER_EXTENSIONS = ["formgrader", "validate_assignment", "assignment_list", "course_list"]


def jupyter(*args: str) -> str:
    exe = Path(sys.executable).with_name("jupyter")
    out = subprocess.run([str(exe) if exe.exists() else "jupyter", *args], capture_output=True, text=True, timeout=120)
    return re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)


def load_config(path: Path):
    from traitlets.config.loader import PyFileConfigLoader

    cwd = os.getcwd()
    try:
        return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    finally:
        os.chdir(cwd)  # jupyter_lab_config.py moves the server into the course folder


def test_nbgrader_lab_extension_is_enabled_and_compatible() -> None:
    text = jupyter("labextension", "list")
    lines = [ln.strip() for ln in text.splitlines() if "@jupyter/nbgrader" in ln]
    assert lines, f"@jupyter/nbgrader is not installed in JupyterLab:\n{text}"
    assert re.search(r"\benabled\b.*\bOK\b", lines[0]), f"@jupyter/nbgrader is not 'enabled OK': {lines[0]}"


def test_nbgrader_server_extensions_are_enabled() -> None:
    text = jupyter("server", "extension", "list")
    for name in NBGRADER_SERVER_EXTENSIONS:
        ext = f"nbgrader.server_extensions.{name}"
        assert re.search(rf"{re.escape(ext)}\s+enabled", text), f"{ext} is not enabled:\n{text}"
        assert re.search(rf"{re.escape(ext)}\s.*\bOK\b", text), f"{ext} does not validate OK:\n{text}"


def test_lab_config_opens_the_course_on_the_welcome_notebook() -> None:
    cfg = load_config(ROOT / "jupyter_lab_config.py")
    assert Path(cfg.ServerApp.root_dir) == ROOT
    url = cfg.LabApp.default_url
    assert url.startswith("/lab/tree/"), url
    welcome = ROOT / url.removeprefix("/lab/tree/")
    assert welcome.is_file(), f"default_url points at {welcome}, which does not exist"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_uses_the_lab_config() -> None:
    out = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = [ln for ln in out.stdout.splitlines() if "jupyter lab" in ln]
    assert lines, f"`make -n lab` runs no `jupyter lab`:\n{out.stdout}{out.stderr}"
    assert f"--config={ROOT / 'jupyter_lab_config.py'}" in lines[-1].replace('"', ""), lines[-1]


def test_exchange_defaults_to_a_writable_folder_in_the_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Out of the box the exchange is <course>/.exchange, made on first use, writable by its user."""
    monkeypatch.delenv("NBGRADER_EXCHANGE", raising=False)
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    cfg = load_config(tmp_path / "nbgrader_config.py")
    exchange = Path(cfg.Exchange.root)
    assert exchange == tmp_path / ".exchange"
    assert exchange.is_dir() and os.access(exchange, os.W_OK | os.X_OK)
    # what `nbgrader release_assignment` wants, so it neither warns nor needs to chmod
    assert stat.S_IMODE(exchange.stat().st_mode) == 0o777
    assert cfg.Exchange.path_includes_course is True


def test_exchange_follows_nbgrader_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On JupyterHub NBGRADER_EXCHANGE names the shared folder; the course then creates nothing itself."""
    shared = tmp_path / "srv-exchange"
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(shared))
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    cfg = load_config(tmp_path / "nbgrader_config.py")
    assert Path(cfg.Exchange.root) == shared
    assert not (tmp_path / ".exchange").exists() and not shared.exists()
