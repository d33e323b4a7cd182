"""Fixtures for the browser tests: one JupyterLab server and one headless Chromium per session.

The server serves a scratch copy of the course (see lab.py); each test gets a fresh browser
context and a fresh JupyterLab workspace. If Chromium or the server cannot start, every
browser test fails with one line saying why: a browser test never skips.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .lab import ARTIFACTS, LabError, LabServer, launch_chromium, one_line, start_lab

VIEWPORT = {"width": 1400, "height": 900}
TIMINGS: dict[str, float] = {}
FAILED = pytest.StashKey[bool]()
BROKEN: list[str] = []  # why the browser or the server could not start


def cannot_run(reason: str) -> None:
    """Fail (never skip) every browser test with one line; say it once more in the summary."""
    BROKEN.append(reason)
    pytest.fail(f"browser tests cannot run: {reason}", pytrace=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for reason in dict.fromkeys(BROKEN):
        terminalreporter.write_line(f"browser tests cannot run: {reason}", red=True, bold=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[FAILED] = report.failed


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """artifacts/browser/, emptied of the last run's screenshots (ignored by git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium(artifacts: Path) -> Iterator[Any]:
    pw, browser, reason = None, None, ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        reason = f"playwright is not importable ({err}): run `make setup`"
    if not reason:
        try:
            pw = sync_playwright().start()
            browser = launch_chromium(pw)
        except LabError as err:
            reason = str(err)
        except Exception as err:  # noqa: BLE001 - Playwright's driver failing to start
            reason = f"Playwright's driver could not start: {one_line(err)}"
    if reason:
        if pw is not None:
            pw.stop()
        cannot_run(reason)
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[LabServer]:
    reason = ""
    try:
        server = start_lab(tmp_path_factory.mktemp("lab"))
    except LabError as err:
        reason = str(err)
    if reason:
        cannot_run(reason)
    yield server
    server.stop()
    TIMINGS.update(server.timings)  # server start, and the instructor's nbgrader commands
    shutil.copy(server.log_path, artifacts / "jupyterlab.log")
    (artifacts / "timings.json").write_text(json.dumps({k: round(v, 1) for k, v in TIMINGS.items()}, indent=2) + "\n")


@pytest.fixture
def timings() -> dict[str, float]:
    """Seconds taken by named steps; written to artifacts/browser/timings.json at the end."""
    return TIMINGS


@pytest.fixture
def lab_page(chromium: Any, lab_server: LabServer, request: pytest.FixtureRequest, artifacts: Path) -> Iterator[Any]:
    """A fresh page (own cookies, own JupyterLab workspace) in the session's Chromium."""
    if lab_server.proc.poll() is not None:
        cannot_run(f"JupyterLab stopped (exit {lab_server.proc.returncode}): {one_line(lab_server.log_tail(1))}")
    context = chromium.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    page = context.new_page()
    start = time.perf_counter()
    yield page
    TIMINGS[f"test {request.node.name}"] = time.perf_counter() - start
    if request.node.stash.get(FAILED, False):
        try:
            page.screenshot(path=str(artifacts / f"{request.node.name.removeprefix('test_')}-FAILED.png"))
        except Exception:  # noqa: BLE001 - a failed screenshot must not hide the failure
            pass
    context.close()
    lab_server.shutdown_kernels()  # idle kernels hold memory the next test may want


@pytest.fixture
def shot(lab_page: Any, request: pytest.FixtureRequest, artifacts: Path) -> Callable[..., Path]:
    """shot("step") saves artifacts/browser/<test>-NN-step.png of the page (or of a locator)."""
    count = 0
    name = request.node.name.removeprefix("test_")

    def take(step: str, target: Any = None) -> Path:
        nonlocal count
        count += 1
        path = artifacts / f"{name}-{count:02d}-{step}.png"
        (target or lab_page).screenshot(path=str(path))
        return path

    return take
