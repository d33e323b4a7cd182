"""Every lecture runs top to bottom on CPU without an error and without anything on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import lectures

from course.testing import run_notebook


@pytest.mark.slow
@pytest.mark.parametrize("path", lectures(), ids=lambda p: Path(p).stem)
def test_lecture_runs_clean(path: Path) -> None:
    run = run_notebook(path, timeout=300)
    assert not run.failures, run.summary()
