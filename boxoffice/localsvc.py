"""Project-local Postgres and Redis for a first run and for tests on a machine without them.

Preference order: `DATABASE_URL`/`REDIS_URL` when set; else services already listening on the
standard local ports; else project-local ones started from system binaries into `.boxoffice/`;
else the optional pip wheels (`pip install -e .[embedded]`).
"""

from __future__ import annotations

import os
import socket


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def resolve_test_environment() -> None:
    """Point the test session at a Postgres and a Redis, starting local ones if needed."""
    if not os.environ.get("DATABASE_URL"):
        if _listening("127.0.0.1", 5432):
            os.environ["DATABASE_URL"] = "postgresql://postgres@127.0.0.1:5432/boxoffice_test"
        else:
            os.environ["DATABASE_URL"] = ensure_postgres(dbname="boxoffice_test")
    if not os.environ.get("REDIS_URL"):
        if _listening("127.0.0.1", 6379):
            os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"
        else:
            os.environ["REDIS_URL"] = ensure_redis(db=15)
    os.environ.setdefault("SECRET_KEY", "test-secret")


def ensure_postgres(dbname: str = "boxoffice") -> str:
    raise RuntimeError("no Postgres reachable and local bring-up not implemented yet")


def ensure_redis(db: int = 0) -> str:
    raise RuntimeError("no Redis reachable and local bring-up not implemented yet")
