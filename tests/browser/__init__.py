"""Browser tests: JupyterLab and the nbgrader extension, driven in headless Chromium."""
