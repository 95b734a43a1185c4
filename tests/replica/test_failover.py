"""Failover with a synchronous standby: 0 confirmed bookings lost.

A real pair (tests/pgpair.py) with `synchronous_standby_names = 'standby'`: every COMMIT the
primary acknowledges is already flushed on the standby. An API process runs with a multi-host
`DATABASE_URL` (`…@primary,standby/db?target_session_attrs=read-write`). Fans reserve and confirm
in a burst; mid-burst the primary and all its backends get SIGKILL (a lost machine) and the
standby is promoted (what a failover manager such as pg_auto_failover does). The process must
find the new primary by itself, and every booking that `confirm` returned must be on it, with its
tickets and seats, and no seat sold twice. The recovery time (SIGKILL to the next confirmed
booking) is printed; the bound (< 15 s) is a figure for the README, not an assertion.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest

from tests.api.booking_ops import CONFIRM, RESERVE
from tests.audit import audit_show
from tests.pgpair import PgPair, pg_pair
from tests.realtime.support import uvicorn

BIN = str(Path(sys.executable).parent / "boxoffice")
USERS = 400


def cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([BIN, *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def sync_pair() -> Iterator[PgPair]:
    with pg_pair("failover", synchronous=True) as p:
        yield p


def kill_machine(pid: int) -> None:
    """SIGKILL the postmaster and every backend it forked: nothing gets to flush or say bye."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                              check=False).stdout.split()
    for p in [pid, *map(int, children)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)


def show_file(path: Path) -> Path:
    starts = (datetime.now().date() + timedelta(days=2)).isoformat() + "T18:00:00+05:30"
    path.write_text(json.dumps({
        "cities": [{"id": "blr", "name": "Bangalore"}],
        "movies": [{"id": "fo", "title": "Failover", "rating": 7.5, "durationMinutes": 120}],
        "cinemas": [{"id": "c1", "city": "blr", "name": "Failover Cinema", "postalCode": "560002",
                     "lat": 12.97, "lng": 77.59, "halls": [{"id": "h1", "name": "Hall 1", "rows": [
                         {"row": chr(ord("A") + r), "seats": 30, "category": "CLASSIC",
                          "price": 20000} for r in range(20)]}]}],
        "shows": [{"id": "fo-1", "movie": "fo", "cinema": "c1", "hall": "h1",
                   "startsAt": starts, "currency": "INR"}]}))
    return path


async def test_killing_the_primary_mid_burst_loses_no_confirmed_booking(
        sync_pair: PgPair, tmp_path: Path, record_property: Any) -> None:
    pair = sync_pair
    admin = await asyncpg.connect(pair.primary.url())
    await admin.execute("CREATE DATABASE boxoffice")
    assert await admin.fetchval("SHOW synchronous_standby_names") == "standby"
    await admin.close()
    env = {"DATABASE_URL": pair.primary.url("boxoffice")}
    cli(env, "migrate")
    show_id = int(cli(env, "import", str(show_file(tmp_path / "c.json"))).split()[-1])
    key = cli(env, "apikey", "create", "--name", "failover").splitlines()[-1]
    tokens = cli(env, "token", *(f"fan{i}@x.com" for i in range(USERS))).splitlines()
    multi = (f"postgresql://postgres@127.0.0.1:{pair.primary.port},127.0.0.1:"
             f"{pair.standby.port}/boxoffice?target_session_attrs=read-write")
    seats = iter([f"{chr(ord('A') + r)}-{n}" for r in range(20) for n in range(1, 31)])
    fans = iter(tokens)
    confirmed: dict[str, list[str]] = {}  # booking id -> seats, as the API answered
    failures: list[tuple[float, str]] = []
    killed_at: list[float] = []
    recovered_at: list[float] = []

    async def one(client: httpx2.AsyncClient, url: str) -> None:
        token, wanted = next(fans), [next(seats), next(seats)]
        headers = {"X-API-Key": key, "Authorization": f"Bearer {token}"}
        resp = await client.post(url, headers=headers, json={"query": RESERVE, "variables": {
            "input": {"showId": str(show_id), "seats": wanted}}})
        body = resp.json()
        if body.get("errors") or body["data"]["reserve"]["__typename"] != "Reservation":
            failures.append((time.monotonic(), str(body)[:200]))
            return
        rid = body["data"]["reserve"]["id"]
        resp = await client.post(url, headers=headers, json={"query": CONFIRM, "variables": {
            "input": {"reservationId": rid, "paymentToken": "tok_visa",
                      "idempotencyKey": f"fo-{rid}"}}})
        body = resp.json()
        if body.get("errors") or body["data"]["confirm"]["__typename"] != "Booking":
            failures.append((time.monotonic(), str(body)[:200]))
            return
        booking = body["data"]["confirm"]
        confirmed[booking["id"]] = sorted(t["seat"] for t in booking["tickets"])
        if killed_at and not recovered_at:
            recovered_at.append(time.monotonic())

    with uvicorn({"DATABASE_URL": multi, "RATE_LIMITS": "off"}) as server:
        url = server.http
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(20)) as client:

            async def fan_loop() -> None:
                with contextlib.suppress(StopIteration):
                    while not recovered_at or len(confirmed) < before_kill + 10:
                        try:
                            await one(client, url)
                        except httpx2.HTTPError as exc:
                            failures.append((time.monotonic(), repr(exc)))
                        if killed_at and time.monotonic() - killed_at[0] > 60:
                            return

            before_kill = 10**9
            loops = [asyncio.create_task(fan_loop()) for _ in range(6)]
            for _ in itertools.count():  # until 15 bookings are confirmed, then the crash
                if len(confirmed) >= 15:
                    break
                assert not all(t.done() for t in loops), failures[-3:]
                await asyncio.sleep(0.05)
            before_kill = len(confirmed)
            killed_at.append(time.monotonic())
            kill_machine(pair.primary.pid())
            pair.standby.promote()
            promoted_at = time.monotonic()
            await asyncio.gather(*loops)

    assert recovered_at, f"no booking confirmed after the failover; last errors: {failures[-3:]}"
    recovery = recovered_at[0] - killed_at[0]
    errors_during = [f for f in failures if f[0] >= killed_at[0]]
    print(f"\nfailover: {before_kill} bookings before the kill, {len(confirmed)} in all; "
          f"promote took {promoted_at - killed_at[0]:.2f} s; recovery (kill -> next confirmed "
          f"booking) {recovery:.2f} s; {len(errors_during)} failed requests meanwhile: "
          f"{[e[1][:120] for e in errors_during[:3]]}")
    record_property("failover_recovery_seconds", round(recovery, 2))

    new_primary = await asyncpg.connect(pair.standby.url("boxoffice"))
    try:
        assert not await new_primary.fetchval("SELECT pg_is_in_recovery()")
        ids = [int(i) for i in confirmed]
        rows = await new_primary.fetch(
            """SELECT b.id, array_agg(t.seat_label ORDER BY t.seat_label) AS seats
               FROM booking b JOIN ticket t ON t.booking = b.id
               WHERE b.id = ANY($1::int[]) GROUP BY b.id""", ids)
        found = {str(r["id"]): list(r["seats"]) for r in rows}
        lost = sorted(set(confirmed) - set(found))
        assert lost == [], f"confirmed bookings missing after failover: {lost}"
        assert found == confirmed
        sold = await new_primary.fetchval(
            """SELECT count(*) FROM show_seat WHERE show = $1 AND status = 'BOOKED'""", show_id)
        tickets = await new_primary.fetchval("SELECT count(*) FROM ticket")
        assert sold == tickets >= 2 * len(confirmed)
        twice = await new_primary.fetchval(
            "SELECT count(*) FROM (SELECT show_seat FROM ticket GROUP BY 1 HAVING count(*) > 1) x")
        assert twice == 0
        # nothing half-done by the requests the crash cut: every hold and booking is whole
        assert await audit_show(show_id, new_primary) == []
    finally:
        await new_primary.close()
