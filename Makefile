# keras-course: `make demo` sets everything up and grades the demo; `make test` runs the suite.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

# nbgrader calls alembic from the environment's bin; every tool's home stays in the project.
export PATH := $(BIN):$(PATH)
export KERAS_HOME := $(CURDIR)/.cache/keras
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib
export IPYTHONDIR := $(CURDIR)/.cache/ipython
export JUPYTER_CONFIG_DIR := $(CURDIR)/.cache/jupyter/config
export JUPYTER_DATA_DIR := $(CURDIR)/.cache/jupyter/data
export JUPYTER_RUNTIME_DIR := $(CURDIR)/.cache/jupyter/runtime
export UV_CACHE_DIR := $(CURDIR)/.cache/uv
export TF_CPP_MIN_LOG_LEVEL := 3
# The banknotes come from this mirror folder when it exists (no download needed).
MIRROR := $(abspath $(CURDIR)/../shared/datasets)
ifneq ($(wildcard $(MIRROR)/banknotes.csv),)
export KERAS_COURSE_DATA_MIRROR ?= $(MIRROR)
endif

.PHONY: install sandbox browser demo test test-browser test-all soak mutate mutate-more course bench lint format stubs data calibrate dist clean

# uv installs the TensorFlow wheel and the rest in about 40 s where pip takes about 2 minutes.
# jsonschema imports rfc3987-syntax where it is installed (jupyter-events asks for it), which
# builds a grammar at import: 3 s of CPU in every nbgrader command, for an IRI format that
# notebooks never use; jsonschema works without it (keras_course's own processes skip it too).
SLOW_IMPORTS := rfc3987-syntax

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -e '.[dev]'
	$(BIN)/uv pip uninstall --quiet --python $(BIN)/python $(SLOW_IMPORTS)
	touch $(STAMP)

install: $(STAMP) sandbox browser

# $(call apt_get,TEST,PACKAGE,WHAT NEEDS IT,OTHERWISE): on Linux, where the shell test TEST fails,
# install the Debian PACKAGE with apt-get where it can (as root, as on CI); elsewhere one line says
# what to run (and OTHERWISE, what to do instead).
define apt_get
	@if [ "$$(uname -s)" = Linux ] && ! $(1); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(2) for $(3)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  else \
	    echo "keras-course: $(2) is needed for $(3): run 'sudo apt-get install $(2)'$(4)"; \
	  fi; \
	fi
endef

# Every grading kernel runs in the Linux sandbox, which needs bubblewrap (bwrap).
sandbox:
	$(call apt_get,command -v bwrap >/dev/null,bubblewrap,the sandbox, (or grade with --sandbox off))

# The browser tests (make test-browser) drive Debian's chromium through Playwright, whose own
# browser download does not work everywhere.
CHROMIUM := /usr/bin/chromium
browser:
	$(call apt_get,[ -x $(CHROMIUM) ],chromium,the browser tests,)

data: install
	$(BIN)/keras-course data exercises

# The demo's HTML reports: a report per learner and the class dashboard, demo-reports/index.html.
demo: data
	$(BIN)/keras-course demo --html-dir $(CURDIR)/demo-reports

# The longest tests start first (tests/conftest.py); with worksteal, the other worker takes
# over what is queued behind them.
test: install
	$(BIN)/python -m pytest -n 2 --dist worksteal -p no:cacheprovider -m "not training and not browser"

# The HTML reports in a real browser (tests/test_browser.py): Debian's chromium through Playwright.
test-browser: install
	$(BIN)/python -m pytest -p no:cacheprovider -m browser tests/test_browser.py

test-all: install
	$(BIN)/python -m pytest -n 2 --dist worksteal -p no:cacheprovider

# A class-sized batch through the warm slots (tools/soak.py, not part of `make test`): NOTEBOOKS
# hello_nets notebooks graded by `keras-course grade --jobs 2`, a hostile one of tests/hostile/slots/
# every 50th. It fails unless every honest notebook gets the result it gets alone and nothing of
# the batch is left; it prints the seconds per notebook of the first 100 against the last 100.
NOTEBOOKS ?= 1000
soak: data
	$(BIN)/python tools/soak.py --notebooks $(NOTEBOOKS) --jobs 2

# Mutation testing of the grading logic against the fast tests (not part of `make test`: it takes
# long). mutmut runs in $(MUTATE), where src/ links to graders/ (pyproject.toml [tool.mutmut]
# says why) and mutants/graders to the mutated copy, where the course's files are found. It ends
# with the killed ratio, and fails below 90%; tools/mutation_survivors.md explains the survivors.
# A full run (1,452 mutants) takes about 50 minutes on 2 cores; MUTANTS restricts it to mutmut's names
# or patterns, e.g. make mutate MUTANTS='keras_course.checks.shared.x_expect_compile*'.
MUTATE := .cache/mutate
MUTANTS ?=
define MUTATE_RUN
cd $(MUTATE) && MPLBACKEND=Agg $(BIN)/mutmut run --max-children 2 $(MUTANTS)
cd $(MUTATE) && $(BIN)/mutmut results
cd $(MUTATE) && $(BIN)/mutmut export-cicd-stats >/dev/null
$(BIN)/python tools/mutation_score.py $(MUTATE)/mutants/mutmut-cicd-stats.json
endef
MUTATED_SUM = $(BIN)/python tools/mutation_score.py --mutated-sum
mutate: data
	rm -rf $(MUTATE)
	mkdir -p $(MUTATE)/mutants
	ln -s ../../graders $(MUTATE)/src
	for f in pyproject.toml course.toml datasets exercises solutions tests tools; do ln -s ../../$$f $(MUTATE)/$$f; done
	ln -s src $(MUTATE)/mutants/graders
	$(MUTATED_SUM) > $(MUTATE)/mutated.sum
	$(MUTATE_RUN)

# Go on with a run that stopped (mutmut keeps every verdict in $(MUTATE)): the mutants not tested
# yet, and those named in MUTANTS again, against the tests as they are now. The files mutmut
# mutates must be as they were when `make mutate` began, else the verdicts kept are of other code.
mutate-more: data
	@$(MUTATED_SUM) | cmp -s - $(MUTATE)/mutated.sum || \
	  { echo "keras-course: the mutated files changed since make mutate began, or it never ran: run make mutate"; exit 2; }
	$(MUTATE_RUN)

# The nbgrader course directory of the README's walk-through, with every assignment generated.
course: data
	$(BIN)/keras-course nbgrader course
	cd course && $(BIN)/nbgrader generate_assignment "*" --force

# The side-by-side benchmark (tools/bench.py): LEARNERS learners graded plainly, by keras-course
# --jobs 1 and 2, by nbgrader autograde and on a local Dask cluster; prints the table and writes
# bench.json. The default (4) takes about 15 minutes on 2 cores; 6 took 21. A smoke run: make bench LEARNERS=1
# BENCH_ARGS="--ways plain,jobs1 --exercises hello_nets,counting_parameters,build_as_shown".
LEARNERS ?= 4
bench: install
	$(BIN)/python tools/bench.py --learners $(LEARNERS) --json bench.json $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check graders tests tools datasets
	$(BIN)/ruff format --check graders tests tools datasets

format: install
	$(BIN)/ruff format graders tests tools datasets

stubs: install
	$(BIN)/keras-course stubs

calibrate: install
	$(BIN)/python tools/calibrate.py --seeds 20

# The learner package: dist/keras_course-<version>-py3-none-any.whl, with the course's learner
# files as package data (pyproject.toml lists them) and no solutions or held-out data.
dist: install
	rm -rf build
	$(BIN)/uv build --wheel --out-dir dist
	rm -rf build

clean:
	rm -rf .cache build dist *.egg-info
