"""Tests that fail when one of five realistic defects, once missed by the suite, is planted.

Each test names the defect it kills. The slow ones (a bank case, the sandbox's binds) live
with the grading tests: ``tests/hostile/bank.py`` (``sigint_loop_in_test``) and
``tests/grading/test_sandbox.py`` (read-only binds, probed with no user switch).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path

import pytest
import torch
from conftest import ROOT

from course.checks import CheckFailed, check_close
from course.grading import cli, parallel
from course.grading.autograde import Outcome

BIN = Path(sys.executable).parent


# 1. check_close's default tolerances made looser -----------------------------------------------------
def test_a_relative_error_of_1e_4_fails_by_default() -> None:
    expected = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)
    with pytest.raises(CheckFailed):
        check_close(expected * (1 + 1e-4), expected)
    with pytest.raises(CheckFailed):  # biased against unbiased variance, n = 10_000: a relative error of 1e-4
        x = torch.randn(10_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        check_close(x.var(unbiased=False).reshape(1), x.var(unbiased=True).reshape(1))
    check_close(expected * (1 + 1e-7), expected)  # ... while float noise passes


# 2. check_close's dtype check weakened ----------------------------------------------------------------
@pytest.mark.parametrize(("got", "want"), [(torch.float32, torch.float64), (torch.float64, torch.float32),
                                           (torch.float16, torch.float32), (torch.int32, torch.int64)])
def test_close_refuses_another_floating_dtype(got: torch.dtype, want: torch.dtype) -> None:
    with pytest.raises(CheckFailed, match="dtype"):
        check_close(torch.ones(3, dtype=got), torch.ones(3, dtype=want))


# 5. grader-side failures treated as the student's -------------------------------------------------------
def _future(result: object = None, error: BaseException | None = None) -> Future:
    fut: Future = Future()
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(result)
    return fut


def test_a_worker_that_raises_fails_its_student_with_the_cause() -> None:
    ok = {"student": "alice", "ok": True, "seconds": 1.0, "message": "", "score": (3.0, 3.0, {})}
    futures = {_future(ok): ("90_tiny", "alice"), _future(error=MemoryError("worker killed")): ("90_tiny", "bob")}
    lines: list[str] = []
    progress = parallel.Progress(2, lines.append)
    outcomes = {o.student: o for o in parallel._collect(futures, progress, completed=lambda fs: fs)}
    assert outcomes["alice"].ok and not outcomes["bob"].ok
    assert "MemoryError" in outcomes["bob"].message and "worker killed" in outcomes["bob"].message
    assert progress.failed == 1 and "FAILED" in lines[-1] and "worker killed" in lines[-1]


def test_a_failed_student_makes_the_batch_exit_non_zero(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    failed = Outcome("bob", False, 0.1, None, "not graded: the grading guard could not be installed (no key)", "90_tiny")
    monkeypatch.setattr(parallel, "autograde_many", lambda *a, **k: ([failed], []))
    root = ROOT
    rc = cli.main(["--root", str(root), "autograde", "01_tensors", "--jobs", "1"])
    out = capsys.readouterr()
    assert rc != 0
    assert "1 failed: bob" in out.out


@pytest.mark.slow
def test_grading_that_needs_a_missing_sandbox_stops_with_the_cause(tmp_path: Path) -> None:
    from course.notebooks import build, write

    sys.path.insert(0, str(ROOT / "tests" / "hostile"))
    import bank

    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    write(build(bank.SPEC, assignment=True), tmp_path / "source" / bank.TINY / f"{bank.TINY}.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_DB_URL",)}
    env["COURSE_CANARY_CACHE"] = str(tmp_path / "canary")
    course = [str(BIN / "course"), "--root", str(tmp_path)]
    proc = subprocess.run([*course, "release", bank.TINY, "--no-verify"], env={**env, "PATH": f"{BIN}:{env['PATH']}"},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    target = tmp_path / "submitted" / "alice" / bank.TINY
    target.mkdir(parents=True)
    shutil.copy2(tmp_path / "source" / bank.TINY / f"{bank.TINY}.ipynb", target)
    # bubblewrap out of reach (only the environment's own tools on PATH), and a sandbox required
    proc = subprocess.run([*course, "autograde", bank.TINY], env={**env, "PATH": str(BIN), "COURSE_SANDBOX": "required"},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0, proc.stdout
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "sandbox is required" in err[0] and "bubblewrap is not installed" in err[0], proc.stderr
    assert "Please see the above traceback" not in proc.stderr
    from course.grading.coursedir import Course

    assert Course(tmp_path).score(bank.TINY, "alice") is None, "a student was scored although grading could not run"
