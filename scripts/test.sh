#!/usr/bin/env bash
# `scripts/test.sh [pytest args…]` (= `make test`, and what CI runs): bootstrap .venv, lint,
# then pytest. Postgres and Redis: DATABASE_URL/REDIS_URL when set; else the standard local
# servers when they answer; else project-local ones on 127.0.0.1:55432/56379, which
# tests/conftest.py starts through boxoffice.localsvc (and leaves running for the next run).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/run.sh --venv-only

echo "== ruff"
.venv/bin/ruff check .

echo "== pytest"
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    # pytest's "no tests collected" is not a pass: a typo in -k must not turn CI green
    echo "pytest collected no tests: failing" >&2
    exit 1
fi
exit "$status"
