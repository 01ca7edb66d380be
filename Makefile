# The set-up commands of the README, in a virtualenv of the project's own (never the system Python's
# site-packages: Debian and others refuse `pip install` there, PEP 668). Every install takes the exact
# versions of requirements.lock; `make lock` refreshes that file.
#
#   make serve      install into .venv, migrate var/helpline.sqlite3, run the development server
#   make test       install with the test extra into .venv, run the whole test suite
#   make install    only install (make install-test: with the test extra)
#   make lint       ruff check, ruff format --check and mypy, as CI runs them
#   make lock       re-resolve requirements.lock to the newest versions pyproject.toml allows
#
# Overridable: PYTHON (the interpreter that creates the venv), VENV (its folder), PYTEST_WORKERS (xdist
# workers, `0` for a single process), PYTEST_ARGS (more pytest arguments), e.g.
#   make test PYTHON=python3.13 VENV=.venv-3.13 PYTEST_ARGS='-k journey'
# Then `. .venv/bin/activate` puts helpline, pytest, ruff and mypy on PATH.

PYTHON ?= python3
VENV ?= .venv
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=
# The tool that writes requirements.lock, pinned so that the file's format does not drift.
UV_VERSION ?= 0.13.9
# `make lock LOCK_UPGRADE=` keeps the current pins and only adds or drops what pyproject.toml changed.
LOCK_UPGRADE ?= --upgrade

LOCK := requirements.lock
BIN := $(VENV)/bin
# Stamps: the venv's packages match requirements.lock and pyproject.toml as of the stamp's time.
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
LOCK_VENV := .venv-lock

.DEFAULT_GOAL := help
.PHONY: help install install-test serve test lint lock

help:
	@sed -n 's/^#   \(make [a-z-]* .*\)/\1/p' $(firstword $(MAKEFILE_LIST))

# A new venv (no system site-packages). Delete $(VENV) to start over, e.g. after changing PYTHON.
$(VENV)/pyvenv.cfg:
	$(PYTHON) -m venv --clear $(VENV)

$(STAMP_RUN): $(LOCK) pyproject.toml $(VENV)/pyvenv.cfg
	$(BIN)/python -m pip install -c $(LOCK) -e .
	touch $@

# The test extra includes everything `make serve` needs: both stamps are then up to date.
$(STAMP_TEST): $(LOCK) pyproject.toml $(VENV)/pyvenv.cfg
	$(BIN)/python -m pip install -c $(LOCK) -e '.[test]'
	touch $@ $(STAMP_RUN)

install: $(STAMP_RUN)
install-test: $(STAMP_TEST)

serve: $(STAMP_RUN)
	$(BIN)/helpline db upgrade
	$(BIN)/helpline serve --dev

test: $(STAMP_TEST)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# One lock for every supported Python (3.11 and newer): --universal writes environment markers where
# the resolution differs (e.g. numpy for 3.11 and for 3.12+).
lock:
	@$(LOCK_VENV)/bin/uv --version 2>/dev/null | grep -qF 'uv $(UV_VERSION)' || { \
	  rm -rf '$(LOCK_VENV)' && $(PYTHON) -m venv '$(LOCK_VENV)' && \
	  $(LOCK_VENV)/bin/python -m pip install --quiet 'uv==$(UV_VERSION)'; }
	$(LOCK_VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --extra test \
	  $(LOCK_UPGRADE) --custom-compile-command 'make lock' pyproject.toml -o $(LOCK)
