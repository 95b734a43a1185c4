"""The `boxoffice` console script, run for real as a subprocess against the test database
(conftest has put DATABASE_URL/REDIS_URL/SECRET_KEY in os.environ, and children inherit it)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from boxoffice import db
from boxoffice.auth import read_token, verify_api_key
from devtools.devserver import supervise
from devtools.localsvc import create_database

BIN = str(Path(sys.executable).parent / "boxoffice")


def boxoffice(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BIN, *args], env=dict(os.environ), capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_help_exits_zero() -> None:
    proc = boxoffice("--help")
    assert proc.returncode == 0, proc.stderr
    for command in ("migrate", "seed-demo", "serve", "worker", "apikey", "token", "dev"):
        assert command in proc.stdout


def test_unknown_command_fails() -> None:
    assert boxoffice("no-such-command").returncode != 0


def test_migrate_is_idempotent() -> None:
    for _ in range(2):
        proc = boxoffice("migrate")
        assert proc.returncode == 0, proc.stderr


async def test_apikey_create_prints_a_working_key(clean: None) -> None:
    proc = boxoffice("apikey", "create", "--name", "x")
    assert proc.returncode == 0, proc.stderr
    key = proc.stdout.splitlines()[-1]
    assert key and key == key.strip()
    client = await verify_api_key(key)
    assert client is not None and client.name == "x"
    assert await verify_api_key(key + "-tampered") is None


async def test_token_prints_one_valid_token_per_email_in_order(clean: None) -> None:
    proc = boxoffice("token", "a@x.com", "b@x.com")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2
    users = [read_token(line) for line in lines]
    assert [u.email if u else None for u in users] == ["a@x.com", "b@x.com"]
    rows = await db.pool().fetch("SELECT id, email FROM app_user ORDER BY email")
    assert [(r["id"], r["email"]) for r in rows] == [(u.id, u.email) for u in users if u]

    again = boxoffice("token", "a@x.com").stdout.splitlines()
    user = read_token(again[0])
    assert user is not None and users[0] is not None and user.id == users[0].id


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                            process_group=0)


def test_supervise_stops_the_other_child_and_reports_the_failure() -> None:
    dying = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"], process_group=0)
    survivor = _sleeper()
    assert supervise({"serve": dying, "worker": survivor}) == 3
    assert survivor.poll() is not None


def test_supervise_forwards_ctrl_c_and_exits_zero() -> None:
    script = (
        "import subprocess, sys\n"
        "from devtools.devserver import supervise\n"
        "kids = {n: subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " process_group=0) for n in ('serve', 'worker')}\n"
        "print(*(p.pid for p in kids.values()), flush=True)\n"
        "raise SystemExit(supervise(kids))\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pids = [int(p) for p in parent.stdout.readline().split()]
    time.sleep(0.3)  # let it install its handlers
    parent.send_signal(signal.SIGINT)
    assert parent.wait(timeout=15) == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_dev_serves_graphql_with_the_printed_credentials() -> None:
    # its own database: `dev` seeds and mints keys, and must not race the session's truncates
    dev_db = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/boxoffice_test_dev"
    create_database(dev_db)
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        BIN, "dev", "--port", str(port), env={**os.environ, "DATABASE_URL": dev_db},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdout is not None
    stdout = proc.stdout
    found: dict[str, str] = {}

    async def read_banner() -> None:
        while {"API key", "token"} - found.keys():
            line = (await stdout.readline()).decode().strip()
            assert line or not stdout.at_eof(), "boxoffice dev exited before its banner"
            for label in ("API key", "token"):
                if line.startswith(label + " "):
                    found[label] = line.split()[-1]

    async def drain() -> None:  # keep reading, so a chatty child never blocks on a full pipe
        while await stdout.read(65536):
            pass

    try:
        await asyncio.wait_for(read_banner(), timeout=60)
        drainer = asyncio.create_task(drain())
        user = read_token(found["token"])
        assert user is not None and user.email == "demo@example.com"

        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):  # uvicorn starts after the banner
                try:
                    resp = await client.post(
                        "/graphql", json={"query": "{ __typename }"},
                        headers={"X-API-Key": found["API key"]})
                    break
                except httpx2.TransportError:
                    await asyncio.sleep(0.2)
            assert resp.status_code == 200, resp.text
            assert resp.json()["data"] == {"__typename": "Query"}

        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), timeout=20) == 0
        await drainer
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
