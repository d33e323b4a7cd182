"""nbgrader settings for the course: read by `nbgrader ...` run at the repository root,
by JupyterLab's nbgrader extension, and by the `course` command."""

import os
from pathlib import Path

c = get_config()  # noqa: F821 - provided by nbgrader/traitlets when this file is loaded

ROOT = Path(__file__).resolve().parent

# COURSE_ID: several courses on one JupyterHub (course hub up --course-id ...).
c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "pytorch-course")
c.CourseDirectory.root = str(ROOT)
# One setting for the gradebook: SQLite next to this file unless COURSE_DB_URL names another
# (for example postgresql://grader@dbhost/course for parallel or multi-machine grading).
c.CourseDirectory.db_url = os.environ.get("COURSE_DB_URL", f"sqlite:///{ROOT / 'gradebook.db'}")
# Files that never travel from source/ to release/ or from a submission to autograded/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]

# What a learner sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Every graded cell has this long to run before it is stopped and scored 0.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# The exchange: where `nbgrader release_assignment` puts assignments, where the Assignments tab
# fetches and submits, and where feedback travels back. nbgrader's default lives under
# /usr/local/share, which a laptop user cannot write, so on one machine it is `.exchange/`
# here, created on first use (mode 777, as nbgrader wants; it holds only course files).
# On JupyterHub set NBGRADER_EXCHANGE, for instructor and students alike, to the shared folder
# the administrator created (see nbgrader's "Setting up the exchange").
# Fetched assignments land in `pytorch-course/NN_topic/` under the folder JupyterLab serves.
LOCAL_EXCHANGE = ROOT / ".exchange"
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE") or str(LOCAL_EXCHANGE)
c.Exchange.path_includes_course = True
if c.Exchange.root == str(LOCAL_EXCHANGE) and not LOCAL_EXCHANGE.is_dir():
    try:
        LOCAL_EXCHANGE.mkdir()
        LOCAL_EXCHANGE.chmod(0o777)
    except OSError:
        pass  # a read-only checkout: `nbgrader release_assignment` reports the problem itself

# --- Grading that survives broken and hostile submissions (course/grading/) ---------------------
# These replace nbgrader's defaults so that plain `nbgrader autograde` and `course autograde` grade
# the same way: kernels in a sandbox (bubblewrap; COURSE_SANDBOX=off|required), a guard in the
# kernel against monkeypatching and frame snooping, dead kernels survived, output capped,
# deleted or edited test cells put back, unreadable or renamed notebooks graded, flags for
# review in the gradebook (Formgrader shows them) and in autograded/<student>/<assignment>.grading.json,
# and feedback that never shows hidden tests.
try:
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    from course.grading.execute import GradingExecute
    from course.grading.intake import SafeNotebookExporter, SafeOverwriteCells
    from course.grading.redact import HideHiddenTests
    from course.grading.results import RecordFindings
except ImportError as _err:  # the course package is not installed: nbgrader's defaults
    import warnings

    warnings.warn(f"course grading protections unavailable ({_err}); using plain nbgrader", stacklevel=1)
else:
    c.Autograde.exporter_class = SafeNotebookExporter
    c.Autograde.pre_convert_hook = "course.grading.intake.find_renamed_notebook"
    c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, SafeOverwriteCells, CheckCellMetadata]
    # nbgrader's passes, with the course's in place of some and one more: GradingExecute runs the
    # cells (its kernels come from the sandbox's provisioner, an entry point of the course
    # package); RecordFindings, once the scores are saved, records what grading found.
    c.Autograde.autograde_preprocessors = [
        GradingExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, RecordFindings,
        AssignLatePenalties, CheckCellMetadata,
    ]
    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
    # Limits of one grading kernel (the cell timeout is c.Execute.timeout above).
    c.GradingExecute.memory_limit_mb = 4096
    c.GradingExecute.cpu_limit_s = 900
    c.GradingExecute.max_processes = 512
    c.GradingExecute.max_cell_output = 100_000
    # Reports beside autograded submissions are the grader's, never the student's.
    c.CourseDirectory.ignore = c.CourseDirectory.ignore + ["*.grading.json"]

# --- Feedback a student and an instructor can scan (course/grading/templates/feedback/) ----------
# A table of exercises at the top (title, score, one-line reason, a link to the cell) in place of
# nbgrader's "Test cell" / "Comment" index, and text that wraps.
try:
    import nbgrader as _nbgrader

    import course.grading as _course_grading
except ImportError:  # the course package is not installed: nbgrader's own feedback page
    pass
else:
    # nbgrader's API insists on the template named "feedback": the course's page is one more file
    # in a "feedback" folder of its own, extending nbgrader's page.
    c.HTMLExporter.template_name = "feedback"
    c.HTMLExporter.template_file = "course_feedback.html.j2"
    c.HTMLExporter.extra_template_basedirs = [
        str(Path(_nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
        str(Path(_course_grading.__file__).parent / "templates"),
    ]

# --- Late submissions ---------------------------------------------------------------------------
# An assignment with a due date (course release NN_topic --due "2026-12-01 17:00", or Formgrader)
# gets nbgrader's late-submission penalty: with "zero", a notebook submitted after the due date
# scores 0 (nbgrader keeps the score and the penalty apart; feedback and `course grades` show
# both). "none" records lateness without a penalty; for another rule (points per hour late...),
# set c.AssignLatePenalties.plugin_class to a subclass of nbgrader.plugins.LateSubmissionPlugin.
c.LateSubmissionPlugin.penalty_method = "zero"
