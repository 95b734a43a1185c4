# Entry points for people and CI. Each target bootstraps .venv (scripts/run.sh --venv-only:
# created when missing, reinstalled only when pyproject.toml changed).
#   make run            boxoffice dev: local services if needed, migrate, seed, serve + worker
#   make test ARGS=…    ruff, then pytest (ARGS passed through, e.g. ARGS="-k reserve -x")
#   make lint           ruff + mypy
#   make bench          every benchmarks/<name>.py, as python -m benchmarks.<name>
#   make schema         regenerate frontend_contract/schema.graphql
#   make web            rebuild the committed web app + GraphiQL bundle (boxoffice/static/web)
#   make stop-services  stop the project-local Postgres/Redis (ports 55432/56379)

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: run test lint bench schema venv stop-services web

venv:
	@scripts/run.sh --venv-only

run:
	scripts/run.sh $(ARGS)

test:
	scripts/test.sh $(ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

# Benchmarks get DATABASE_URL/REDIS_URL from the environment, else a dedicated database
# (boxoffice_bench, Redis db 14) on the standard local servers or the project-local ones.
# All run even when one fails; the target fails if any did.
bench: venv
	@$(VENV)/bin/pip install -q -e '.[bench]'
	@if [ -z "$${DATABASE_URL:-}" ] || [ -z "$${REDIS_URL:-}" ]; then \
	    eval "$$($(PY) -m devtools.localsvc env boxoffice_bench 14)"; fi; \
	failed=""; ran=0; \
	for f in benchmarks/*.py; do \
	    name=$$(basename "$$f" .py); \
	    case "$$name" in _*) continue;; esac; \
	    echo "== benchmarks/$$name"; ran=$$((ran + 1)); \
	    $(PY) -m "benchmarks.$$name" || failed="$$failed $$name"; \
	done; \
	if [ "$$ran" -eq 0 ]; then echo "no benchmarks found" >&2; exit 1; fi; \
	if [ -n "$$failed" ]; then echo "failed:$$failed" >&2; exit 1; fi

schema: venv
	$(PY) -m devtools.contract

web:
	cd web && npm ci --no-audit --no-fund && npm run build

stop-services: venv
	$(PY) -m devtools.localsvc stop
