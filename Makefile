# One target per task. `make deploy` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
ENV ?= dev
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
CDK := node_modules/.bin/cdk
# checkov pins an old boto3, so it gets its own hash-locked environment.
CHECKOV := $(TOOLS)/checkov/bin/checkov
# The pinned Node 22 from package.json, ahead of any system Node (jsii needs a supported one).
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install deploy destroy synth diff test update-snapshots lint format bench evaluate progress monitor monitor-images audit integ clean

help:
	@echo "make deploy [ENV=dev|stage|prod]   install everything, then cdk deploy"
	@echo "make test                          install everything, then lint and run the offline tests"
	@echo "make destroy|synth|diff [ENV=...]  the matching cdk command"
	@echo "make evaluate ENV=dev              score the deployed endpoint on the held-out rows"
	@echo "make progress ENV=dev              watch AutoML and the endpoint during make deploy"
	@echo "make monitor ENV=dev               report recent Model Monitor executions and drift"
	@echo "make monitor-images                regenerate the analyzer image table from the SDK"
	@echo "make update-snapshots              refresh the template snapshots after a reviewed change"
	@echo "make lint | format | bench | audit | integ | clean"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen
	@touch $@

node_modules/.installed: package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

$(CHECKOV): tools/checkov/requirements.txt | $(UV)
	$(UV) venv -q --allow-existing --python python3 $(TOOLS)/checkov
	VIRTUAL_ENV=$(TOOLS)/checkov $(UV) pip install -q --require-hashes -r tools/checkov/requirements.txt
	@touch $@

install: .venv/.synced node_modules/.installed $(CHECKOV)

deploy: install
	$(CDK) deploy -c env=$(ENV) --require-approval broadening

destroy: install
	$(CDK) destroy -c env=$(ENV)

synth: install
	$(CDK) synth -c env=$(ENV) --quiet

diff: install
	$(CDK) diff -c env=$(ENV)

lint: .venv/.synced
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: .venv/.synced
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

test: install lint
	$(UV) run --frozen pytest

update-snapshots: install
	$(UV) run --frozen pytest tests/infra/test_snapshots.py tests/integ --snapshot-update

bench: install
	$(UV) run --frozen python tools/bench.py

evaluate: .venv/.synced
	$(UV) run --frozen python -m evaluation --env $(ENV)

monitor: .venv/.synced
	$(UV) run --frozen python -m evaluation monitor --env $(ENV)

progress: .venv/.synced
	$(UV) run --frozen python -m evaluation progress --env $(ENV)

monitor-images: .venv/.synced
	$(UV) run --frozen python tools/model_monitor_images.py

audit: install
	$(UV) export --frozen --no-hashes --format requirements-txt > $(TOOLS)/requirements-audit.txt
	$(UV) run --frozen --with pip-audit==2.10.1 pip-audit --strict -r $(TOOLS)/requirements-audit.txt
	npm audit --omit=optional

integ: install
	tools/integ.sh

clean:
	rm -rf cdk.out .pytest_cache .ruff_cache reports bench-results
