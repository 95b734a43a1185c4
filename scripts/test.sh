#!/usr/bin/env bash
# `scripts/test.sh [pytest args…]` (= `make test`, and what CI runs): bootstrap .venv, ruff,
# pytest. Postgres and Redis: DATABASE_URL/REDIS_URL when set; else the standard local
# servers when they answer; else project-local ones on 127.0.0.1:55432/56379, which
# tests/conftest.py starts through devtools.localsvc (and leaves running for the next run).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/run.sh --venv-only

# lint and tests both run, so one failure does not hide the other; either fails the run
echo "== ruff check"
lint=0
.venv/bin/ruff check . || lint=$?

echo "== pytest"
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    # pytest's "no tests collected" is not a pass: a typo in -k must not turn CI green
    echo "pytest collected no tests: failing" >&2
    status=1
fi
if [ "$lint" -ne 0 ]; then
    echo "ruff found problems: failing" >&2
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
