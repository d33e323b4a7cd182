"""The Chinese edition in a real browser: `COURSE_LANG=zh_CN make lab` opens JupyterLab in Chinese on
the Chinese welcome notebook; a Chinese lecture and a Chinese assignment show Chinese text, and
the assignment's checks answer in Chinese."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from course import i18n

from .conftest import VIEWPORT, cannot_run
from .lab import ROOT, LabError, LabServer, active_notebook, expect, open_notebook, run_all, start_lab, wait_kernel_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ASSIGNMENT = "01_tensors"
ZH = i18n.translated_assignment(ASSIGNMENT, "zh_CN")
DOCS = ROOT / "docs"
IDLE = "空闲"  # the kernel's "Idle" in the status bar, as the Chinese language pack says it
RUN_ALL = ("运行", "运行所有单元格", IDLE)  # Run ▸ Run All Cells


@pytest.fixture(scope="module")
def zh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    try:
        server = start_lab(tmp_path_factory.mktemp("lab-zh"), lang="zh_CN")
    except LabError as err:
        cannot_run(str(err))
    i18n.build_assignment(ROOT, ASSIGNMENT, "zh_CN", dest_root=server.root)
    server.nbgrader("generate_assignment", ZH, "--force")
    yield server
    server.stop()


@pytest.fixture
def zh_page(chromium: Any, zh_server: LabServer) -> Iterator[Any]:
    context = chromium.new_context(viewport=VIEWPORT, locale="en-US")  # the browser's own language is English
    context.set_default_timeout(60_000)
    page = context.new_page()
    yield page
    context.close()
    zh_server.shutdown_kernels()


def _shot(page: Any, artifacts: Path, name: str, docs: str | None = None) -> None:
    path = artifacts / f"chinese-{name}.png"
    page.screenshot(path=str(path))
    if docs:  # the README.zh-CN.md shows these
        DOCS.mkdir(exist_ok=True)
        shutil.copy(path, DOCS / docs)


def test_chinese_lab_opens_on_the_chinese_welcome_in_a_chinese_interface(zh_page, zh_server, artifacts) -> None:
    zh_page.goto(zh_server.url("", reset=""))
    panel = active_notebook(zh_page)
    panel.locator(".jp-Cell").first.wait_for()
    assert "/lab/tree/notebooks/zh_CN/00_welcome.ipynb" in zh_page.url
    menubar = zh_page.locator("#jp-menu-panel")
    expect(menubar).to_contain_text("文件")  # File
    expect(menubar).to_contain_text("内核")  # Kernel
    expect(panel.locator(".jp-MarkdownCell").first).to_contain_text("欢迎")
    _shot(zh_page, artifacts, "interface", "zh_CN-interface.png")


def test_a_chinese_lecture_runs_and_reads_in_chinese(zh_page, zh_server, artifacts) -> None:
    panel = open_notebook(zh_page, zh_server, "notebooks/zh_CN/01_tensors.ipynb", "zh-lecture")
    wait_kernel_idle(zh_page, idle=IDLE)
    expect(panel.locator(".jp-MarkdownCell h1").first).to_contain_text("张量")
    _shot(zh_page, artifacts, "lecture", "zh_CN-lecture.png")  # its first page, before it runs
    run_all(zh_page, labels=RUN_ALL)
    errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_text_contents()
    assert not errors, errors
    assert panel.locator(".jp-OutputArea-output").count() > 0, "the lecture ran but shows no output"


def test_a_chinese_assignment_answers_in_chinese(zh_page, zh_server, artifacts) -> None:
    release = Path("release") / ZH / f"{ZH}.ipynb"
    panel = open_notebook(zh_page, zh_server, str(release), "zh-assignment")
    wait_kernel_idle(zh_page, idle=IDLE)
    run_all(zh_page, labels=RUN_ALL)
    # the untouched stubs: each test cell says, in Chinese, that the exercise is not done yet
    outputs = panel.locator(".jp-OutputArea-output")
    expect(outputs.filter(has_text="尚未完成").first).to_be_visible()
    texts = " ".join(outputs.all_text_contents())
    assert "Not done yet" not in texts, "an English check message in the Chinese assignment"
    outputs.filter(has_text="尚未完成").first.scroll_into_view_if_needed()
    _shot(zh_page, artifacts, "assignment", "zh_CN-assignment.png")
