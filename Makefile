# Vigía — what the README calls. `make demo` and `make test` work on a fresh machine: they create
# the virtual environment from the lock file first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help install demo test test-fast lint typecheck bench compile clean-workspace

help:  ## list targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip install --python $(BIN)/python --quiet --require-hashes -r requirements.lock
	$(UV) pip install --python $(BIN)/python --quiet --no-deps -e .
	@touch $@

install: $(STAMP)  ## create .venv from requirements.lock and install vigia (editable)

lock:  ## re-resolve requirements.lock from pyproject.toml (exact versions + hashes)
	$(UV) pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --quiet -o requirements.lock

demo: install  ## the main job end to end: data → pipeline → gate → registry → served forecast
	$(BIN)/vigia demo

test: install  ## the whole test suite (what CI runs)
	$(BIN)/pytest -q

test-fast: install  ## tests not marked slow
	$(BIN)/pytest -q -m "not slow"

lint: install  ## ruff + mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy vigia components pipelines serving

compile: install  ## compile pipelines to pipelines/compiled/*.yaml (cluster image)
	$(BIN)/vigia pipeline compile --out pipelines/compiled

bench: install  ## every benchmark (see benchmarks/README.md)
	$(BIN)/python -m benchmarks.run_all

clean-workspace:  ## delete the local workspace (.vigia/)
	rm -rf .vigia
