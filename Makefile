# One entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STACK       := deploy/local/stack
# The scenario replayed by `make run` (see `claims run --help`).
SCENARIO    ?= jakarta-2016
SEED        ?= 2016
# 0.1 = a 10% sample of every cohort and claim count (under a minute on 2 cores); SCALE=1 is the
# full Jakarta population (1.23 million events; 5 minutes with WORKERS=2 on 2 cores).
SCALE       ?= 0.1
# Months of contributions replayed per claimant (JP and PU JHT claimants get their full history).
MONTHS      ?= 6
# Worker processes of `make run` (one consumer group; 2 share the 2 cores of the dev machine well).
WORKERS     ?= 1

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,rocksdb]'
	touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Create the virtualenv and install the project with its dev tools

.PHONY: up
up: venv ## Start the local Kafka + PostgreSQL (skips what KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL point elsewhere)
	@# The stack prints its settings for eval; with SECURE=1 they hold the worker's SASL password,
	@# which must not land in a terminal scrollback or a CI log (`deploy/local/stack env` has it).
	PYTHON=$(PY) $(STACK) up | sed -E 's/^(KAFKA_SASL_PASSWORD=).*/\1********** (deploy\/local\/stack env prints it)/; s#(://[^:/@]+:)[^@]*@#\1***@#'

.PHONY: tools
tools: ## Install promtool and prometheus (Debian package) and the AsyncAPI CLI (npm, tools/asyncapi)
	$(STACK) tools

# The AsyncAPI CLI without its anonymous usage metrics (no network at run time) or config noise.
ASYNCAPI := ASYNCAPI_METRICS_CONFIG_PATH=$(CURDIR)/tools/asyncapi/analytics.json SUPPRESS_NO_CONFIG_WARNING=1 CI=true tools/asyncapi/node_modules/.bin/asyncapi
DOCS_DIR ?= build/asyncapi

.PHONY: dashboards
dashboards: venv ## Generate deploy/grafana/dashboards/claims.json from tools/grafana_dashboard.py (grafana-foundation-sdk)
	$(PY) tools/grafana_dashboard.py

.PHONY: docs
docs: tools ## Render the event catalogue (schemas/asyncapi.yaml) to HTML in build/asyncapi, offline
	$(ASYNCAPI) validate schemas/asyncapi.yaml
	$(ASYNCAPI) generate fromTemplate schemas/asyncapi.yaml ./tools/asyncapi/node_modules/@asyncapi/html-template \
	  -o $(DOCS_DIR) --no-interactive --force-write
	@echo "open $(DOCS_DIR)/index.html"

.PHONY: down
down: ## Stop the local Kafka + PostgreSQL
	$(STACK) down

.PHONY: run
run: up ## Main job: start workers, replay the realistic scenario through Kafka into PostgreSQL, print a summary
	set -a; eval "$$(PYTHON=$(PY) $(STACK) env)"; set +a; \
	$(VENV)/bin/claims run --fresh --scenario $(SCENARIO) --seed $(SEED) --scale $(SCALE) --contribution-months $(MONTHS) --workers $(WORKERS)

.PHONY: lint
lint: venv ## ruff, mypy --strict and the import contracts
	$(VENV)/bin/ruff check services streams claims simulator reference_payment tests bench tools
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict tools/grafana_dashboard.py
	$(VENV)/bin/lint-imports

.PHONY: test
test: lint tools up ## The whole test suite: lint, unit, streams, integration and e2e tiers against the real stack
	set -a; eval "$$(PYTHON=$(PY) $(STACK) env)"; set +a; \
	$(PY) -m pytest

.PHONY: test-faults
test-faults: venv up ## Fault-injection tier only: crashes, outages, stalls and poison through the real stack (tests/faults)
	set -a; eval "$$(PYTHON=$(PY) $(STACK) env)"; set +a; \
	$(PY) -m pytest tests/faults

.PHONY: test-unit
test-unit: venv tools ## Unit tier only (no services needed; promtool for the alert rules)
	$(PY) -m pytest tests/unit tests/streams

# The secured tier: the local Kafka with SASL/SCRAM-SHA-512 over TLS and ACLs (SECURE=1 makes the
# stack's certificates, SCRAM users and ACLs), and the tests that need it. It stops the secured
# broker at the end, so that `make test` finds (or starts) a PLAINTEXT one on the same ports.
SECURE_TESTS ?= tests/integration/test_kafka_security.py tests/e2e/test_secure_pipeline.py

.PHONY: test-secure
test-secure: venv ## Security tier: Kafka SASL_SSL + ACLs on the local stack (SECURE=1), refusals and e2e
	@if [[ -n "$${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then echo "test-secure starts its own secured broker: unset KAFKA_BOOTSTRAP_SERVERS" >&2; exit 2; fi
	SECURE=1 PYTHON=$(PY) $(STACK) up >/dev/null
	rc=0; ( export SECURE=1; set -a; eval "$$(SECURE=1 PYTHON=$(PY) $(STACK) env)"; set +a; \
	  $(PY) -m pytest $(SECURE_TESTS) ) || rc=$$?; \
	SECURE=1 $(STACK) down kafka; exit $$rc

# Kafka lines `make test-kafka-matrix` runs the integration and e2e tiers on (one broker at a time).
KAFKA_MATRIX ?= 4.4.0 3.9.2

.PHONY: test-kafka-matrix
test-kafka-matrix: venv ## Integration and e2e tiers on every Kafka in KAFKA_MATRIX (default: 4.4.0 and 3.9.2)
	@if [[ -n "$${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then echo "test-kafka-matrix starts its own brokers: unset KAFKA_BOOTSTRAP_SERVERS" >&2; exit 2; fi
	for v in $(KAFKA_MATRIX); do \
	  echo "== Kafka $$v"; \
	  KAFKA_VERSION=$$v $(STACK) down; \
	  KAFKA_VERSION=$$v PYTHON=$(PY) $(STACK) up >/dev/null; \
	  ( set -a; eval "$$(KAFKA_VERSION=$$v PYTHON=$(PY) $(STACK) env)"; set +a; \
	    KAFKA_VERSION=$$v $(PY) -m pytest tests/integration tests/e2e -q ); \
	done
	$(STACK) down

.PHONY: bench
bench: up ## Benchmarks: figures beside the raw limits measured in the same run (medians)
	set -a; eval "$$(PYTHON=$(PY) $(STACK) env)"; set +a; \
	$(PY) bench/run_all.py

.PHONY: clean
clean: down ## Stop the stack and remove local state (.local) and the virtualenv
	rm -rf .local $(VENV)
