"""The Chinese edition runs and grades like the English one.

- every Chinese lecture runs clean;
- through the real nbgrader (01_tensors): the Chinese reference gets full marks, the untouched
  Chinese release 0, and a half-done submission the same score in each cell as the same code
  in English, with feedback in Chinese;
- every assignment in Chinese: the reference passes every test in a kernel, and the first
  known-wrong solutions of each cell fail their own cell, as in English (the full banks run
  in English in test_wrong_solutions; the translated test code is the English code, word for
  word apart from its strings, which course.i18n proves when it builds).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, assignments

from course import i18n
from course.grading.coursedir import Course, scratch_course, submit
from course.testing import check_assignment, run_notebook

LANG = "zh_CN"
COURSE = Course(ROOT)
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))
CHINESE_LECTURES = sorted((ROOT / "notebooks" / LANG).glob("*.ipynb"))


def _nbgrader(args: list[str], cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_DB_URL", "COURSE_LANG")}
    proc = subprocess.run([NBGRADER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def test_every_lecture_has_its_chinese_edition() -> None:
    english = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert [p.name for p in CHINESE_LECTURES] == english, "run `course i18n build`"


@pytest.mark.slow
@pytest.mark.parametrize("path", CHINESE_LECTURES, ids=lambda p: Path(p).stem)
def test_chinese_lecture_runs_clean(path: Path) -> None:
    run = run_notebook(path, timeout=300)
    assert not run.failures, run.summary()


def _half_done(release: Path, source: Path, out: Path) -> set[str]:
    """The release with every other exercise solved (from the source); return the solved ids."""
    nb = nbformat.read(str(release), as_version=4)
    ref = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(str(source), as_version=4).cells if c.metadata.get("nbgrader", {}).get("solution")}
    solved = set()
    for i, cell in enumerate(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")):
        gid = cell.metadata["nbgrader"]["grade_id"]
        if i % 2 == 0:
            cell.source = ref[gid]
            solved.add(gid)
    nbformat.write(nb, str(out))
    return solved


@pytest.mark.slow
def test_a_chinese_submission_grades_like_the_same_code_in_english(tmp_path: Path) -> None:
    name = "01_tensors"
    zh = i18n.translated_assignment(name, LANG)
    scratch = scratch_course(COURSE, tmp_path / "course", [name])
    zh_source = i18n.build_assignment(ROOT, name, LANG, dest_root=scratch.root)
    _nbgrader(["generate_assignment", name, "--force"], scratch.root)
    _nbgrader(["generate_assignment", zh, "--force"], scratch.root)
    zh_release = scratch.root / "release" / zh / f"{zh}.ipynb"
    first_code = next(c for c in nbformat.read(str(zh_release), as_version=4).cells if c.cell_type == "code")
    assert first_code.source.startswith(i18n.SWITCH.format(lang=LANG)), first_code.source[:200]

    solved_en = _half_done(scratch.release_notebook(name), COURSE.source_notebook(name), tmp_path / "half-en.ipynb")
    solved_zh = _half_done(zh_release, zh_source, tmp_path / "half-zh.ipynb")
    assert solved_en == solved_zh and solved_en
    submit(scratch, name, "half", tmp_path / "half-en.ipynb")
    submit(scratch, zh, "half", tmp_path / "half-zh.ipynb")
    submit(scratch, zh, "reference", zh_source)
    submit(scratch, zh, "untouched", zh_release)
    _nbgrader(["autograde", name, "--force"], scratch.root)
    _nbgrader(["autograde", zh, "--force"], scratch.root)

    ref = scratch.score(zh, "reference")
    assert ref is not None and ref.max_score > 0 and ref.score == ref.max_score, ref
    untouched = scratch.score(zh, "untouched")
    assert untouched is not None and untouched.score == 0, untouched
    en, cn = scratch.score(name, "half"), scratch.score(zh, "half")
    assert en is not None and cn is not None
    assert 0 < cn.score < cn.max_score
    assert cn.cells == en.cells, f"the same code scores differently in Chinese: {cn.cells} vs {en.cells}"

    _nbgrader(["generate_feedback", zh, "--student", "half", "--force"], scratch.root)
    html = (scratch.root / "feedback" / "half" / zh / f"{zh}.html").read_text(encoding="utf-8")
    assert "得分" in html and "练习" in html, "the feedback's table is not in Chinese"
    assert "你的函数仍然抛出 NotImplementedError" in html, "the feedback's messages are not in Chinese"


@pytest.mark.slow
@pytest.mark.parametrize("name", assignments())
def test_chinese_reference_passes_and_wrong_solutions_fail_their_cell(name: str) -> None:
    result = check_assignment(name, ROOT, lang=LANG, per_cell=1)
    assert not result.reference.failures, result.summary()
    assert result.variants, f"{name}: no known-wrong solution ran"
    bad = [v for v in result.variants if not v.ok]
    assert not bad, result.summary()
