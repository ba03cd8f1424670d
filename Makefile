# One target per task. `make deploy` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
ENV ?= dev
# Options for the AWS commands (evaluate, invoke, studio, leaderboard, monitor), e.g.
# ARGS="--profile ml --region eu-west-1".
ARGS ?=
# cdk deploy --require-approval: CI deploys with APPROVAL=never (its approval is the
# protected environment).
APPROVAL ?= broadening
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
CDK := node_modules/.bin/cdk
# checkov pins an old boto3, so it gets its own hash-locked environment.
CHECKOV := $(TOOLS)/checkov/bin/checkov
ENVIRONMENTS := $(shell sed -n 's/^\[\([a-z0-9-]*\)\]$$/\1/p' config/environments.toml)
# The pinned Node 22 from package.json, ahead of any system Node (jsii needs a supported one).
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never
# Installs say nothing unless they fail.
export UV_NO_PROGRESS := 1
# Installs write bytecode: where PYTHONDONTWRITEBYTECODE is set (many CI images), every
# synth and every test worker would otherwise compile aws_cdk's modules from source again,
# seconds each time.
export UV_COMPILE_BYTECODE := 1
QUIET_NPM := --no-audit --no-fund --loglevel=error

# The Python version first, in one line, before anything is installed.
ifneq ($(filter-out help clean clean-reports,$(or $(MAKECMDGOALS),help)),)
ifneq ($(shell python3 -c 'import sys; print(sys.version_info >= (3, 11))' 2>/dev/null),True)
$(error python3 is "$(shell python3 --version 2>&1 | head -1)"; this project needs Python 3.11 or newer first on PATH as python3 (python.org, pyenv or your package manager))
endif
endif

.PHONY: help install install-runtime preflight bootstrap deploy destroy restore synth diff test \
	update-snapshots lint format bench evaluate progress invoke studio leaderboard monitor \
	batch-predict drift-check audit integ integ-clean cost clean clean-reports

help:
	@echo "make deploy [ENV=...]              check AWS credentials, install what deploy needs, cdk deploy"
	@echo "make test                          install everything, then lint and run the offline tests"
	@echo "make bootstrap [ENV=...]           cdk bootstrap the environment's account and region (once)"
	@echo "make destroy|synth|diff [ENV=...]  the matching cdk command (synth needs no credentials)"
	@echo "make restore ENV=prod              bring a destroyed environment back with the data it kept"
	@echo "make studio ENV=dev                open Studio as the default user (presigned URL)"
	@echo "make invoke ENV=dev                send one held-out row to the endpoint, show the CLI call"
	@echo "make leaderboard ENV=dev           AutoML candidates by objective, and where the reports are"
	@echo "make evaluate ENV=dev              score the deployed endpoint on the held-out rows"
	@echo "make progress ENV=dev              watch AutoML and the endpoint during make deploy"
	@echo "make monitor ENV=dev               recent monitoring runs, drifted features, model quality"
	@echo "  ... ARGS=\"--profile NAME --region REGION\" passes AWS options to the six above"
	@echo "make batch-predict ENV=dev INPUT=f.csv  batch transform of a local or s3:// CSV (OUTPUT=, ARGS= too)"
	@echo "make drift-check BASELINE=train.csv TARGET=y CAPTURE=dir [GROUND_TRUTH=dir]"
	@echo "                                   the monitor's analysis on local capture files"
	@echo "make cost                          what each environment costs per day while deployed"
	@echo "make update-snapshots              refresh the template snapshots after a reviewed change"
	@echo "make integ | integ-clean           real-account integration test / remove its leftovers"
	@echo "make lint | format | bench | audit | clean | clean-reports"
	@echo "environments (config/environments.toml): $(ENVIRONMENTS)"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Everything: the app, the test and lint tools, the evaluation libraries.
.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

# Only what synth and deploy import (the app's dependencies and boto3, whose botocore data
# files validate regions and instance types). --inexact keeps a full install intact.
.venv/.runtime: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --quiet --inexact --no-default-groups --group aws
	@touch $@

node_modules/.installed: package-lock.json package.json
	npm ci $(QUIET_NPM)
	@touch $@

$(CHECKOV): tools/checkov/requirements.txt | $(UV)
	$(UV) venv -q --allow-existing --python python3 $(TOOLS)/checkov
	VIRTUAL_ENV=$(TOOLS)/checkov $(UV) pip install -q --require-hashes -r tools/checkov/requirements.txt
	@touch $@

install: .venv/.synced node_modules/.installed $(CHECKOV)

install-runtime: .venv/.runtime node_modules/.installed

# Credentials and region, checked with boto3 alone before the CDK is installed or run.
preflight: | $(UV)
	@$(UV) run --frozen --quiet --only-group aws python tools/preflight.py --env $(ENV)

bootstrap: preflight install-runtime
	$(CDK) bootstrap -c env=$(ENV)

deploy: preflight install-runtime
	$(CDK) deploy -c env=$(ENV) --require-approval $(APPROVAL)

destroy: preflight install-runtime
	$(CDK) destroy -c env=$(ENV)

# A destroyed environment with removal_policy = "retain": import its retained bucket, log
# bucket and key into a new stack (cdk import), then deploy the rest.
restore: preflight install-runtime
	@$(UV) run --frozen --quiet --no-default-groups --group aws python -m tools.restore \
		--env $(ENV) --cdk $(CDK) --approval $(APPROVAL)

synth: install-runtime
	$(CDK) synth -c env=$(ENV) --quiet

diff: preflight install-runtime
	$(CDK) diff -c env=$(ENV)

lint: .venv/.synced
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy

format: .venv/.synced
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

test: install lint
	$(UV) run --frozen pytest

# Serially: syrupy skips its unused-snapshot check when the run is split across workers.
update-snapshots: install
	$(UV) run --frozen pytest -n 0 tests/stacks/test_snapshots.py tests/integ --snapshot-update

bench: install
	$(UV) run --frozen python tools/bench.py

# boto3, the sagemaker SDK and matplotlib; the test and lint tools stay out.
EVALUATE := $(UV) run --frozen --quiet --no-default-groups --group evaluate python -m cli

evaluate: | $(UV)
	@$(EVALUATE) --env $(ENV) $(ARGS)

monitor: | $(UV)
	@$(EVALUATE) monitor --env $(ENV) $(ARGS)

# A batch transform job on the stack's model; the joined CSV goes to OUTPUT, by default
# reports/<env>/batch-<job name>.csv.
batch-predict: | $(UV)
	@$(EVALUATE) batch-predict --env $(ENV) --input "$(INPUT)" $(if $(OUTPUT),--output "$(OUTPUT)" )$(ARGS)

# The monitoring function's analysis on local files, with the standard library alone.
POSITIVE_CLASS ?= yes
RESPONSE_KEYS ?= predicted_label,probability
drift-check:
	@python3 tools/drift_check.py --baseline "$(BASELINE)" --target "$(TARGET)" \
		--capture "$(CAPTURE)" --ground-truth "$(GROUND_TRUTH)" \
		--positive-class "$(POSITIVE_CLASS)" --response-keys "$(RESPONSE_KEYS)"

# These three need boto3 only.
invoke studio leaderboard: | $(UV)
	@$(UV) run --frozen --quiet --only-group aws python -m cli $@ --env $(ENV) $(ARGS)

# Idle cost per day of each environment's endpoint, from config/environments.toml.
cost: | $(UV)
	@$(UV) run --frozen --quiet --no-default-groups --group aws python tools/idle_cost.py

# In a second terminal during make deploy: boto3 and rich (the evaluate group).
progress: | $(UV)
	@$(EVALUATE) progress --env $(ENV) $(ARGS)

audit: install
	$(UV) export --frozen --no-hashes --format requirements-txt > $(TOOLS)/requirements-audit.txt
	$(UV) run --frozen --with pip-audit==2.10.1 pip-audit --strict -r $(TOOLS)/requirements-audit.txt
	npm audit --omit=optional

# The integ app's stacks go to the account and region of your AWS configuration.
integ: preflight install-runtime
	tools/integ.sh

integ-clean: preflight install-runtime
	tools/integ.sh clean

# reports/ holds evaluation and monitor results: `make clean-reports` removes them.
clean:
	rm -rf cdk.out .pytest_cache .ruff_cache bench-results

clean-reports:
	rm -rf reports
