# Every target that runs project code first runs scripts/setup.sh, which finds a Python >= 3.12,
# creates .venv and installs the project into it (a no-op when nothing changed).
#
#   make run   [ARGS="..."]         set up, then run the main job (run.py)
#   make test  [PYTEST_ARGS="..."]  set up, then run every test on both cores (pytest-xdist); fails if pytest
#                                   collects no tests (first installs Debian chromium for the page tests if it
#                                   is missing); PYTEST_ARGS='-m "not e2e"' runs the in-process suite only
#   make lint                       set up, then ruff check .
#   make bench                      set up, then run benchmarks/bench_run.py, bench_scale.py and bench_batch.py
#                                   (docs/benchmarks.md; the 10,000-run batch makes it 10-15 minutes)
#   make fuzz  [FUZZ_EXAMPLES=N]    set up, then fuzz the scenario, map, sweep and saved-game loaders with N mutated
#                                   files each (default 2000, about 20 minutes); prints accepted/refused counts
#   make clean                      remove caches and build artefacts (keeps .venv and out/)
#   make distclean                  clean, and also remove .venv and out/
#
# PYTHON=/path/to/python3.12 make ...  picks the interpreter used to create .venv.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV_PY := .venv/bin/python
ARGS ?=
PYTEST_ARGS ?=
FUZZ_EXAMPLES ?= 2000

.PHONY: help setup run test lint bench fuzz clean distclean

help:
	@sed -n 's/^#   make/make/p' $(firstword $(MAKEFILE_LIST))

setup:
	@bash scripts/setup.sh

run: setup
	$(VENV_PY) run.py $(ARGS)

# pytest exits 5 when it collects no tests: that is a failure too (any non-zero exit fails make).
test: setup
	@bash scripts/install_browser.sh
	@rc=0; $(VENV_PY) -m pytest -n 2 $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5): counted as a failure" >&2; fi; \
	exit $$rc

lint: setup
	$(VENV_PY) -m ruff check .

bench: setup
	$(VENV_PY) benchmarks/bench_run.py
	$(VENV_PY) benchmarks/bench_scale.py
	$(VENV_PY) benchmarks/bench_batch.py

fuzz: setup
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV_PY) -m pytest tests/test_fuzz.py --hypothesis-show-statistics

clean:
	rm -rf build/ .pytest_cache/ .ruff_cache/ .hypothesis/
	find . -path ./.venv -prune -o -path ./.git -prune -o \
		\( -name __pycache__ -o -name '*.egg-info' \) -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf .venv/ out/
