# Thin targets; the work lives in the `course` package and the tests.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-stamp
PORT   ?= 8888
# nbgrader runs some tools (alembic) by name: the venv's come first.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup system-deps lab test test-fast release demo bench doctor

# Idempotent: reinstalls only when requirements.txt or pyproject.toml changed.
setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make setup: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/jupyter labextension list 2>&1 | grep -q "nbgrader.*enabled.*OK" || { echo "the nbgrader lab extension is not enabled"; exit 1; }
	@touch $(STAMP)
	@echo "setup done: $(BIN)/python"

# JupyterLab on the course, the welcome notebook in front (settings: jupyter_lab_config.py).
# More options through LAB_ARGS, e.g. make lab LAB_ARGS="--no-browser --allow-root" in a container.
lab: setup
	$(BIN)/course data >/dev/null
	$(BIN)/jupyter lab --config="$(CURDIR)/jupyter_lab_config.py" --port=$(PORT) $(LAB_ARGS)

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not browser and not postgres"

release: setup
	$(BIN)/course release

demo: setup
	$(BIN)/course demo

bench: setup
	$(BIN)/python benchmarks/grading.py

doctor: setup
	$(BIN)/course doctor

# Debian packages for the browser, sandbox and PostgreSQL tests (needs root or sudo).
system-deps:
	bash scripts/system-deps.sh
