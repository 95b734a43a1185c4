"""Black-box plumbing for the acceptance suite: the real `boxoffice` console script as
subprocesses, HTTP over httpx2 and websockets over gql (graphql-transport-ws).

Nothing here imports the application: every check goes through what a client or an operator
sees (CLI output, HTTP status codes, headers, GraphQL answers), as the contract describes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

# re-exported: the acceptance tests subscribe with the realtime tests' client
from tests.realtime.support import Subscription as Subscription
from tests.realtime.support import subscribed as subscribed
from tests.realtime.support import transport as transport

BIN = str(Path(sys.executable).parent / "boxoffice")
ROOT = Path(__file__).resolve().parents[2]
# the suite's own database and settings, laid over os.environ for every child (conftest fills it)
BASE_ENV: dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `boxoffice ARGS…` with the suite's environment (plus `env`)."""
    return subprocess.run([BIN, *args], env={**os.environ, **BASE_ENV, **(env or {})},
                          capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT)


def cli_ok(*args: str, env: dict[str, str] | None = None) -> str:
    proc = cli(*args, env=env)
    assert proc.returncode == 0, f"boxoffice {' '.join(args)}: {proc.stderr[-3000:]}"
    return proc.stdout


@dataclass
class Process:
    """A long-running `boxoffice serve|worker` child with its output in a file."""

    proc: subprocess.Popen[bytes]
    log: Path
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def http(self) -> str:
        return f"{self.base}/graphql"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not os.environ.get("ACCEPTANCE_KEEP_LOGS"):
            self.log.unlink(missing_ok=True)


def child_env(env: Mapping[str, str | None] | None) -> dict[str, str]:
    """os.environ + BASE_ENV + `env`, where a None value removes the variable."""
    merged = {**os.environ, **BASE_ENV, **(env or {})}
    return {k: v for k, v in merged.items() if v is not None}


def spawn(args: list[str], env: Mapping[str, str | None] | None = None, port: int = 0) -> Process:
    log = Path(tempfile.mkstemp(prefix="acceptance-", suffix=".log")[1])
    with log.open("wb") as out:
        proc = subprocess.Popen([BIN, *args], env=child_env(env), cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)
    return Process(proc, log, port)


def start_server(env: Mapping[str, str | None] | None = None) -> Process:
    """`boxoffice serve` on a free port; returns once /healthz answers 200."""
    port = free_port()
    server = spawn(["serve", "--host", "127.0.0.1", "--port", str(port)],
                   {"LOG_LEVEL": "warning", **(env or {})}, port)
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                return server
        if server.proc.poll() is not None or time.monotonic() > deadline:
            out = server.output()
            server.stop()
            raise RuntimeError(f"boxoffice serve did not start:\n{out}")
        time.sleep(0.2)


@contextlib.contextmanager
def server(env: Mapping[str, str | None] | None = None) -> Iterator[Process]:
    s = start_server(env)
    try:
        yield s
    finally:
        s.stop()


# --- GraphQL over HTTP --------------------------------------------------------------------

DEFAULT = object()


class Api:
    """GraphQL over HTTP against one server, with a default API key."""

    def __init__(self, server: Process, key: str) -> None:
        self.server = server
        self.key = key

    def headers(self, token: str | None, key: Any) -> dict[str, str]:
        headers = {}
        key = self.key if key is DEFAULT else key
        if key:
            headers["X-API-Key"] = key
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def post(self, query: str, variables: dict[str, Any] | None = None,
                   token: str | None = None, key: Any = DEFAULT,
                   timeout: float = 30) -> httpx2.Response:  # noqa: ASYNC109
        async with httpx2.AsyncClient(timeout=timeout) as client:
            return await client.post(self.server.http,
                                      json={"query": query, "variables": variables or {}},
                                      headers=self.headers(token, key))

    async def raw(self, query: str, variables: dict[str, Any] | None = None,
                  token: str | None = None, key: Any = DEFAULT) -> dict[str, Any]:
        resp = await self.post(query, variables, token, key)
        assert resp.status_code < 500, (resp.status_code, resp.text[:2000])
        body: dict[str, Any] = resp.json()
        return body

    async def __call__(self, query: str, variables: dict[str, Any] | None = None,
                       token: str | None = None, key: Any = DEFAULT) -> dict[str, Any]:
        body = await self.raw(query, variables, token, key)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error_code(self, query: str, variables: dict[str, Any] | None = None,
                         token: str | None = None, key: Any = DEFAULT) -> str:
        body = await self.raw(query, variables, token, key)
        assert body.get("errors"), body
        return str(body["errors"][0].get("extensions", {}).get("code"))


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


async def eventually(check: Any, within: float, every: float = 0.1) -> Any:
    """Poll the async `check()` until it returns a truthy value or `within` seconds pass;
    returns the last value (falsy when the deadline passed)."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value or time.monotonic() >= deadline:
            return value
        await asyncio.sleep(every)
