#!/usr/bin/env bash
# Run boxoffice on this machine: `scripts/run.sh` (= `make run`) bootstraps .venv and starts
# `boxoffice dev` (local Postgres and Redis when DATABASE_URL/REDIS_URL are unset, migrate,
# seed, serve + worker). Extra arguments go to `boxoffice dev` (e.g. --port 9000).
# `scripts/run.sh --venv-only` just bootstraps .venv; test.sh and the Makefile use that.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv
STAMP="$VENV/.boxoffice-installed"

bootstrap_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "boxoffice needs Python 3.11+; set PYTHON=/path/to/python3.11" >&2
            exit 1
        fi
        echo "creating $VENV with $("$PYTHON" --version)" >&2
        "$PYTHON" -m venv "$VENV"
        rm -f "$STAMP"
    fi
    # reinstall only when pyproject.toml changed: compare content, not mtimes, which a
    # fresh clone or a checkout resets
    local want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
        echo "installing boxoffice and its dev dependencies into $VENV" >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
        echo "$want" > "$STAMP"
    fi
}

bootstrap_venv
if [ "${1:-}" = "--venv-only" ]; then
    exit 0
fi
export BOXOFFICE_ENV=dev  # a first run on one machine: the built-in SECRET_KEY is fine
exec "$VENV/bin/boxoffice" dev "$@"
