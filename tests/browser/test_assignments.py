"""The Assignments tab and Formgrader on one machine, end to end, in a real browser.

The instructor's steps run the `nbgrader` command in the scratch course (as the README tells
the instructor to); the student's steps click the Assignments tab of the nbgrader extension.
Both use the course's nbgrader_config.py and the exchange named by NBGRADER_EXCHANGE.
"""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from .lab import COURSE_ID, ROOT, STUDENT, LabServer, expect, goto_lab, graded_cells, menu, solved_copy

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ASSIGNMENT = "01_tensors"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


def assignment_rows(page: Any, which: str, count: int) -> Any:
    """The rows of one list of the Assignments tab (released, fetched, submitted), once loaded."""
    expect(page.locator(f"#{which}_assignments_list_loading")).to_be_hidden()
    rows = page.locator(f"#{which}_assignments_list > .list_item")
    expect(rows).to_have_count(count)
    return rows


def open_assignments_tab(page: Any) -> None:
    menu(page, "Nbgrader", "Assignment List")
    expect(page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").first).to_have_text(
        "Assignments"
    )
    page.locator("#released_assignments_list").wait_for()


def score_in_gradebook(server: LabServer, assignment: str, student: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{server.root / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment, student)
        return float(sub.score), float(sub.max_score)


def test_assignments_tab_release_fetch_submit_collect_grade_feedback(lab_page, lab_server, shot, timings) -> None:
    page, server = lab_page, lab_server
    exchange, course = server.exchange / COURSE_ID, server.root
    workdir = course / COURSE_ID / ASSIGNMENT  # where the Assignments tab puts a fetched assignment

    # The student opens the Assignments tab before anything is released: no error, an empty list.
    goto_lab(page, server, "student-assignments")
    open_assignments_tab(page)
    assignment_rows(page, "released", 0)
    expect(page.locator(".nbgrader-ErrorDialog, #released_assignments_list_error:visible")).to_have_count(0)
    shot("empty")

    # Instructor: register and generate the assignment, release it to the exchange.
    server.nbgrader("generate_assignment", ASSIGNMENT, "--force")
    server.nbgrader("release_assignment", ASSIGNMENT)
    assert (exchange / "outbound" / ASSIGNMENT / NOTEBOOK).is_file()

    # Student: refresh, see it, fetch it.
    page.locator("#refresh_assignments_list").click()
    rows = assignment_rows(page, "released", 1)
    expect(rows.first.locator(".item_name")).to_have_text(ASSIGNMENT)
    expect(rows.first.locator(".item_course")).to_have_text(COURSE_ID)
    shot("released")
    rows.first.locator(".item_status button", has_text="Fetch").click()
    rows = assignment_rows(page, "fetched", 1)
    expect(rows.first.locator(".item_name").first).to_have_text(ASSIGNMENT)
    assert (workdir / NOTEBOOK).is_file(), f"fetch did not write {workdir / NOTEBOOK}"
    shot("fetched")

    # Student works: the fetched notebook now holds correct solutions.
    solved_copy(workdir / NOTEBOOK, ROOT / "source" / ASSIGNMENT / NOTEBOOK, workdir / NOTEBOOK)

    # Student submits.
    rows.first.locator(".item_status button", has_text="Submit").click()
    rows = assignment_rows(page, "submitted", 1)
    inbound = sorted((exchange / "inbound").glob(f"{STUDENT}+{ASSIGNMENT}+*"))
    assert len(inbound) == 1 and (inbound[0] / NOTEBOOK).is_file(), f"no submission in {exchange / 'inbound'}"
    shot("submitted")

    # Instructor: collect, autograde, generate and release feedback.
    server.nbgrader("collect", ASSIGNMENT)
    assert (course / "submitted" / STUDENT / ASSIGNMENT / NOTEBOOK).is_file()
    server.nbgrader("autograde", ASSIGNMENT)
    assert (course / "autograded" / STUDENT / ASSIGNMENT / NOTEBOOK).is_file()
    score, max_score = score_in_gradebook(server, ASSIGNMENT, STUDENT)
    assert max_score > 0 and score == max_score, f"the correct submission scored {score:g}/{max_score:g}"
    server.nbgrader("generate_feedback", ASSIGNMENT)
    assert (course / "feedback" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    server.nbgrader("release_feedback", ASSIGNMENT)
    assert list((exchange / "feedback").glob("*.html")), "release_feedback put nothing in the exchange"

    # Student: refresh, fetch the feedback, read it.
    page.locator("#refresh_assignments_list").click()
    rows = assignment_rows(page, "submitted", 1)
    expect(rows.first).to_contain_text("feedback available to fetch")
    shot("feedback-ready")
    rows.first.locator(".item_status button", has_text="Fetch Feedback").click()
    expect(page.locator("#submitted_assignments_list")).to_contain_text("view feedback")
    fetched = sorted(workdir.glob(f"feedback/*/{ASSIGNMENT}.html"))
    assert fetched, f"no feedback under {workdir / 'feedback'}"
    shown = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", fetched[-1].read_text())
    assert shown and (float(shown[1]), float(shown[2])) == (score, max_score), (
        f"the feedback shows {shown and shown[0]}"
    )
    shot("feedback-fetched")
    page.goto(server.url(f"files/{fetched[-1].relative_to(course).as_posix()}"))
    expect(page.locator("body")).to_contain_text(ASSIGNMENT)
    # The course's feedback page: a table of exercises first, each with its score and a reason.
    table = page.locator("#course-summary tbody tr")
    expect(table).to_have_count(graded_cells(ROOT / "release" / ASSIGNMENT / NOTEBOOK))
    expect(table.first).to_contain_text("Every check passed")
    assert page.locator("#toc").count() == 0, "nbgrader's 'Test cell' / 'Comment' index is still there"
    shot("feedback-page")


@pytest.fixture
def graded_submission(lab_server: LabServer) -> str:
    """A collected and autograded submission of ASSIGNMENT (made here when the flow above did not run)."""
    course = lab_server.root
    target = course / "submitted" / STUDENT / ASSIGNMENT
    if not (course / "autograded" / STUDENT / ASSIGNMENT / NOTEBOOK).is_file():
        lab_server.nbgrader("generate_assignment", ASSIGNMENT, "--force")
        if target.exists():
            shutil.rmtree(target)
        solved_copy(
            ROOT / "release" / ASSIGNMENT / NOTEBOOK, ROOT / "source" / ASSIGNMENT / NOTEBOOK, target / NOTEBOOK
        )
        lab_server.nbgrader("autograde", ASSIGNMENT)
    return STUDENT


def test_formgrader_lists_assignments_and_submissions(lab_page, lab_server, graded_submission, shot, tmp_path) -> None:
    from course.grading.coursedir import Course
    from course.grading.roster import import_roster

    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,first_name,last_name,email\n{graded_submission},Ada,Lovelace,ada@example.edu\n")
    import_roster(Course(lab_server.root, db_url=f"sqlite:///{lab_server.root / 'gradebook.db'}"), roster)
    page = lab_page
    goto_lab(page, lab_server, "instructor")
    menu(page, "Nbgrader", "Formgrader")
    expect(page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").first).to_have_text(
        "Formgrader"
    )
    frame = page.frame_locator("#jp-main-dock-panel iframe")
    page.locator(".jp-DirListing-item").first.wait_for()  # the file browser too, for the screenshot

    # Manage Assignments: every assignment of source/, ours with one submission.
    rows = frame.locator("#main-table tr")
    expect(frame.locator("td.num-submissions").first).to_be_visible()
    expected = sorted(p.name for p in (lab_server.root / "source").iterdir() if (p / f"{p.name}.ipynb").is_file())
    names = [n.strip() for n in frame.locator("#main-table td.name").all_inner_texts()]
    assert sorted(names) == expected, f"formgrader lists {names}, source/ has {expected}"
    ours = rows.filter(has=frame.locator("td.name", has_text=ASSIGNMENT))
    expect(ours.locator("td.num-submissions")).to_have_text("1")
    shot("assignments")

    # Its submissions: the student, autograded.
    ours.locator("td.num-submissions a").click()
    student_rows = frame.locator("#main-table tr")
    expect(student_rows).to_have_count(1)
    expect(student_rows.first.locator("td.student-id")).to_contain_text(graded_submission)
    expect(student_rows.first.locator("td.student-name")).to_contain_text("Lovelace, Ada")  # the roster's names
    expect(student_rows.first.locator("td.status")).to_have_text("graded")
    score, max_score = score_in_gradebook(lab_server, ASSIGNMENT, graded_submission)
    expect(student_rows.first.locator("td.score")).to_have_text(f"{score:g} / {max_score:g}")
    shot("submissions")


def test_feedback_labels_a_failed_hidden_check(lab_page, lab_server, shot) -> None:
    """A submission whose as_batch passes the visible checks but copies instead of viewing: the
    feedback page's table and the test cell say a hidden check failed, and which function it ran."""
    import nbformat

    from course.testing import load_wrong

    student = "hidden-failure"
    wrong = dict(load_wrong(ASSIGNMENT, ROOT))["as_batch"]
    source = next((src for why, src in wrong if why.startswith("torch.stack([x])")), None)
    assert source, "tests/wrong/01_tensors.py no longer has the torch.stack copy for as_batch"
    target = lab_server.root / "submitted" / student / ASSIGNMENT / NOTEBOOK
    if target.parent.exists():
        shutil.rmtree(target.parent)
    solved_copy(ROOT / "release" / ASSIGNMENT / NOTEBOOK, ROOT / "source" / ASSIGNMENT / NOTEBOOK, target)
    nb = nbformat.read(str(target), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "as_batch")
    cell.source = source
    nbformat.write(nb, str(target))
    lab_server.nbgrader("generate_assignment", ASSIGNMENT, "--force")
    lab_server.nbgrader("autograde", ASSIGNMENT, "--student", student)
    lab_server.nbgrader("generate_feedback", ASSIGNMENT, "--student", student)
    page_path = lab_server.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert page_path.is_file()
    goto_lab(lab_page, lab_server, "feedback-hidden")
    lab_page.goto(lab_server.url(f"files/{page_path.relative_to(lab_server.root).as_posix()}"))
    row = lab_page.locator("#course-summary tbody tr.lost")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("A hidden check failed (one that runs on inputs you have not seen")
    expect(row).to_contain_text("as_batch(")
    output = lab_page.locator("text=test_as_batch failed a hidden check").first
    expect(output).to_be_visible()
    page_text = lab_page.locator("body").inner_text()
    assert "BEGIN HIDDEN TESTS" not in page_text and "_x = " not in page_text, "hidden test code leaked into feedback"
    shot("feedback-table")
    output.scroll_into_view_if_needed()
    shot("feedback-hidden-failure")
