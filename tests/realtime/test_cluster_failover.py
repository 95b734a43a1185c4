"""Three API processes behind nginx (`boxoffice cluster --api 3`, Debian's nginx), for real.

1. Seat-map subscribers spread over the three processes; while seats change, one process is
   SIGKILLed. Its clients reconnect through nginx (graphql-transport-ws, after a pause as the
   graphql-ws client does) and resync from a snapshot; in the end every subscriber's seat map
   equals `show_seat`, including the changes committed while they were away, and no subscriber
   ever saw a version go back or a delta out of order.
2. A few hundred concurrent, overlapping reserves at one show through nginx: the SQL audit finds
   no double-booking and no partial multi-seat hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
import websockets
from websockets.typing import Subprotocol

from boxoffice import db
from boxoffice.auth import get_or_create_user, issue_token
from tests.api.booking_ops import CANCEL, RESERVE
from tests.api.test_burst import middle_request
from tests.audit import audit_show
from tests.factories import make_show
from tests.realtime.support import FAST_REALTIME, World, boxoffice_cluster

SUBSCRIPTION = """subscription S($showId: ID!) { seatMap(showId: $showId) {
  version changes { label status } snapshot { version seats { label status } } } }"""
RECONNECT_PAUSE = 1.0  # graphql-ws waits ~1-3 s before its first retry


@dataclass
class Cluster:
    port: int
    api_ports: list[int]
    log: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def api_pid(self, port: int) -> int:
        """The `boxoffice serve` process on `port` (not the Procfile's restarting shell)."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in argv and f"{port}".encode() in argv and b"-c" not in argv:
                return int(entry.name)
        raise AssertionError(f"no API process on port {port}")

    def balanced(self, within: float = 30) -> None:
        """Wait until nginx sends requests to every API process again (a restarted one is out
        of its rotation for `fail_timeout` after the failed attempts)."""
        want = {f"127.0.0.1:{port}" for port in self.api_ports}
        seen: list[str] = []
        deadline = time.monotonic() + within
        while set(seen[-6:]) != want:
            assert time.monotonic() < deadline, f"nginx uses {set(seen[-6:])}\n{self.output()}"
            with contextlib.suppress(httpx2.HTTPError):
                resp = httpx2.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2)
                seen.append(resp.headers.get("X-Boxoffice-Upstream", "?"))
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def cluster(database: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    env = {**FAST_REALTIME, "RATE_LIMITS": "off", "LOG_LEVEL": "warning"}
    with boxoffice_cluster(tmp_path_factory.mktemp("cluster3"), env, api=3, workers=0,
                           within=90) as up:
        yield Cluster(up.port, up.api_ports, up.log)


@dataclass
class Watcher:
    """One seatMap subscriber through nginx: applies snapshots and deltas to its own seat map,
    checks their order, and reconnects after RECONNECT_PAUSE whenever its connection drops."""

    url: str
    key: str
    show_id: int
    seats: dict[str, str] = field(default_factory=dict)
    version: int | None = None
    upstreams: list[str] = field(default_factory=list)  # the process of each connection
    dropped_at: list[float] = field(default_factory=list)
    resynced_at: list[float] = field(default_factory=list)  # snapshots after a reconnect
    problems: list[str] = field(default_factory=list)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        while True:
            with contextlib.suppress(OSError, websockets.ConnectionClosed,
                                     websockets.InvalidHandshake, TimeoutError):
                await self._connection()
            self.dropped_at.append(time.monotonic())
            await asyncio.sleep(RECONNECT_PAUSE)

    async def _connection(self) -> None:
        async with websockets.connect(self.url, open_timeout=10,
                                      subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            assert ws.response is not None
            self.upstreams.append(ws.response.headers.get("X-Boxoffice-Upstream", "?"))
            await ws.send(json.dumps({"type": "connection_init", "payload": {"apiKey": self.key}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": SUBSCRIPTION, "variables": {"showId": str(self.show_id)}}}))
            first = True
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next" and not message["payload"].get("errors"):
                    self._apply(message["payload"]["data"]["seatMap"], first)
                    first = False
                else:
                    self.problems.append(f"unexpected message {message}")

    def _apply(self, event: dict[str, Any], first: bool) -> None:
        version = event["version"]
        if event["snapshot"] is not None:
            # a new subscription starts at the current version: never behind what was seen
            if self.version is not None and version < self.version:
                self.problems.append(f"snapshot {version} after version {self.version}")
            if first and self.upstreams[1:]:
                self.resynced_at.append(time.monotonic())
            self.seats = {s["label"]: s["status"] for s in event["snapshot"]["seats"]}
            self.subscribed.set()
        elif first or self.version is None or version != self.version + 1:
            self.problems.append(f"delta {version} after {self.version} (first={first})")
        else:
            for change in event["changes"]:
                self.seats[change["label"]] = change["status"]
        self.version = version


async def tokens_for(n: int, prefix: str) -> list[str]:
    return [issue_token(await get_or_create_user(f"{prefix}{i}@example.com")) for i in range(n)]


async def seat_statuses(show_id: int) -> dict[str, str]:
    rows = await db.pool().fetch("SELECT label, status FROM show_seat WHERE show = $1", show_id)
    return {r["label"]: r["status"] for r in rows}


@dataclass
class Change:
    sent: float
    answered: float


async def change_seats(http: httpx2.AsyncClient, url: str, key: str, show_id: int,
                       labels: list[str], token: str, seed: int, log: list[Change],
                       stop: asyncio.Event) -> None:
    """Hold a random seat, and every other time cancel an earlier hold (seats go both ways);
    a request that died with the killed process (nginx's 502) is simply not counted."""
    rng = random.Random(seed)
    mine: list[str] = []
    headers = {"X-API-Key": key, "Authorization": f"Bearer {token}"}
    while not stop.is_set():
        variables: dict[str, Any]
        if mine and rng.random() < 0.4:
            query, variables = CANCEL, {"id": mine.pop(rng.randrange(len(mine)))}
        else:
            query, variables = RESERVE, {"input": {"showId": str(show_id),
                                                  "seats": [rng.choice(labels)]}}
        sent = time.monotonic()
        with contextlib.suppress(httpx2.HTTPError, ValueError):
            resp = await http.post(url, json={"query": query, "variables": variables},
                                   headers=headers)
            data = (resp.json().get("data") or {}) if resp.status_code == 200 else {}
            result = data.get("reserve") or data.get("cancelReservation") or {}
            if result.get("__typename") == "Reservation":
                log.append(Change(sent, time.monotonic()))
                if result["status"] == "HELD":
                    mine.append(result["id"])
        await asyncio.sleep(0.02)


async def test_a_killed_process_s_subscribers_reconnect_through_nginx_and_miss_nothing(
        cluster: Cluster, world: World) -> None:
    show = await make_show(rows=4, per_row=10)
    tokens = await tokens_for(6, "writer")
    watchers = [Watcher(cluster.ws, world.key, show.show_id) for _ in range(60)]
    tasks = []
    for w in watchers:  # one after the other: least_conn deals them out over the processes
        tasks.append(asyncio.create_task(w.run()))
        await asyncio.wait_for(w.subscribed.wait(), 15)
    try:
        per_process = {u: sum(1 for w in watchers if w.upstreams[0] == u)
                       for u in {w.upstreams[0] for w in watchers}}
        assert len(per_process) == 3, per_process
        victim = max(per_process, key=per_process.__getitem__)
        affected = [w for w in watchers if w.upstreams[0] == victim]

        stop = asyncio.Event()
        changes: list[Change] = []
        async with httpx2.AsyncClient(timeout=10) as http:
            writers = [asyncio.create_task(change_seats(
                http, cluster.http, world.key, show.show_id, show.labels, t, i, changes, stop))
                for i, t in enumerate(tokens)]
            await asyncio.sleep(1.5)
            os.kill(cluster.api_pid(int(victim.rsplit(":", 1)[1])), signal.SIGKILL)
            killed_at = time.monotonic()
            await asyncio.sleep(RECONNECT_PAUSE + 2.0)  # seats keep changing meanwhile
            stop.set()
            await asyncio.gather(*writers)

        truth = await seat_statuses(show.show_id)
        deadline = time.monotonic() + 15
        while any(w.seats != truth for w in watchers) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            truth = await seat_statuses(show.show_id)
        assert not [p for w in watchers for p in w.problems]
        behind = {i: {lbl: (st, truth[lbl]) for lbl, st in w.seats.items() if st != truth[lbl]}
                  for i, w in enumerate(watchers) if w.seats != truth}
        assert not behind, f"subscribers disagree with show_seat: {behind}"
        assert any(s != "FREE" for s in truth.values()) and any(
            s == "FREE" for s in truth.values())

        for w in affected:  # dropped by the kill, back through nginx on a live process
            assert w.dropped_at and w.dropped_at[0] >= killed_at - 0.1, w.dropped_at
            assert w.resynced_at, "no snapshot after the reconnect"
            assert len(w.upstreams) >= 2 and w.upstreams[1] != victim, w.upstreams
            # changes committed while it was away (sent after the drop, answered before its
            # snapshot) are in its seat map now: the outage was not an empty one
            missed = [c for c in changes if w.dropped_at[0] <= c.sent
                      and c.answered <= w.resynced_at[0]]
            assert len(missed) >= 3, (len(missed), len(changes))
        survivors = [w for w in watchers if w not in affected]
        assert all(len(w.upstreams) == 1 and not w.dropped_at for w in survivors)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_reserve_burst_through_nginx_on_three_processes_never_double_books(
        cluster: Cluster, world: World) -> None:
    await asyncio.to_thread(cluster.balanced)  # the previous test's victim is back
    show = await make_show()  # 10 x 20
    tokens = await tokens_for(300, "fan")
    rng = random.Random(15)
    requests = [middle_request(rng) for _ in tokens]
    served_by: list[str] = []

    async def one(http: httpx2.AsyncClient, token: str, seats: list[str]) -> dict[str, Any]:
        for _ in range(10):  # a careful client retries TRY_AGAIN (contention)
            resp = await http.post(cluster.http, json={"query": RESERVE, "variables": {
                "input": {"showId": str(show.show_id), "seats": seats}}},
                headers={"X-API-Key": world.key, "Authorization": f"Bearer {token}"})
            served_by.append(resp.headers.get("X-Boxoffice-Upstream", "?"))
            body = resp.json()
            codes = [e["extensions"]["code"] for e in body.get("errors") or []]
            if codes != ["TRY_AGAIN"]:
                assert resp.status_code == 200 and not codes, body
                return body["data"]["reserve"]  # type: ignore[no-any-return]
            await asyncio.sleep(0.1)
        raise AssertionError("still TRY_AGAIN after 10 attempts")

    limits = httpx2.Limits(max_connections=300, max_keepalive_connections=300)
    async with httpx2.AsyncClient(timeout=60, limits=limits) as http:
        results = await asyncio.gather(*(one(http, t, s)
                                         for t, s in zip(tokens, requests, strict=True)))

    assert len(set(served_by)) == 3, set(served_by)  # every process took part
    assert {r["__typename"] for r in results} <= {"Reservation", "SeatsTaken"}
    won = [(r, asked) for r, asked in zip(results, requests, strict=True)
           if r["__typename"] == "Reservation"]
    assert won, "somebody must win"
    for r, asked in won:
        assert r["seats"] == sorted(asked)  # all or nothing: exactly what was asked
    granted = [s for r, _ in won for s in r["seats"]]
    assert len(granted) == len(set(granted)), "a seat was granted twice"
    held = await db.pool().fetch(
        "SELECT label FROM show_seat WHERE show = $1 AND status = 'HELD'", show.show_id)
    assert {r["label"] for r in held} == set(granted)
    assert await audit_show(show.show_id) == []  # no double-booking, no partial holds
