"""Helpers for the realtime tests: uvicorn processes, gql websocket subscribers, HTTP calls."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx2
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[2]
BIN = str(Path(sys.executable).parent / "boxoffice")
CLUSTER_READY = re.compile(r"cluster ready http://127\.0\.0\.1:(\d+)/graphql api-ports ([\d ]+)")

SEAT_MAP = """subscription S($showId: ID!) { seatMap(showId: $showId) {
  showId version changes { label status }
  snapshot { showId version free held booked seats { label status } } } }"""

# fast health checks, so a severed connection is noticed within a second or two
FAST_REALTIME = {"REALTIME_HEARTBEAT_SECONDS": "0.25", "REALTIME_HEARTBEAT_TIMEOUT": "1.0",
                 "REALTIME_REFRESH_SECONDS": "1.0", "RATE_LIMITS": "off"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextlib.contextmanager
def uvicorn(extra_env: dict[str, str] | None = None, port: int | None = None) -> Iterator[Server]:
    """`python -m uvicorn boxoffice.asgi:app` with the test environment; waits for /readyz."""
    port = port or free_port()
    log = Path(tempfile.mkstemp(prefix=f"uvicorn-{port}-", suffix=".log")[1])
    env = {**os.environ, **FAST_REALTIME, **(extra_env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "boxoffice.asgi:app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--no-access-log"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    server = Server(port, proc, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start:\n{server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if not os.environ.get("REALTIME_TEST_KEEP_LOGS"):
            log.unlink(missing_ok=True)


async def graphql(url: str, api_key: str, query: str, variables: dict[str, Any] | None = None,
                  token: str | None = None) -> dict[str, Any]:
    headers = {"X-API-Key": api_key}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx2.AsyncClient(timeout=10) as client:
        resp = await client.post(url, json={"query": query, "variables": variables or {}},
                                 headers=headers)
    body: dict[str, Any] = resp.json()
    assert not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


class HasWebsocket(Protocol):
    """Anything that serves GraphQL over websockets (a test uvicorn, an acceptance process)."""

    @property
    def ws(self) -> str: ...


def transport(server: HasWebsocket, init_payload: dict[str, Any]) -> WebsocketsTransport:
    # gql offers the legacy graphql-ws protocol first unless told otherwise (docs/stack.md)
    return WebsocketsTransport(url=server.ws, init_payload=init_payload,
                               subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])


@dataclass
class World:
    """An API key and a few users' tokens, fresh for a test."""

    key: str
    tokens: list[str]

    def init(self, token: str | None = None) -> dict[str, str]:
        """A connection_init payload."""
        payload = {"apiKey": self.key}
        if token:
            payload["authorization"] = f"Bearer {token}"
        return payload


@dataclass
class Subscription:
    """One gql subscription running in the background; its results land in `events`."""

    events: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    error: BaseException | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def next(self, within: float = 5.0) -> dict[str, Any]:
        getter = asyncio.ensure_future(self.events.get())
        finished = asyncio.ensure_future(self.done.wait())
        await asyncio.wait({getter, finished}, timeout=within,
                           return_when=asyncio.FIRST_COMPLETED)
        finished.cancel()
        if getter.done():
            return getter.result()
        getter.cancel()
        if self.error is not None:
            raise self.error
        raise TimeoutError(f"no event within {within:.1f}s (done={self.done.is_set()})")


@contextlib.asynccontextmanager
async def subscribed(server: HasWebsocket, init_payload: dict[str, Any], query: str,
                     variables: dict[str, Any]) -> AsyncIterator[Subscription]:
    sub = Subscription()
    async with Client(transport=transport(server, init_payload)) as session:

        async def run() -> None:
            try:
                async for result in session.subscribe(
                        GraphQLRequest(query, variable_values=variables)):
                    sub.events.put_nowait(result)
            except Exception as exc:
                sub.error = exc
            finally:
                sub.done.set()

        task = asyncio.create_task(run())
        try:
            yield sub
        finally:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def hub_connection_ids(redis: Redis, pid: int) -> list[str]:
    """CLIENT LIST ids of a process's hub pub/sub connections (named by pid)."""
    clients = await redis.client_list(_type="pubsub")
    return [c["id"] for c in clients if c.get("name") == f"boxoffice-hub-{pid}"]


async def sever_hub(redis: Redis, pid: int) -> int:
    """Kill one process's hub subscriber connections only (other users of this Redis are
    untouched, unlike CLIENT KILL TYPE pubsub): what a network cut looks like to it."""
    killed = 0
    for cid in await hub_connection_ids(redis, pid):
        killed += int(await redis.execute_command("CLIENT", "KILL", "ID", cid))
    return killed


@dataclass
class Launched:
    """A running `boxoffice cluster`: nginx's port, the API processes' ports, its log."""

    proc: subprocess.Popen[bytes]
    port: int
    api_ports: list[int]
    log: Path


@contextlib.contextmanager
def boxoffice_cluster(run_dir: Path, env: dict[str, str], *, api: int, workers: int,
                      within: float = 60) -> Iterator[Launched]:
    """`boxoffice cluster` (nginx + honcho) on free ports; yields once it printed `cluster
    ready` (every process answers /readyz), stops it afterwards."""
    log = run_dir / "cluster.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [BIN, "cluster", "--api", str(api), "--workers", str(workers), "--port", "0",
             "--run-dir", str(run_dir)],
            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + within
        while not (found := CLUSTER_READY.search(log.read_text(errors="replace"))):
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, f"cluster not ready within {within:.0f} s"
            time.sleep(0.2)
        yield Launched(proc, int(found.group(1)), [int(p) for p in found.group(2).split()], log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
