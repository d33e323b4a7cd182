"""Every graded cell has known-wrong solutions that lose exactly that cell's points.

One kernel per assignment runs the reference, then swaps in each wrong solution and runs
every test cell (see course.testing)."""

from __future__ import annotations

import pytest
from conftest import ROOT, assignments

from course.testing import check_assignment


@pytest.mark.slow
@pytest.mark.parametrize("name", assignments())
def test_wrong_solutions_lose_exactly_their_cell(name: str) -> None:
    result = check_assignment(name, ROOT)
    assert not result.reference.failures, result.summary()
    assert not result.missing, result.summary()
    bad = [v for v in result.variants if not v.ok]
    assert not bad, result.summary()
