"""A fixed sample of `make mutation`, run in CI so the score cannot quietly decay.

Each defect below is planted, one at a time, in a copy of the course package; the fast
contract tests (the mutation oracle) must then fail. The full run (`make mutation`, mutmut)
covers every mutant; this sample covers the defects that would change a grade the most.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from course.paths import data_dir

DEFECTS = [
    ("checks.py", "rtol: float = 1e-5,", "rtol: float = 1e-2,", "default tolerances 1000x looser"),
    ("checks.py", "if check_dtype and _t_dtype(actual) != _t_dtype(expected):", "if False:", "dtype never compared"),
    ("checks.py", "        if got != want:\n            hint = \"\"", "        if False:\n            hint = \"\"", "shape never compared"),
    ("checks.py", "ok = _abs(_float(actual) - _float(expected)) <= atol + rtol * _abs(_float(expected))", "ok = True", "numbers always close"),
    ("checks.py", "if condition is not True:", "if not condition:", "truthy values pass check_true"),
    ("checks.py", "if _t_requires_grad(p) or not trainable_only:", "if True:", "frozen parameters counted"),
    ("checks.py", "if _type(expected) is not _Tensor and _type(expected) is not _Parameter:", "if False:", "expected values not type-checked"),
    ("device.py", '{"1", "true", "yes", "on"}', '{"1"}', "COURSE_REQUIRE_CUDA=true ignored"),
    ("device.py", 'found = [torch.device("cpu")]', "found = []", "the CPU left out of devices()"),
    ("device.py", "    elif cuda_required():", "    elif False:", "a missing CUDA skipped quietly"),
]

# The grader: (module under course/grading/, old, new, what, its fast oracle under tests/grading/).
GRADING_DEFECTS = [
    ("intake.py", "if len(candidates) == 1:", "if False:", "a renamed notebook graded as missing", "test_intake_contract.py"),
    ("redact.py", "if not inside:", "if True:", "hidden tests shown in feedback",
     "test_redact_contract.py"),
    ("autograde.py", "if any(marker in text for marker in GRADER_FAILURES):", "if False:",
     "a grader failure scored 0 instead of left ungraded", "test_autograde_parallel_contract.py"),
    ("parallel.py", 'if _timestamp(graded) != _timestamp(course.root / "submitted" / student / assignment):', "if False:",
     "a new submission skipped as already graded", "test_autograde_parallel_contract.py"),
    ("lms.py", "return max(0.0, self.score - self.penalty)", "return self.score", "late penalties not applied",
     "test_roster_lms_grades_contract.py"),
    ("canary.py", "    if got < best:", "    if False:", "a reference below full marks passes the canary",
     "test_release_canary_contract.py"),
    ("release.py", "if edited and not force:", "if False:", "a learner's edited release overwritten",
     "test_release_canary_contract.py"),
    ("report.py", "return bool(flags), flags, notes", "return False, flags, notes", "flags for review dropped",
     "test_report_coursedir_contract.py"),
]


def _oracle(tmp_path: Path, tests: list[Path] | None = None) -> subprocess.CompletedProcess[str]:
    """The fast tests (by default those of the checks and the device helpers), run against the
    copy of the course package in tmp_path."""
    env = dict(os.environ, PYTHONPATH=str(tmp_path), COURSE_DATA_DIR=str(data_dir()))
    code = "import course, sys; sys.exit(0 if course.__file__.startswith(sys.argv[1]) else 3)"
    assert subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=tmp_path, env=env).returncode == 0, (
        "the copy of the course package is not the one imported"
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         *map(str, tests or [ROOT / "tests" / "test_checks_contract.py", ROOT / "tests" / "test_device_contract.py"])],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.slow
def test_the_copy_without_a_defect_passes(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "course", tmp_path / "course", ignore=shutil.ignore_patterns("__pycache__"))
    proc = _oracle(tmp_path)
    assert proc.returncode == 0, proc.stdout[-1500:]


@pytest.mark.slow
@pytest.mark.parametrize(("module", "old", "new", "what"), DEFECTS, ids=[d[3] for d in DEFECTS])
def test_the_fast_tests_kill_a_planted_defect(tmp_path: Path, module: str, old: str, new: str, what: str) -> None:
    pkg = tmp_path / "course"
    shutil.copytree(ROOT / "course", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    source = (pkg / module).read_text()
    assert source.count(old) == 1, f"the defect '{what}' no longer applies to course/{module}: update the sample"
    (pkg / module).write_text(source.replace(old, new))
    proc = _oracle(tmp_path)
    assert proc.returncode == 1, f"planted '{what}' in course/{module} and no fast test failed:\n{proc.stdout[-1500:]}"


@pytest.mark.slow
def test_the_copy_without_a_defect_passes_the_grader_fast_tests(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "course", tmp_path / "course", ignore=shutil.ignore_patterns("__pycache__"))
    proc = _oracle(tmp_path, sorted({ROOT / "tests" / "grading" / d[4] for d in GRADING_DEFECTS}))
    assert proc.returncode == 0, proc.stdout[-1500:]


@pytest.mark.slow
@pytest.mark.parametrize(("module", "old", "new", "what", "oracle"), GRADING_DEFECTS, ids=[d[3] for d in GRADING_DEFECTS])
def test_the_grader_fast_tests_kill_a_planted_defect(tmp_path: Path, module: str, old: str, new: str, what: str, oracle: str) -> None:
    pkg = tmp_path / "course"
    shutil.copytree(ROOT / "course", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    path = pkg / "grading" / module
    source = path.read_text()
    assert source.count(old) == 1, f"the defect '{what}' no longer applies to course/grading/{module}: update the sample"
    path.write_text(source.replace(old, new))
    proc = _oracle(tmp_path, [ROOT / "tests" / "grading" / oracle])
    assert proc.returncode == 1, f"planted '{what}' in course/grading/{module} and no fast test failed:\n{proc.stdout[-1500:]}"
