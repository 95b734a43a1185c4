"""A reserve+confirm burst through a real API process across a primary's crash, and the checks
that every booking `confirm` returned survived it, that nothing is half-done, and that every
request the crash cut (and every one after it) answered with data or a coded TRY_AGAIN. Shared
by the failover tests (a hand-promoted standby, tests/replica/test_failover.py; pg_auto_failover,
tests/replica/test_auto_failover.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx2

from tests.api.booking_ops import CONFIRM, RESERVE
from tests.audit import audit_show
from tests.realtime.support import uvicorn

BIN = str(Path(sys.executable).parent / "boxoffice")
USERS = 400
CONFIRM_TRIES = 50  # a confirm answered TRY_AGAIN is retried under its key, 0.2 s apart
ROWS, SEATS_PER_ROW = 20, 30


def cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([BIN, *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def show_file(path: Path) -> Path:
    starts = (datetime.now().date() + timedelta(days=2)).isoformat() + "T18:00:00+05:30"
    path.write_text(json.dumps({
        "cities": [{"id": "blr", "name": "Bangalore"}],
        "movies": [{"id": "fo", "title": "Failover", "rating": 7.5, "durationMinutes": 120}],
        "cinemas": [{"id": "c1", "city": "blr", "name": "Failover Cinema", "postalCode": "560002",
                     "lat": 12.97, "lng": 77.59, "halls": [{"id": "h1", "name": "Hall 1", "rows": [
                         {"row": chr(ord("A") + r), "seats": SEATS_PER_ROW, "category": "CLASSIC",
                          "price": 20000} for r in range(ROWS)]}]}],
        "shows": [{"id": "fo-1", "movie": "fo", "cinema": "c1", "hall": "h1",
                   "startsAt": starts, "currency": "INR"}]}))
    return path


@dataclass
class Booking:
    """A migrated database with one show, an API key and fans' tokens."""
    show_id: int
    key: str
    tokens: list[str]


def prepare(database_url: str, tmp_path: Path) -> Booking:
    env = {"DATABASE_URL": database_url}
    cli(env, "migrate")
    show_id = int(cli(env, "import", str(show_file(tmp_path / "c.json"))).split()[-1])
    key = cli(env, "apikey", "create", "--name", "failover").splitlines()[-1]
    tokens = cli(env, "token", *(f"fan{i}@x.com" for i in range(USERS))).splitlines()
    return Booking(show_id, key, tokens)


@dataclass(frozen=True)
class Answer:
    """One request of the burst and how it was answered."""
    op: str  # reserve | confirm
    sent: float
    answered: float
    kind: str  # data | TRY_AGAIN | <another code> | bare <status> | transport
    detail: str
    http_status: int | None = None
    retry_after: str | None = None


@dataclass
class BurstResult:
    confirmed: dict[str, list[str]] = field(default_factory=dict)  # booking id -> seats
    failures: list[tuple[float, str]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    server_log: str = ""
    confirms_retried: int = 0  # answered TRY_AGAIN, then retried under the same key
    confirms_retried_booked: int = 0  # … and the retry returned the booking
    before_kill: int = 0
    killed_at: float | None = None
    recovered_at: float | None = None  # the first booking reserved and confirmed after it

    @property
    def recovery(self) -> float:
        assert self.killed_at is not None and self.recovered_at is not None, (
            f"no booking confirmed after the crash; last errors: {self.failures[-3:]}")
        return self.recovered_at - self.killed_at

    def failures_since_kill(self) -> list[str]:
        assert self.killed_at is not None
        return [f[1] for f in self.failures if f[0] >= self.killed_at]

    def cut(self) -> list[Answer]:
        """The requests in flight when the crash came."""
        assert self.killed_at is not None
        return [a for a in self.answers if a.sent < self.killed_at <= a.answered]

    def since_kill(self) -> list[Answer]:
        assert self.killed_at is not None
        return [a for a in self.answers if a.answered >= self.killed_at]


async def burst_across_crash(booking: Booking, database_url: str, crash: Callable[[], None],
                             *, fans: int = 6, give_up_after: float = 60) -> BurstResult:
    """Fans reserve and confirm through an API process using `database_url`; after 15 bookings
    `crash()` runs; the burst goes on until 10 more are confirmed (or `give_up_after` seconds
    after the crash)."""
    seats = iter([f"{chr(ord('A') + r)}-{n}" for r in range(ROWS)
                  for n in range(1, SEATS_PER_ROW + 1)])
    tokens = iter(booking.tokens)
    result = BurstResult()

    async def post(client: httpx2.AsyncClient, url: str, op: str, headers: dict[str, str],
                   payload: dict[str, object]) -> dict[str, Any] | None:
        """POST one operation and record how it was answered; the JSON body, or None when
        there is none (no answer, or not GraphQL's JSON)."""
        sent = time.monotonic()
        try:
            resp = await client.post(url, headers=headers, json=payload)
        except httpx2.HTTPError as exc:
            result.answers.append(Answer(op, sent, time.monotonic(), "transport", repr(exc)))
            result.failures.append((time.monotonic(), repr(exc)))
            return None
        answered = time.monotonic()
        try:
            body: dict[str, Any] = resp.json()
        except ValueError:
            result.answers.append(Answer(op, sent, answered, f"bare {resp.status_code}",
                                         resp.text[:200], resp.status_code))
            result.failures.append((answered, f"{resp.status_code} {resp.text[:200]}"))
            return None
        errors = body.get("errors") or []
        if errors:
            codes = sorted({str((e.get("extensions") or {}).get("code")) for e in errors})
            kind = ",".join(codes)
        else:
            kind = "data"
        result.answers.append(Answer(op, sent, answered, kind, str(body)[:200],
                                     resp.status_code, resp.headers.get("retry-after")))
        return body

    async def one(client: httpx2.AsyncClient, url: str, token: str, wanted: list[str]) -> bool:
        """One fan's reserve and confirm; False when the reserve should be retried as it was
        (the API said try again, or no answer came), True when this fan is done."""
        headers = {"X-API-Key": booking.key, "Authorization": f"Bearer {token}"}
        started = time.monotonic()
        body = await post(client, url, "reserve", headers, {"query": RESERVE, "variables": {
            "input": {"showId": str(booking.show_id), "seats": wanted}}})
        if body is None:
            return False
        if body.get("errors") or body["data"]["reserve"]["__typename"] != "Reservation":
            result.failures.append((time.monotonic(), str(body)[:200]))
            # a refusal (the seats went to an earlier attempt whose answer was lost) is final
            return not body.get("errors")
        rid = body["data"]["reserve"]["id"]
        confirm: dict[str, object] = {"query": CONFIRM, "variables": {"input": {
            "reservationId": rid, "paymentToken": "tok_visa", "idempotencyKey": f"fo-{rid}"}}}
        for tries in range(CONFIRM_TRIES):
            body = await post(client, url, "confirm", headers, confirm)
            if body is None:  # the confirm's answer was lost: the seats may be sold
                return True
            codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
            if codes != ["TRY_AGAIN"]:
                if tries:
                    result.confirms_retried += 1
                    result.confirms_retried_booked += not body.get("errors") and (
                        body["data"]["confirm"]["__typename"] == "Booking")
                break
            # as a careful client does: the same key again (a confirm whose COMMIT the crash
            # cut may have booked: the key returns that booking, never a second one)
            result.failures.append((time.monotonic(), str(body)[:200]))
            await asyncio.sleep(0.2)
        if body.get("errors") or body["data"]["confirm"]["__typename"] != "Booking":
            result.failures.append((time.monotonic(), str(body)[:200]))
            return True
        confirmed = body["data"]["confirm"]
        result.confirmed[confirmed["id"]] = sorted(t["seat"] for t in confirmed["tickets"])
        # recovered: a booking made wholly after the crash (not one in flight across it)
        if (result.killed_at is not None and started > result.killed_at
                and result.recovered_at is None):
            result.recovered_at = time.monotonic()
        return True

    def done() -> bool:
        if result.killed_at is None:
            return False
        return ((result.recovered_at is not None
                 and len(result.confirmed) >= result.before_kill + 10)
                or time.monotonic() - result.killed_at > give_up_after)

    with uvicorn({"DATABASE_URL": database_url, "RATE_LIMITS": "off"}) as server:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(20)) as client:

            async def fan_loop() -> None:
                fan: tuple[str, list[str]] | None = None
                while not done():
                    try:
                        fan = fan or (next(tokens), [next(seats), next(seats)])
                    except StopIteration:  # out of fans or seats
                        return
                    finished = await one(client, server.http, *fan)
                    if finished:
                        fan = None
                    else:  # as a client told "briefly unavailable; please retry" would
                        await asyncio.sleep(0.2)

            loops = [asyncio.create_task(fan_loop()) for _ in range(fans)]
            while len(result.confirmed) < 15:  # the crash comes mid-burst
                assert not all(t.done() for t in loops), result.failures[-3:]
                await asyncio.sleep(0.05)
            result.before_kill = len(result.confirmed)
            result.killed_at = time.monotonic()
            crash()
            await asyncio.gather(*loops)
        result.server_log = server.log.read_text(errors="replace")
    return result


async def assert_nothing_lost(result: BurstResult, show_id: int, new_primary_url: str) -> None:
    """Every booking `confirm` returned is on the new primary with its seats; no seat is sold
    twice, and nothing is half-done (tests/audit.py)."""
    conn = await asyncpg.connect(new_primary_url)
    try:
        assert not await conn.fetchval("SELECT pg_is_in_recovery()")
        rows = await conn.fetch(
            """SELECT b.id, array_agg(t.seat_label ORDER BY t.seat_label) AS seats
               FROM booking b JOIN ticket t ON t.booking = b.id
               WHERE b.id = ANY($1::int[]) GROUP BY b.id""",
            [int(i) for i in result.confirmed])
        found = {str(r["id"]): list(r["seats"]) for r in rows}
        lost = sorted(set(result.confirmed) - set(found))
        assert lost == [], f"confirmed bookings missing after failover: {lost}"
        assert found == result.confirmed
        sold = await conn.fetchval(
            "SELECT count(*) FROM show_seat WHERE show = $1 AND status = 'BOOKED'", show_id)
        tickets = await conn.fetchval("SELECT count(*) FROM ticket")
        assert sold == tickets >= 2 * len(result.confirmed)
        twice = await conn.fetchval(
            "SELECT count(*) FROM (SELECT show_seat FROM ticket GROUP BY 1 HAVING count(*) > 1) x")
        assert twice == 0
        # nothing half-done by the requests the crash cut: every hold and booking is whole
        assert await audit_show(show_id, conn) == []
    finally:
        await conn.close()


def server_exceptions(log: str) -> Counter[str]:
    """What the API process logged about the outage: transactions run again (`retried <type>`)
    or cut during COMMIT (`commit-unknown <type>`) by boxoffice.db, errors answered TRY_AGAIN
    (`TRY_AGAIN <type>`), unexpected errors (`INTERNAL`)."""
    found: Counter[str] = Counter()
    patterns = {"retried": r"transaction cut before COMMIT \(([\w-]+):",
                "commit-unknown": r"transaction cut during COMMIT \(([\w-]+):",
                "TRY_AGAIN": r"dependency unavailable \((\w+):"}
    for label, pattern in patterns.items():
        for m in re.finditer(pattern, log):
            found[f"{label} {m.group(1)}"] += 1
    found["INTERNAL"] = log.count("unexpected error in")
    return +found


def answers_summary(result: BurstResult) -> str:
    cut = Counter(f"{a.op} {a.kind}" for a in result.cut())
    since = Counter(a.kind for a in result.since_kill())
    return (f"{len(result.cut())} requests cut by the crash: {dict(cut)}; answers since the kill: "
            f"{dict(since)}; confirms answered TRY_AGAIN and retried under their key: "
            f"{result.confirms_retried}, {result.confirms_retried_booked} of them booked; "
            f"server logged {dict(server_exceptions(result.server_log))}")


def assert_cut_requests_answered_well(result: BurstResult) -> None:
    """Every request the crash cut, and every one after it, answered with data (a booking, a
    hold, a refusal) or a coded TRY_AGAIN — HTTP 503 with Retry-After for an outage, 200 for
    contention or a payment still in flight: never INTERNAL_SERVER_ERROR, a bare 500 or no
    answer."""
    assert result.cut(), "no request was in flight at the crash: nothing was tested"

    def well(a: Answer) -> bool:
        if a.kind == "data":
            return a.http_status == 200
        if a.kind == "TRY_AGAIN":
            return a.http_status == 200 or (a.http_status == 503 and bool(a.retry_after))
        return False

    bad = [a for a in result.since_kill() if not well(a)]
    assert bad == [], (f"{len(bad)} requests answered neither data nor TRY_AGAIN: {bad[:5]}\n"
                       f"{answers_summary(result)}")
