# Thin targets; the work lives in the `course` package and the tests.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-stamp
PORT   ?= 8888
# pip's own notices about the machine's package indexes are not the course's: errors still show.
PIP_QUIET ?= --quiet --quiet
# As root (a container), JupyterLab refuses to start without --allow-root, and there is no browser to open.
AS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)
ROOT_ARGS := $(if $(AS_ROOT),$(if $(findstring --allow-root,$(LAB_ARGS)),,--allow-root) $(if $(findstring --no-browser,$(LAB_ARGS)),,--no-browser))
PORT_ARG := $(if $(findstring --port,$(LAB_ARGS)),,--port=$(PORT))
# nbgrader runs some tools (alembic) by name: the venv's come first.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup system-deps lab test test-fast release demo bench doctor hub hub-stop mutation

# Idempotent: reinstalls only when requirements.txt or pyproject.toml changed.
setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make setup: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11'"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip
	$(BIN)/python -m pip install $(PIP_QUIET) -r requirements.txt
	$(BIN)/python -m pip install $(PIP_QUIET) --no-deps --no-build-isolation -e .
	$(BIN)/jupyter labextension list 2>&1 | grep -q "nbgrader.*enabled.*OK" || { echo "the nbgrader lab extension is not enabled"; exit 1; }
	@touch $(STAMP)
	@echo "setup done: $(BIN)/python"

# JupyterLab on the course, the welcome notebook in front (settings: jupyter_lab_config.py).
# make lab PORT=9000 picks the port; more options through LAB_ARGS, e.g. LAB_ARGS="--ip=0.0.0.0".
lab: setup
	$(BIN)/course data >/dev/null
	@$(if $(AS_ROOT),echo "make lab: running as root (a container?): added --allow-root --no-browser; open the address printed below")
	$(BIN)/jupyter lab --config="$(CURDIR)/jupyter_lab_config.py" $(PORT_ARG) $(ROOT_ARGS) $(LAB_ARGS)

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

# Mutation testing (mutmut) of the checks, the device helpers and the grader (course/grading/) against
# their fast in-process tests; writes benchmarks/mutation.md (a score per module, the grader's as a
# whole) and fails when one misses its target or a survivor is unexplained. One module at a time,
# keeping the other results: make mutation MUTANTS='course.grading.lms.*'. After new tests, run again
# every mutant not yet killed (mutmut itself re-runs those of functions that changed): make mutation RECHECK=1
mutation: setup
	$(if $(MUTANTS)$(RECHECK),,rm -rf mutants)
	$(BIN)/mutmut run $(MUTANTS) $(if $(RECHECK),$$($(BIN)/python scripts/mutation_report.py --unkilled))
	$(BIN)/python scripts/mutation_report.py

# A JupyterHub for the class on this machine (root): accounts, exchange, Formgrader; see README.
hub: setup
	$(BIN)/course hub up $(HUB_ARGS)

hub-stop: setup
	$(BIN)/course hub down

# Debian packages for the browser, sandbox and PostgreSQL tests (needs root or sudo).
system-deps:
	bash scripts/system-deps.sh
