"""The fault matrix's rig: a scenario database copied from a migrated, seeded template on the
private cluster, a private redis-server, `boxoffice serve` and `boxoffice worker` processes, a
small burst of fans reserving, paying (retrying under the same idempotency key) and abandoning,
a watcher of late holds, and the SQL audit every scenario ends with."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx2
from redis.asyncio import Redis

from tests.audit import audit_show
from tests.faults.support import PrivateCluster, PrivateRedis, Process
from tests.realtime.support import free_port

HOLD_SECONDS = 4
LATE_LIMIT = 15.0  # the bound: no hold HELD more than this past its expiry
RECOVERY_LIMIT = 10.0  # the bound: the service answers again within this after a fault
CLIENT_TIMEOUT = 10.0
FANS = 8
API_APPLICATION_NAME = "bo-matrix-api"
USERS_PER_FAN = 6

RESERVE = """mutation R($i: ReserveInput!) { reserve(input: $i) { __typename
  ... on Reservation { id expiresAt } } }"""
CONFIRM = """mutation C($i: ConfirmInput!) { confirm(input: $i) { __typename
  ... on Booking { id reservationId } } }"""
CANCEL = """mutation X($id: ID!) { cancelReservation(reservationId: $id) { __typename } }"""
SEATMAP = """query P($id: ID!) { seatMap(showId: $id) { version seats { label status } } }"""


@dataclass
class Template:
    """A migrated, seeded database to copy per scenario, with an API key and fans' tokens."""

    cluster: PrivateCluster
    name: str
    api_key: str
    tokens: list[str]


@dataclass
class Tally:
    reservations: list[int] = field(default_factory=list)
    told_bookings: dict[int, int] = field(default_factory=dict)  # booking -> reservation
    unresolved_confirms: list[str] = field(default_factory=list)  # no final answer in time
    errors: dict[str, int] = field(default_factory=dict)
    late: dict[int, float] = field(default_factory=dict)  # reservation -> worst lateness, s

    def count(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class Rig:
    """One scenario's world; `start()` it, run `burst()`es and faults, then `settle_and_audit()`."""

    def __init__(self, template: Template, **env: str) -> None:
        self.template = template
        self.dbname = f"m_{uuid.uuid4().hex[:10]}"
        self.redis = PrivateRedis()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {"DATABASE_URL": template.cluster.url(self.dbname),
                    "REDIS_URL": self.redis.url, "HOLD_SECONDS": str(HOLD_SECONDS),
                    "RATE_LIMITS": "off", "LOG_LEVEL": "WARNING", "BOXOFFICE_ENV": "dev",
                    "PAYMENT_GATEWAY_TIMEOUT_SECONDS": "2", **env}
        self.api: Process | None = None
        self.worker: Process | None = None
        self.tally = Tally()
        self.ok_at = 0.0  # monotonic time of the last successful probe answer
        self._stop_watch = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._dead: list[Process] = []

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        admin = await asyncpg.connect(self.template.cluster.url("postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{self.dbname}" TEMPLATE '
                                f'"{self.template.name}"')
        finally:
            await admin.close()
        self.conn = await asyncpg.connect(self.env["DATABASE_URL"])
        self.show_id = await self.conn.fetchval(
            "SELECT id FROM show WHERE starts_at > now() ORDER BY total_seats DESC, id LIMIT 1")
        self.labels = [r["label"] for r in await self.conn.fetch(
            "SELECT label FROM show_seat WHERE show = $1 ORDER BY id LIMIT 120", self.show_id)]
        self.redis.start()
        self.api = self.spawn_api()
        self.worker = self.spawn("worker")
        await self.wait_answering(within=60)
        self._tasks = [asyncio.create_task(self._probe()),
                       asyncio.create_task(self._watch_late_holds())]

    def spawn(self, *args: str, **env: str) -> Process:
        return Process(list(args), {**self.env, **env})

    def spawn_api(self) -> Process:
        """`boxoffice serve`; its sessions are told apart from the worker's in
        pg_stat_activity by their application_name."""
        return self.spawn("serve", "--port", str(self.port), DATABASE_URL=self.env[
            "DATABASE_URL"] + f"?application_name={API_APPLICATION_NAME}")

    async def close(self) -> None:
        self._stop_watch.set()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for p in (self.api, self.worker, *self._dead):
            if p is not None:
                p.stop()
        self.redis.stop()
        await self.conn.close()
        admin = await asyncpg.connect(self.template.cluster.url("postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        finally:
            await admin.close()

    def kill(self, which: str) -> Process:
        """SIGKILL the API or the worker; its output is kept for failure messages."""
        p: Process | None = getattr(self, which)
        assert p is not None
        p.kill()
        self._dead.append(p)
        setattr(self, which, None)
        return p

    async def wait_answering(self, within: float) -> float:
        """Seconds until the API answers a seatMap query."""
        t0 = time.monotonic()
        async with httpx2.AsyncClient(base_url=self.base, timeout=2) as client:
            while True:
                data, code = await self.gql(client, SEATMAP, {"id": str(self.show_id)},
                                            self.template.tokens[0])
                if code is None and data:
                    return time.monotonic() - t0
                if time.monotonic() - t0 > within:
                    raise AssertionError(f"the API did not answer within {within} s: {code}\n"
                                         + (self.api.output() if self.api else ""))
                await asyncio.sleep(0.05)

    async def recovered_after(self, since: float, within: float = 60) -> float:
        """Seconds from `since` until the probe next got an answer."""
        while self.ok_at <= since:
            if time.monotonic() - since > within:
                raise AssertionError(f"no answer within {within} s of the fault")
            await asyncio.sleep(0.02)
        return self.ok_at - since

    # -- the fans ------------------------------------------------------------------------

    async def gql(self, client: httpx2.AsyncClient, query: str, variables: dict[str, Any],
                  token: str) -> tuple[dict[str, Any] | None, str | None]:
        """(data, error code); transport failures and non-JSON answers are codes too."""
        try:
            r = await client.post("/graphql", json={"query": query, "variables": variables},
                                  headers={"X-API-Key": self.template.api_key,
                                           "Authorization": f"Bearer {token}"})
        except httpx2.TimeoutException:
            return None, "CLIENT_TIMEOUT"
        except httpx2.HTTPError:
            return None, "CONNECTION"
        try:
            body = r.json()
        except ValueError:
            return None, f"HTTP_{r.status_code}_TEXT"
        if body.get("errors"):
            return body.get("data"), body["errors"][0].get("extensions", {}).get("code", "?")
        return body["data"], None

    async def burst(self, seconds: float, *, cards: dict[str, int] | None = None,
                    pay: float = 0.5, cancel: float = 0.15, fans: int = FANS) -> None:
        """`fans` fans for `seconds`: each reserves 1-2 seats, then pays (`pay`), cancels
        (`cancel`) or abandons the hold; a fan whose hold is abandoned waits for it to lapse."""
        cards = cards or {"tok_visa": 85, "tok_chargeDeclined": 15}
        until = time.monotonic() + seconds
        await asyncio.gather(*(self._fan(n, until, cards, pay, cancel) for n in range(fans)))

    async def _fan(self, n: int, until: float, cards: dict[str, int], pay: float,
                   cancel: float) -> None:
        rng = random.Random(n)
        tokens = self.template.tokens[n * USERS_PER_FAN:(n + 1) * USERS_PER_FAN]
        busy = dict.fromkeys(range(len(tokens)), 0.0)
        async with httpx2.AsyncClient(base_url=self.base, timeout=CLIENT_TIMEOUT) as client:
            while time.monotonic() < until:
                free = [u for u, t in busy.items() if t < time.monotonic()]
                if not free:
                    await asyncio.sleep(0.2)
                    continue
                u = rng.choice(free)
                start = rng.randrange(len(self.labels) - 2)
                seats = self.labels[start:start + rng.choice((1, 2))]
                data, code = await self.gql(client, RESERVE, {"i": {
                    "showId": str(self.show_id), "seats": seats}}, tokens[u])
                if code or data is None or data["reserve"]["__typename"] != "Reservation":
                    if code:
                        self.tally.count(f"reserve:{code}")
                    await asyncio.sleep(0.2)
                    continue
                rid = data["reserve"]["id"]
                self.tally.reservations.append(int(rid))
                roll = rng.random()
                if roll < pay:
                    card = rng.choices(list(cards), weights=list(cards.values()))[0]
                    await self._pay(client, tokens[u], rid, card)
                elif roll < pay + cancel:
                    await self.gql(client, CANCEL, {"id": rid}, tokens[u])
                else:  # abandoned: the hold must lapse on time
                    busy[u] = time.monotonic() + HOLD_SECONDS + 1
                await asyncio.sleep(rng.uniform(0.05, 0.3))

    async def _pay(self, client: httpx2.AsyncClient, token: str, rid: str, card: str) -> None:
        """Confirm, retrying with the same key (and card) until a final answer, like a careful
        client; a fault token that never succeeds switches to tok_visa for the retries, as a
        fan trying again would, under a new key (a key names one request: reused with another
        card it is refused)."""
        key = uuid.uuid4().hex
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            data, code = await self.gql(client, CONFIRM, {"i": {
                "reservationId": rid, "paymentToken": card, "idempotencyKey": key}}, token)
            if code is None and data is not None:
                result = data["confirm"]
                if result["__typename"] == "Booking":
                    self.tally.told_bookings[int(result["id"])] = int(rid)
                return
            self.tally.count(f"confirm:{code}")
            if card in ("tok_gatewayError", "tok_gatewayTimeout"):
                card, key = "tok_visa", uuid.uuid4().hex
            await asyncio.sleep(0.3)
        self.tally.unresolved_confirms.append(rid)

    # -- watching ------------------------------------------------------------------------

    async def _probe(self) -> None:
        async with httpx2.AsyncClient(base_url=self.base, timeout=2) as client:
            while True:
                _data, code = await self.gql(client, SEATMAP, {"id": str(self.show_id)},
                                            self.template.tokens[0])
                if code is None:
                    self.ok_at = time.monotonic()
                await asyncio.sleep(0.05)

    async def _watch_late_holds(self) -> None:
        conn = await asyncpg.connect(self.env["DATABASE_URL"])
        try:
            while not self._stop_watch.is_set():
                await self._record_late(conn)
                await asyncio.sleep(0.5)
        finally:
            await conn.close()

    async def _record_late(self, conn: asyncpg.Connection) -> None:
        for r in await conn.fetch(
                """SELECT id, extract(epoch FROM now() - expires_at)::float AS late
                   FROM reservation WHERE status = 'HELD'
                     AND expires_at < now() - make_interval(secs => $1)""", LATE_LIMIT):
            self.tally.late[r["id"]] = max(self.tally.late.get(r["id"], 0.0), r["late"])

    async def count(self, sql: str, *args: Any) -> int:
        return int(await self.conn.fetchval(sql, *args))

    # -- the end -------------------------------------------------------------------------

    async def settle(self, within: float = 60) -> None:
        """Wait until every hold has ended and every payment is settled (or fail)."""
        t0 = time.monotonic()
        while True:
            held = await self.count("SELECT count(*) FROM reservation WHERE status = 'HELD'")
            pending = await self.count("SELECT count(*) FROM payment WHERE status = 'PENDING'")
            if held == 0 and pending == 0:
                return
            if time.monotonic() - t0 > within:
                raise AssertionError(f"{held} hold(s) HELD, {pending} payment(s) PENDING "
                                     f"{within} s after the burst; {self.tally}")
            await asyncio.sleep(0.25)

    async def audit(self, *, gateway_charges: bool = True) -> list[str]:
        """Every violation of the matrix's invariants, in words; empty when all hold."""
        c = self.conn
        t = self.tally
        problems = list(await audit_show(self.show_id, c))  # double, partial, stray seats
        await self._record_late(c)
        problems += [f"hold {rid} HELD {late:.1f} s past its expiry" for rid, late in
                     t.late.items()]
        found = {r["id"] for r in await c.fetch(
            """SELECT b.id FROM booking b JOIN reservation v ON v.id = b.reservation
               WHERE b.id = ANY($1::int[]) AND v.status = 'CONFIRMED'
                 AND b.reservation = v.id""", list(t.told_bookings))}
        problems += [f"booking {b} a client was told about is missing"
                     for b in t.told_bookings if b not in found]
        problems += [f"payment {r['id']} left {r['status']}" for r in await c.fetch(
            "SELECT id, status FROM payment WHERE status = 'PENDING'")]
        problems += [f"payment {r['id']} SUCCEEDED without a booking" for r in await c.fetch(
            """SELECT p.id FROM payment p WHERE p.status = 'SUCCEEDED'
               AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.payment = p.id)""")]
        problems += [f"reservation {r['id']} CONFIRMED without a booking" for r in await c.fetch(
            """SELECT v.id FROM reservation v WHERE v.status = 'CONFIRMED'
               AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.reservation = v.id)""")]
        problems += [f"session {r['pid']} left {r['state']}: {r['query']}" for r in await c.fetch(
            """SELECT pid, state, query FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()
                 AND state LIKE 'idle in transaction%'
                 AND state_change < now() - interval '5 s'""")]  # a leak, not a send
        problems += [f"confirm of reservation {rid} never got a final answer"
                     for rid in t.unresolved_confirms]
        if gateway_charges:
            problems += await self._audit_charges()
        return problems

    async def _audit_charges(self) -> list[str]:
        """Every charge the (sandbox) gateway made is a paid booking or was refunded."""
        client = Redis.from_url(self.redis.url)
        try:
            charged: dict[str, str] = {}
            async for k in client.scan_iter("sandbox:charge:*"):
                result = json.loads(await client.get(k) or "{}")
                if result.get("ok"):
                    charged[result["charge_id"]] = k.decode()
            refunded = {m.decode() for m in await client.smembers("sandbox:refunded")}  # type: ignore[misc]
        finally:
            await client.aclose()
        rows = {r["gateway_charge_id"]: r for r in await self.conn.fetch(
            """SELECT p.gateway_charge_id, p.status,
                      EXISTS (SELECT 1 FROM booking b WHERE b.payment = p.id) AS booked
               FROM payment p WHERE p.gateway_charge_id = ANY($1::text[])""", list(charged))}
        problems = []
        for charge in charged:
            row = rows.get(charge)
            if row is not None and row["status"] == "SUCCEEDED" and row["booked"]:
                continue
            if charge in refunded and (row is None or row["status"] == "REFUNDED"):
                continue
            problems.append(f"charge {charge} is neither a paid booking nor refunded: "
                            f"{dict(row) if row else 'no payment row'}")
        return problems

    async def settle_and_audit(self, *, gateway_charges: bool = True) -> None:
        await self.settle()
        self._stop_watch.set()
        problems = await self.audit(gateway_charges=gateway_charges)
        assert problems == [], problems
        assert self.tally.told_bookings, f"no booking was made: {self.tally}"


def report(name: str, **figures: Any) -> None:
    """One line per scenario for the README's table (visible with `pytest -s`)."""
    print(f"\nMATRIX {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
