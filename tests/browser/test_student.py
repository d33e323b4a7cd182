"""The student's JupyterLab, in a real browser: the welcome page, an assignment, Validate, a lecture."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .lab import (
    ROOT,
    active_notebook,
    dialogs,
    error_outputs,
    expect,
    graded_cells,
    images_rendered,
    open_notebook,
    run_all,
    solved_copy,
    validate,
    wait_kernel_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ASSIGNMENT = "01_tensors"
RELEASED = f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
LECTURE = "notebooks/01_tensors.ipynb"  # the lecture of the same chapter; it draws two figures
KERNEL = "Python 3 (ipykernel)"


def assert_kernel_ready_without_dialog(page: Any) -> None:
    """The notebook's python3 kernelspec starts its kernel: no "Select Kernel" question."""
    wait_kernel_idle(page)
    assert dialogs(page) == [], f"a dialog opened with the notebook: {dialogs(page)}"
    status = page.locator("#jp-main-statusbar").inner_text()
    assert KERNEL in status, f"expected the {KERNEL} kernel in the status bar: {status!r}"


def test_a_notebook_without_kernelspec_would_ask_for_a_kernel(lab_page, lab_server, shot) -> None:
    """The check above has teeth: strip the kernel metadata and JupyterLab asks "Select Kernel"."""
    nb = json.loads((ROOT / RELEASED).read_text())
    nb["metadata"].pop("kernelspec")
    nb["metadata"].pop("language_info", None)  # JupyterLab would pick a kernel by language
    (lab_server.root / "no-kernelspec.ipynb").write_text(json.dumps(nb))
    open_notebook(lab_page, lab_server, "no-kernelspec.ipynb", "no-kernelspec")
    wait_kernel_idle(lab_page)
    assert dialogs(lab_page) == ["Select Kernel"], dialogs(lab_page)
    shot("select-kernel-dialog")


def test_lab_opens_on_the_welcome_notebook(lab_page, lab_server, shot) -> None:
    """`make lab`'s address (/) leads to JupyterLab with the welcome notebook in front, kernel ready."""
    lab_page.goto(lab_server.url("", reset=""))
    panel = active_notebook(lab_page)
    panel.locator(".jp-Cell").first.wait_for()
    assert "/lab/tree/notebooks/00_welcome.ipynb" in lab_page.url
    current = lab_page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").first
    expect(current).to_have_text("00_welcome.ipynb")
    expect(panel.locator(".jp-Cell").first).to_contain_text("Welcome to the PyTorch course")
    assert_kernel_ready_without_dialog(lab_page)
    # Opening it and starting its kernel changed nothing: the notebook is not marked modified.
    lab_page.wait_for_timeout(1000)
    tab = lab_page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current").first
    assert "jp-mod-dirty" not in (tab.get_attribute("class") or ""), "the welcome notebook opened marked as modified"
    # the nbgrader extension is there for the student: its menu and the toolbar's Validate
    assert lab_page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Nbgrader").count() == 1
    assert panel.locator("jp-button.validate-button").count() == 1
    shot("welcome")


def test_released_assignment_stubs_fail_and_validate_says_so(lab_page, lab_server, shot, timings) -> None:
    panel = open_notebook(lab_page, lab_server, RELEASED, "student-release")
    assert_kernel_ready_without_dialog(lab_page)
    shot("opened-kernel-idle")

    timings["run all (release)"] = run_all(lab_page)
    errors = error_outputs(panel)
    assert errors, "Run All on the released notebook showed no error: the stubs should raise NotImplementedError"
    assert "NotImplementedError" in errors[0], f"the first error is not the stub's: {errors[0][-300:]}"
    first_error = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first
    first_error.scroll_into_view_if_needed()
    shot("run-all-notimplemented")

    ok, text, seconds = validate(lab_page)
    timings["validate (release)"] = seconds
    assert not ok, f"Validate passed the unmodified release: {text[:300]}"
    # one summary line, the stubs collapsed into the count (course/lab.py), no stock blocks
    graded = graded_cells(ROOT / RELEASED)
    assert f"Validate: 0/{graded} exercises pass · {graded} not started" in text, text[:500]
    assert "The following cell failed" not in text, f"nbgrader's per-cell blocks are still shown: {text[:300]}"
    assert len(text.splitlines()) < 12, f"Validate's report is long for an untouched notebook: {text[:500]}"
    shot("validate-summary-untouched")


def test_a_failed_check_reads_as_one_block(lab_page, lab_server, shot) -> None:
    """A failed check shows a mark, the message and the learner's line; no checker internals."""
    import nbformat

    nb = nbformat.v4.new_notebook(metadata=json.loads((ROOT / RELEASED).read_text())["metadata"])
    nb.cells = [
        nbformat.v4.new_code_cell("import torch\n\ndef add_batch_dim(x):\n    return x"),
        nbformat.v4.new_code_cell(
            "from course.checks import check_shape\n\n"
            "check_shape(add_batch_dim(torch.ones(3, 4)), (1, 3, 4), name='add_batch_dim(x) for x of shape (3, 4)')"
        ),
        nbformat.v4.new_code_cell("def unfinished(x):\n    raise NotImplementedError()\n\nunfinished(1)"),
    ]
    nb.cells.insert(1, nbformat.v4.new_code_cell("from course.checks import check_shape\n\ncheck_shape(torch.ones(2), (2,))"))
    nbformat.write(nb, str(lab_server.root / "failed-check.ipynb"))
    panel = open_notebook(lab_page, lab_server, "failed-check.ipynb", "student-failed-check")
    wait_kernel_idle(lab_page)
    run_all(lab_page)  # stops at the failed check, as Run All does after an error
    last = panel.locator(".jp-CodeCell").nth(3)
    last.locator(".jp-InputArea-editor").click()
    lab_page.keyboard.press("Shift+Enter")
    expect(last.locator(".jp-OutputArea-output")).to_have_count(1)
    errors = error_outputs(panel)
    assert len(errors) == 2, errors
    check, stub = errors
    assert check.startswith("\u2717 Check failed: add_batch_dim(x) for x of shape (3, 4) should have shape (1, 3, 4)"), check
    assert "check_shape(add_batch_dim(torch.ones(3, 4))" in check and "Cell In[" in check, check
    assert len(check.strip().splitlines()) <= 3 and "checks.py" not in check and "Traceback" not in check, check
    assert stub.startswith("\u2717 Not done yet: unfinished() is still the stub"), stub
    assert len(stub.strip().splitlines()) <= 2, stub
    passed = panel.locator(".jp-CodeCell").nth(1).locator(".jp-OutputArea-output").first
    expect(passed).to_contain_text("These checks pass. Hidden checks run when your work is graded")
    panel.locator(".jp-CodeCell").nth(2).scroll_into_view_if_needed()
    shot("failed-check-one-block")


def test_validate_summarises_a_half_done_notebook(lab_page, lab_server, shot) -> None:
    """Half the exercises solved, one of them wrongly: one summary line names the real mistake."""
    import nbformat

    from course.grading.demo import half_done

    nb = half_done(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", ROOT / RELEASED)
    solved = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and "BEGIN SOLUTION" in c.source]
    broken = next(c for c in solved if f"def {c.metadata['nbgrader']['grade_id']}(" in c.source)
    name = broken.metadata["nbgrader"]["grade_id"]
    broken.source += f"\n\n\ndef {name}(*args, **kwargs):\n    raise ValueError('my mistake')\n"
    path = f"work/{ASSIGNMENT}/half-done.ipynb"
    (lab_server.root / path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(lab_server.root / path))
    open_notebook(lab_page, lab_server, path, "student-half-done")
    wait_kernel_idle(lab_page)
    ok, text, _seconds = validate(lab_page)
    graded = graded_cells(ROOT / RELEASED)
    done = len(solved)
    assert not ok
    summary = f"Validate: {done - 1}/{graded} exercises pass · {graded - done} not started · 1 failing: {name} — my mistake"
    assert summary in text, text[:600]
    assert "The following cell failed" not in text
    shot("validate-summary")


def test_validate_succeeds_with_a_correct_solution(lab_page, lab_server, shot, timings) -> None:
    """The released notebook with the reference solutions typed in: Validate reports success."""
    solved = f"work/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    # from the repository's clean release: the scratch copy may hold another test's outputs
    solved_copy(ROOT / RELEASED, ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", lab_server.root / solved)
    open_notebook(lab_page, lab_server, solved, "student-solved")
    assert_kernel_ready_without_dialog(lab_page)
    ok, text, seconds = validate(lab_page)
    timings["validate (solved)"] = seconds
    shot("validate-success")
    assert ok, f"Validate did not pass the correct solution: {text[:500]}"
    assert "Success" in text, text[:300]


def test_lecture_runs_top_to_bottom_and_plots_render(lab_page, lab_server, shot, timings) -> None:
    panel = open_notebook(lab_page, lab_server, LECTURE, "student-lecture")
    assert_kernel_ready_without_dialog(lab_page)
    timings["run all (lecture)"] = run_all(lab_page)
    shot("ran")

    errors = error_outputs(panel)
    assert not errors, f"the lecture wrote to stderr or raised: {errors[0][-400:]}"
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()
    not_run = [i for i, p in enumerate(prompts) if "[" in p and not any(ch.isdigit() for ch in p)]
    assert not not_run, f"code cells {not_run} of {len(prompts)} did not run"

    images = images_rendered(panel)
    assert images, "the lecture's plots produced no image in the notebook (is MPLBACKEND=Agg leaking in?)"
    broken = [img for img in images if not (img["complete"] and img["w"] > 0 and img["h"] > 0)]
    assert not broken, f"{len(broken)} of {len(images)} plot(s) did not render as images: {broken}"
    first = panel.locator(".jp-OutputArea-output img").first
    first.scroll_into_view_if_needed()
    shot("plot", first.locator("xpath=ancestor::div[contains(@class,'jp-Cell')][1]"))
    shot("plot-in-page")
