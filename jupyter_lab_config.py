"""JupyterLab settings for the course, read by `make lab` (`jupyter lab --config=jupyter_lab_config.py`).

JupyterLab opens on the repository with the welcome notebook in front. nbgrader's lab
extension (the Validate button, the Assignments tab, Formgrader) reads nbgrader_config.py
from the folder the server was started in, so the server always starts here, whichever
folder the command was typed in.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when this file is loaded

ROOT = Path(__file__).resolve().parent
WELCOME = "notebooks/00_welcome.ipynb"

# The Chinese edition (COURSE_LANG=zh_CN make lab): JupyterLab's own interface in Chinese (the
# language pack is in requirements.txt; a learner can switch back in Settings → Language), and
# the Chinese welcome notebook in front.
LANG = os.environ.get("COURSE_LANG", "en")
if LANG == "zh_CN":
    WELCOME = "notebooks/zh_CN/00_welcome.ipynb"
    labconfig = ROOT / "locale" / LANG / "jupyterlab"  # labconfig/default_setting_overrides.json: the locale
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(labconfig), os.environ.get("JUPYTER_CONFIG_PATH")]))

os.chdir(ROOT)
c.ServerApp.root_dir = str(ROOT)
# Where http://localhost:PORT/ leads, and the address printed at start: the welcome notebook.
c.LabApp.default_url = f"/lab/tree/{WELCOME}"
# No news pop-up asking to fetch JupyterLab's announcements from the internet.
c.LabApp.news_url = None
# Validate answers with a summary (course/lab.py).
try:
    import course as _course
except ImportError:  # the course package is not installed: stock nbgrader Validate
    pass
else:
    c.ServerApp.jpserver_extensions.update({"course.lab": True})
