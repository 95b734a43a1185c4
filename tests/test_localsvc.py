"""Project-local Postgres and Redis: the path `make test` and `boxoffice dev` take on a machine
with nothing on 5432/6379. The services run on their own ports (55432/56379), so this works
next to the system ones without stopping them."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import asyncpg
import pytest
import redis

from devtools import localsvc


def _require_binaries() -> None:
    # make test runs on machines with the Debian postgresql and redis-server packages: their
    # absence is a broken setup, reported as a failure, never a silent skip
    assert localsvc.have_postgres_binaries() and localsvc.have_redis_binary(), \
        "no Postgres or redis-server binaries on this machine"


async def _select_one(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT 1"))
    finally:
        await conn.close()


async def _drop_database(url: str, dbname: str) -> None:
    conn = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
    finally:
        await conn.close()


def test_local_postgres_and_redis_start_answer_and_stop() -> None:
    _require_binaries()
    # stop only what this test started: a dev server or this very session may be using them
    pg_was_up = localsvc.postgres_answers(localsvc.PG_PORT)
    redis_was_up = localsvc.redis_answers(localsvc.REDIS_PORT)
    pg_was_made = localsvc.pg_data_dir().exists()
    dbname = "boxoffice_localsvc_check"

    url = localsvc.ensure_postgres(dbname)
    assert url == f"postgresql://postgres@127.0.0.1:{localsvc.PG_PORT}/{dbname}"
    assert localsvc._run_async(_select_one(url)) == 1
    started = time.monotonic()
    assert localsvc.ensure_postgres(dbname) == url  # idempotent, and cheap when running
    assert time.monotonic() - started < 2.0

    rurl = localsvc.ensure_redis(db=5)
    assert rurl == f"redis://127.0.0.1:{localsvc.REDIS_PORT}/5"
    client = redis.Redis.from_url(rurl)
    try:
        client.set("boxoffice:localsvc", "ok", ex=10)
        assert client.get("boxoffice:localsvc") == b"ok"
    finally:
        client.close()
    assert localsvc.ensure_redis(db=5) == rurl

    if pg_was_up:
        localsvc._run_async(_drop_database(url, dbname))
    else:
        assert localsvc.stop_postgres()
        assert not localsvc.postgres_answers(localsvc.PG_PORT)
        if not pg_was_made:  # a throwaway clone (CI) should not leave a cluster behind
            shutil.rmtree(localsvc.pg_base_dir())
    if not redis_was_up:
        assert localsvc.stop_redis()
        assert not localsvc.redis_answers(localsvc.REDIS_PORT)


@pytest.fixture
def squatter() -> Iterator[int]:
    """A port held by something that speaks neither Postgres nor Redis: it hangs up at once
    (so the probes fail fast instead of waiting out their timeouts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        s.settimeout(0.1)
        stop = threading.Event()

        def hang_up() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    s.accept()[0].close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        yield int(s.getsockname()[1])
        stop.set()
        thread.join()


def test_port_taken_by_something_else_is_a_clear_error(
    squatter: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(localsvc, "PG_PORT", squatter)
    monkeypatch.setattr(localsvc, "REDIS_PORT", squatter)
    with pytest.raises(localsvc.LocalServiceError, match=f"port {squatter}"):
        localsvc.start_postgres()
    with pytest.raises(localsvc.LocalServiceError, match=f"port {squatter}"):
        localsvc.start_redis()


def test_set_urls_always_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@db.invalid/x")
    monkeypatch.setenv("REDIS_URL", "redis://cache.invalid/3")
    localsvc.resolve_environment("ignored", 0)
    assert os.environ["DATABASE_URL"] == "postgresql://someone@db.invalid/x"
    assert os.environ["REDIS_URL"] == "redis://cache.invalid/3"


def test_env_command_prints_shell_exports() -> None:
    # DATABASE_URL/REDIS_URL are set for the session: the command must echo them unchanged
    out = subprocess.run(
        [sys.executable, "-m", "devtools.localsvc", "env"],
        env=dict(os.environ), capture_output=True, text=True, timeout=60, check=True,
    ).stdout.splitlines()
    assert out == [
        f"export DATABASE_URL={os.environ['DATABASE_URL']}",
        f"export REDIS_URL={os.environ['REDIS_URL']}",
    ]
