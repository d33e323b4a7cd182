"""The bank of broken and hostile submissions (tests/hostile/bank.py), graded for real.

One scratch course, one batch through `course autograde --jobs 2`; then, per case, the score,
the review flag (report and gradebook), the learner's feedback and what must not leak; then
the gradebook's integrity, a bystander nobody else's grading may touch, regrading, and a
few cases through plain `nbgrader autograde` with the same nbgrader_config.py.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from course.grading import report
from course.grading.coursedir import Course
from course.grading.sandbox import support
from course.notebooks import build, write

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
_spec = importlib.util.spec_from_file_location("hostile_bank", ROOT / "tests" / "hostile" / "bank.py")
bank = importlib.util.module_from_spec(_spec)
sys.modules["hostile_bank"] = bank
_spec.loader.exec_module(bank)  # type: ignore[union-attr]

pytestmark = pytest.mark.slow
TIMEOUT_S = 5  # the bank's cell timeout: every honest cell here runs in well under a second
CASES = [c for c in bank.cases() if support().available or not c.sandbox_only]
STAMP = "2026-11-20 10:00:00.000000 UTC"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_DB_URL", "COURSE_SANDBOX")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def _run(cmd: list[str], cwd: Path | None = None, check: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=_env(**extra), capture_output=True, text=True, timeout=900)
    if check:
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def course_cli(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return _run([str(BIN / "course"), "--root", str(root), *args], check=check)


def make_course(root: Path) -> dict[str, Any]:
    """A scratch course with 90_tiny and 91_other released; returns the notebooks to build cases from."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.Execute.timeout = {TIMEOUT_S}\n")
    write(build(bank.SPEC, assignment=True), root / "source" / bank.TINY / f"{bank.TINY}.ipynb")
    write(build(bank.OTHER_SPEC, assignment=True), root / "source" / bank.OTHER / f"{bank.OTHER}.ipynb")
    course_cli(root, "release", bank.TINY, bank.OTHER, "--no-verify")

    def read(kind: str, name: str) -> nbformat.NotebookNode:
        return nbformat.read(str(root / kind / name / f"{name}.ipynb"), as_version=4)

    return {"release": read("release", bank.TINY), "source": read("source", bank.TINY), "other": read("release", bank.OTHER)}


def submit_case(root: Path, case: Any, nbs: dict[str, Any], student: str | None = None) -> None:
    folder = root / "submitted" / (student or case.name) / bank.TINY
    if folder.exists():
        shutil.rmtree(folder)
    case.make(nbs["release"], nbs["source"], folder)
    (folder / "timestamp.txt").write_text(STAMP)


def cell_scores(course: Course, student: str) -> dict[str, float]:
    score = course.score(bank.TINY, student)
    assert score is not None, f"{student} is missing from the gradebook (dropped?)"
    return {k: v[0] for k, v in score.cells.items()}


def gradebook_flag(course: Course, student: str) -> bool:
    with course.gradebook() as gb:
        return any(nb.flagged for nb in gb.find_submission(bank.TINY, student).notebooks)


def outputs_text(path: Path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(str(out.get("text", "")) + str(out.get("evalue", "")) + str(out.get("data", "")))
    return "\n".join(parts)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile-course")
    nbs = make_course(root)
    bank_cases = bank.cases(nbs["other"])
    course = Course(root)
    # A bystander, graded before anyone else: nothing later may change its grades or files.
    submit_case(root, bank_cases[0], nbs, student=bank.BYSTANDER)
    course_cli(root, "autograde", bank.TINY, "--student", bank.BYSTANDER)
    bystander_nb = root / "autograded" / bank.BYSTANDER / bank.TINY / f"{bank.TINY}.ipynb"
    before = {"scores": cell_scores(course, bank.BYSTANDER), "digest": file_digest(bystander_nb),
              "submitted": file_digest(root / "submitted" / bank.BYSTANDER / bank.TINY / f"{bank.TINY}.ipynb")}
    cases = {c.name: c for c in bank_cases if c.name in {k.name for k in CASES}}
    for case in cases.values():
        submit_case(root, case, nbs)
    start = time.perf_counter()
    proc = course_cli(root, "autograde", bank.TINY, "--jobs", "2", check=False)
    seconds = time.perf_counter() - start
    print(f"\nthe bank ({len(cases)} submissions + bystander) graded in {seconds:.0f} s with 2 jobs", file=sys.stderr)
    feedback = course_cli(root, "feedback", bank.TINY, check=False)
    grades = course_cli(root, "grades", check=False)
    return {"root": root, "course": course, "cases": cases, "proc": proc, "seconds": seconds, "before": before,
            "bystander_nb": bystander_nb, "feedback": feedback, "grades": grades, "nbs": nbs}


def test_the_batch_succeeds_and_drops_nobody(graded: dict[str, Any]) -> None:
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "Traceback" not in proc.stderr
    n = len(graded["cases"])  # the bystander was graded before, and is skipped as already graded
    assert f"autograded {n} of {n} submission(s) of {bank.TINY}, 1 skipped as already graded" in proc.stdout, proc.stdout[-3000:]
    sandbox_line = proc.stdout.splitlines()[1]
    assert ("sandboxed grading" in sandbox_line) == support().available, sandbox_line


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_case(graded: dict[str, Any], name: str) -> None:
    case = graded["cases"][name]
    course, root = graded["course"], graded["root"]
    cells = cell_scores(course, name)
    if case.lost is not None:
        want = {k: (0.0 if k in case.lost else v) for k, v in bank.POINTS.items()}
        assert cells == want, f"{name}: {case.about}: expected {case.expect}; got {cells}"
    flagged, reasons, _notes = report.summary(report.report_path(root / "autograded", name, bank.TINY))
    if case.flagged is not None:
        assert flagged == case.flagged, f"{name}: flagged={flagged}, reasons={reasons}"
        assert gradebook_flag(course, name) == case.flagged, f"{name}: nbgrader's flag disagrees with the report"
    for word in case.flag_words:
        assert any(word.lower() in r.lower() for r in reasons), f"{name}: no flag mentions {word!r}: {reasons}"
    graded_nb = root / "autograded" / name / bank.TINY / f"{bank.TINY}.ipynb"
    if name != "missing":
        assert graded_nb.is_file(), f"{name} was dropped from autograded/"
        text = outputs_text(graded_nb)
        for absent in case.output_absent:
            assert absent not in text, f"{name}: {absent!r} in the outputs:\n{text[:3000]}"
        html = (root / "feedback" / name / bank.TINY / f"{bank.TINY}.html").read_text()
        for word in case.feedback:
            assert word in html, f"{name}: the feedback does not say {word!r}"


def test_feedback_never_shows_hidden_tests(graded: dict[str, Any]) -> None:
    assert graded["feedback"].returncode == 0, graded["feedback"].stderr
    pages = sorted((graded["root"] / "feedback").glob(f"*/{bank.TINY}/*.html"))
    assert len(pages) >= len(graded["cases"]) - 1
    for page in pages:
        html = page.read_text()
        for mark in bank.HIDDEN_MARKS:
            assert mark not in html, f"{page}: shows the hidden test text {mark!r}"
        assert "Flagged for review" not in html, f"{page}: shows the reviewer's notice"
    # ... while a failed check still says which test failed and why, in words
    html = (graded["root"] / "feedback" / "untouched" / bank.TINY / f"{bank.TINY}.html").read_text()
    assert "test_double failed" in html and "NotImplementedError" in html
    html = (graded["root"] / "feedback" / "syntax_error" / bank.TINY / f"{bank.TINY}.html").read_text()
    assert "test_double failed" in html
    html = (graded["root"] / "feedback" / "frame_snoop" / bank.TINY / f"{bank.TINY}.html").read_text()
    assert "test_scale failed" in html and "does not count" in html


def test_bystander_is_untouched(graded: dict[str, Any]) -> None:
    course, before = graded["course"], graded["before"]
    assert cell_scores(course, bank.BYSTANDER) == before["scores"]
    assert file_digest(graded["bystander_nb"]) == before["digest"]
    root = graded["root"]
    assert file_digest(root / "submitted" / bank.BYSTANDER / bank.TINY / f"{bank.TINY}.ipynb") == before["submitted"]
    assert sorted(p.name for p in graded["bystander_nb"].parent.iterdir()) == [f"{bank.TINY}.ipynb", "timestamp.txt"]


def test_gradebook_and_folders_are_intact(graded: dict[str, Any]) -> None:
    root = graded["root"]
    with sqlite3.connect(root / "gradebook.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for path in (root / "autograded").rglob("*"):
        assert not path.is_symlink(), f"a link was left in autograded/: {path}"
    leftovers = [p for p in (root / "autograded").glob(f"*/{bank.TINY}/*") if p.name not in (f"{bank.TINY}.ipynb", "timestamp.txt")]
    assert not leftovers, f"files left by grading kernels: {leftovers}"
    # no submission's file shadowed anything, and the course's own files were not written
    assert not (root / "source" / bank.TINY / "pwned.py").exists()
    assert sorted(p.name for p in (root / "source" / bank.TINY).iterdir()) == [f"{bank.TINY}.ipynb"]


def test_grades_export_shows_the_flags(graded: dict[str, Any]) -> None:
    assert graded["grades"].returncode == 0, graded["grades"].stderr
    rows = {r["student"]: r for r in csv.DictReader((graded["root"] / "grades" / "grades.csv").open()) if r["assignment"] == bank.TINY}
    assert rows["reference"]["flagged"] == "" and rows["reference"]["score"] == "6"
    assert rows["patch_torch"]["flagged"] == "yes" and "torch.equal" in rows["patch_torch"]["review"]
    assert rows["missing"]["flagged"] == "yes" and rows["missing"]["score"] == "0"


def test_regrading_gives_the_same_result(graded: dict[str, Any]) -> None:
    root, course = graded["root"], graded["course"]
    some = ["reference", "patch_torch", "frame_snoop", "kernel_death_in_test", "deleted_test", "invalid_json", "missing",
            "shadow_files", "renamed"]
    some = [s for s in some if s in graded["cases"]]
    first = {s: (cell_scores(course, s), report.summary(report.report_path(root / "autograded", s, bank.TINY))[:2]) for s in some}
    from course.grading.parallel import autograde_many

    outcomes, _ = autograde_many(course, bank.TINY, jobs=2, force=True, only=[(bank.TINY, s) for s in some], say=lambda _line: None)
    assert all(o.ok for o in outcomes)
    second = {s: (cell_scores(course, s), report.summary(report.report_path(root / "autograded", s, bank.TINY))[:2]) for s in some}
    assert second == first
    assert cell_scores(course, bank.BYSTANDER) == graded["before"]["scores"]


# --- plain nbgrader -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("plain-nbgrader")
    nbs = make_course(root)
    cases = [c for c in bank.cases(nbs["other"]) if c.plain and (support().available or not c.sandbox_only)]
    for case in cases:
        submit_case(root, case, nbs)
    proc = _run([str(BIN / "nbgrader"), "autograde", bank.TINY, "--force"], cwd=root, check=False)
    return {"root": root, "course": Course(root), "cases": cases, "proc": proc}


def test_plain_nbgrader_grades_the_same_way(plain: dict[str, Any]) -> None:
    proc, root, course = plain["proc"], plain["root"], plain["course"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for case in plain["cases"]:
        cells = cell_scores(course, case.name)
        if case.lost is not None:
            assert cells == {k: (0.0 if k in case.lost else v) for k, v in bank.POINTS.items()}, (case.name, cells)
        flagged, reasons, _ = report.summary(report.report_path(root / "autograded", case.name, bank.TINY))
        if case.flagged is not None:
            assert flagged == case.flagged, (case.name, reasons)
            assert gradebook_flag(course, case.name) == case.flagged
        assert (root / "autograded" / case.name / bank.TINY / f"{bank.TINY}.ipynb").is_file()


# --- no sandbox: grading still works, and says so once ------------------------------------------

UNSANDBOXED = ("reference", "patch_torch", "frame_snoop", "kernel_death_cell")


@pytest.fixture(scope="module")
def unsandboxed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("no-sandbox")
    nbs = make_course(root)
    cases = [c for c in bank.cases(nbs["other"]) if c.name in UNSANDBOXED]
    for case in cases:
        submit_case(root, case, nbs)
    proc = _run([str(BIN / "nbgrader"), "autograde", bank.TINY, "--force"], cwd=root, check=False, COURSE_SANDBOX="off")
    return {"root": root, "course": Course(root), "cases": cases, "proc": proc}


def test_without_a_sandbox_grading_works_and_says_so_once(unsandboxed: dict[str, Any]) -> None:
    proc, root, course = unsandboxed["proc"], unsandboxed["root"], unsandboxed["course"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (proc.stdout + proc.stderr).count("UNSANDBOXED grading") == 1, proc.stderr[-3000:]
    for case in unsandboxed["cases"]:
        assert cell_scores(course, case.name) == {k: (0.0 if k in case.lost else v) for k, v in bank.POINTS.items()}, case.name
        flagged, reasons, _ = report.summary(report.report_path(root / "autograded", case.name, bank.TINY))
        assert flagged == case.flagged, (case.name, reasons)
        data = report.load(report.report_path(root / "autograded", case.name, bank.TINY))
        assert data["notebooks"][bank.TINY]["sandbox"].startswith("none")
