"""nbgrader settings for the course: read by `nbgrader ...` run at the repository root,
by JupyterLab's nbgrader extension, and by the `course` command."""

import os
from pathlib import Path

c = get_config()  # noqa: F821 - provided by nbgrader/traitlets when this file is loaded

ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "pytorch-course"
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

# A local exchange folder a normal user can write (the default lives under /usr/local/share).
# On JupyterHub set NBGRADER_EXCHANGE to the shared folder every user can reach.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", str(ROOT / ".exchange"))
c.Exchange.path_includes_course = True
