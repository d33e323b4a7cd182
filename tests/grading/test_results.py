"""Findings are recorded after SaveAutoGrades, or grading does not start (fast, no kernel)."""

from __future__ import annotations

import pytest
from nbgrader.preprocessors import SaveAutoGrades
from traitlets.config import Config

from course.grading.execute import GradingExecute
from course.grading.protocol import GraderFailure
from course.grading.results import RecordFindings


def _execute(preprocessors: list | None) -> GradingExecute:
    config = Config()
    if preprocessors is not None:
        config.Autograde.autograde_preprocessors = preprocessors
    return GradingExecute(config=config)


@pytest.mark.parametrize(
    "preprocessors",
    [
        [GradingExecute, SaveAutoGrades],  # an older nbgrader_config.py
        [GradingExecute, RecordFindings, SaveAutoGrades],  # recorded before the scores exist
    ],
)
def test_grading_without_the_recorder_after_the_scores_is_a_grader_failure(preprocessors: list) -> None:
    with pytest.raises(GraderFailure, match="RecordFindings after SaveAutoGrades"):
        _execute(preprocessors)._require_recorder()


@pytest.mark.parametrize("preprocessors", [[GradingExecute, SaveAutoGrades, RecordFindings], None])
def test_the_course_configuration_and_direct_use_are_accepted(preprocessors: list | None) -> None:
    _execute(preprocessors)._require_recorder()


def test_the_course_configuration_lists_the_recorder_after_the_scores() -> None:
    from conftest import ROOT
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    names = [p.__name__ for p in config.Autograde.autograde_preprocessors]
    assert names.index("RecordFindings") > names.index("SaveAutoGrades") > names.index("GradingExecute")
