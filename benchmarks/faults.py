"""Faults on release night: fans keep reserving, paying and abandoning while Redis is killed
and restarted empty, Postgres restarts and the worker is SIGKILLed.

Each run gets a private redis-server and a private Postgres cluster (never the shared ones),
`boxoffice serve` and `boxoffice worker` as processes, HOLD_SECONDS=8 so holds lapse during
the faults, and ~30 fans. Schedule (seconds from the start of the load):

    t=10  Redis SIGKILLed, restarted empty 3 s later
    t=30  Postgres `pg_ctl restart -m fast`
    t=45  worker SIGKILLed, a new one started 2 s later (what a process manager does)
    t=60  load stops; 25 s to settle; SQL audit

Reported per run: holds seen HELD more than 15 s past their expiry (target 0) and the worst
lateness, PENDING payments at the end (0), bookings a fan was told about that do not exist
(lost, 0), seats ticketed twice (0), SUCCEEDED payments without a booking (0), confirm
attempts that hung past the client timeout, and per fault the time until the API answered
again. The baseline is the same schedule against another checkout (default /work/main, its
own .venv) measured in the same invocation.

    python benchmarks/faults.py [--fans 30] [--baseline /work/main | --no-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools import localsvc  # noqa: E402
from tests.faults.support import PrivateCluster, PrivateRedis  # noqa: E402

HOLD_SECONDS = 8
LATE_LIMIT = 15.0
CLIENT_TIMEOUT = 10.0
LOAD_SECONDS = 60.0
SETTLE_SECONDS = 25.0

RESERVE = """mutation R($i: ReserveInput!) { reserve(input: $i) { __typename
  ... on Reservation { id expiresAt } } }"""
CONFIRM = """mutation C($i: ConfirmInput!) { confirm(input: $i) { __typename
  ... on Booking { id reservationId tickets { seat } } } }"""
CANCEL = """mutation X($id: ID!) { cancelReservation(reservationId: $id) { __typename } }"""
PROBE = """query P($id: ID!) { seatMap(showId: $id) { version } }"""


class Proc:
    """`boxoffice ARGS` from a checkout (its own .venv), output to a temp file."""

    def __init__(self, code: Path, args: list[str], env: dict[str, str]) -> None:
        self.log = Path(tempfile.mkstemp(prefix="bo-faults-bench-", suffix=".log")[1])
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(code / ".venv/bin/python"), "-m", "boxoffice.cli", *args],
                env={**os.environ, **env}, cwd=code, stdout=out, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.environ.get("FAULTS_KEEP_LOGS"):
            print(f"log kept: {self.log}")
        else:
            self.log.unlink(missing_ok=True)


def cli(code: Path, env: dict[str, str], *args: str) -> str:
    out = subprocess.run([str(code / ".venv/bin/python"), "-m", "boxoffice.cli", *args],
                         env={**os.environ, **env}, cwd=code, capture_output=True, text=True,
                         check=False, timeout=300)
    if out.returncode:
        raise RuntimeError(f"boxoffice {' '.join(args)}: {out.stderr[-2000:]}")
    return out.stdout


@dataclass
class Report:
    name: str
    reservations: int = 0
    told_bookings: dict[int, int] = field(default_factory=dict)  # booking id -> reservation
    confirm_timeouts: int = 0
    timeouts_at: list[float] = field(default_factory=list)  # seconds into the load
    errors: dict[str, int] = field(default_factory=dict)
    late: dict[int, float] = field(default_factory=dict)  # reservation -> worst seconds late
    recovery: dict[str, float | None] = field(default_factory=dict)
    pending_end: int = -1
    lost: int = -1
    double: int = -1
    paid_unbooked: int = -1
    worker_alive_end: bool = False

    def count(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class Run:
    def __init__(self, name: str, code: Path, cluster: PrivateCluster, fans: int) -> None:
        self.name = name
        self.code = code
        self.cluster = cluster
        self.fans = fans
        self.redis = PrivateRedis()
        self.dbname = f"faults_{name}_{uuid.uuid4().hex[:6]}"
        self.report = Report(name)
        self.stop = asyncio.Event()
        self.api_ok_at = 0.0  # monotonic time of the last successful probe
        self.worker: Proc | None = None
        self.t0 = time.monotonic()

    @property
    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.cluster.url(self.dbname), "REDIS_URL": self.redis.url,
                "HOLD_SECONDS": str(HOLD_SECONDS), "RATE_LIMITS": "off",
                "LOG_LEVEL": "WARNING", "BOXOFFICE_ENV": "dev"}

    async def setup(self) -> None:
        self.redis.start()
        localsvc.create_database(self.cluster.url(self.dbname))
        cli(self.code, self.env, "migrate")
        cli(self.code, self.env, "seed-demo")
        self.key = cli(self.code, self.env, "apikey", "create", "--name", "bench").split()[-1]
        emails = [f"fan{i}@faults.example" for i in range(self.fans * 12)]
        self.tokens = cli(self.code, self.env, "token", *emails).split()
        conn = await asyncpg.connect(self.cluster.url(self.dbname))
        try:
            self.show_id = await conn.fetchval(
                "SELECT id FROM show WHERE starts_at > now() ORDER BY total_seats DESC LIMIT 1")
            self.labels = [r["label"] for r in await conn.fetch(
                "SELECT label FROM show_seat WHERE show = $1 ORDER BY id", self.show_id)]
        finally:
            await conn.close()

    # -- the fans ------------------------------------------------------------------------

    async def gql(self, client: httpx2.AsyncClient, query: str, variables: dict[str, Any],
                  token: str) -> tuple[dict[str, Any] | None, str | None]:
        """(data, error code) — transport failures and non-JSON answers are codes too."""
        try:
            r = await client.post("/graphql", json={"query": query, "variables": variables},
                                  headers={"X-API-Key": self.key,
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

    async def fan(self, n: int, base: str) -> None:
        rng = random.Random(n)
        users = self.tokens[n::self.fans]
        busy_until = dict.fromkeys(range(len(users)), 0.0)
        async with httpx2.AsyncClient(base_url=base, timeout=CLIENT_TIMEOUT) as client:
            while not self.stop.is_set():
                free = [u for u, t in busy_until.items() if t < time.monotonic()]
                if not free:
                    await asyncio.sleep(0.2)
                    continue
                u = rng.choice(free)
                token = users[u]
                start = rng.randrange(len(self.labels) - 2)
                seats = self.labels[start:start + rng.choice((1, 2))]
                data, code = await self.gql(client, RESERVE, {"i": {
                    "showId": str(self.show_id), "seats": seats}}, token)
                if code or data is None or data["reserve"]["__typename"] != "Reservation":
                    if code:
                        self.report.count(f"reserve:{code}")
                    await asyncio.sleep(0.3)
                    continue
                self.report.reservations += 1
                rid = data["reserve"]["id"]
                roll = rng.random()
                if roll < 0.5:
                    await self.pay(client, rng, token, rid)
                elif roll < 0.65:
                    await self.gql(client, CANCEL, {"id": rid}, token)
                else:  # abandoned: the hold must lapse on time
                    busy_until[u] = time.monotonic() + HOLD_SECONDS + 1
                await asyncio.sleep(rng.uniform(0.1, 0.5))

    async def pay(self, client: httpx2.AsyncClient, rng: random.Random, token: str,
                  rid: str) -> None:
        card = rng.choices(["tok_visa", "tok_visa_slow", "tok_chargeDeclined"],
                           weights=[80, 12, 8])[0]
        key = uuid.uuid4().hex
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            data, code = await self.gql(client, CONFIRM, {"i": {
                "reservationId": rid, "paymentToken": card, "idempotencyKey": key}}, token)
            if code is None and data is not None:
                result = data["confirm"]
                if result["__typename"] == "Booking":
                    self.report.told_bookings[int(result["id"])] = int(rid)
                return
            self.report.count(f"confirm:{code}")
            if code == "CLIENT_TIMEOUT":
                self.report.confirm_timeouts += 1
                self.report.timeouts_at.append(round(time.monotonic() - self.t0, 1))
            await asyncio.sleep(0.5)  # retry with the same key, like a careful client

    # -- watching ------------------------------------------------------------------------

    async def probe(self, base: str) -> None:
        async with httpx2.AsyncClient(base_url=base, timeout=2) as client:
            while not self.stop.is_set():
                _data, code = await self.gql(client, PROBE, {"id": str(self.show_id)},
                                            self.tokens[0])
                if code is None:
                    self.api_ok_at = time.monotonic()
                await asyncio.sleep(0.1)

    async def watch_late_holds(self, until: asyncio.Event) -> None:
        conn: asyncpg.Connection | None = None
        while not until.is_set():
            try:
                if conn is None or conn.is_closed():
                    conn = await asyncpg.connect(self.cluster.url(self.dbname), timeout=2)
                for r in await conn.fetch(
                        """SELECT id, extract(epoch FROM now() - expires_at)::float AS late
                           FROM reservation WHERE status = 'HELD'
                             AND expires_at < now() - make_interval(secs => $1)""",
                        LATE_LIMIT):
                    self.report.late[r["id"]] = max(self.report.late.get(r["id"], 0), r["late"])
            except Exception:  # Postgres is restarting: a new connection next round
                if conn is not None:
                    conn.terminate()
                conn = None
            await asyncio.sleep(0.5)
        if conn is not None:
            await conn.close()

    async def recovered_after(self, since: float, name: str, within: float = 30) -> None:
        """Seconds from `since` until the probe answered successfully again."""
        deadline = since + within
        while time.monotonic() < deadline:
            if self.api_ok_at > since:
                self.report.recovery[name] = round(self.api_ok_at - since, 2)
                return
            await asyncio.sleep(0.05)
        self.report.recovery[name] = None

    # -- the faults ----------------------------------------------------------------------

    async def faults(self, t0: float) -> None:
        async def at(t: float) -> None:
            await asyncio.sleep(max(0.0, t0 + t - time.monotonic()))

        await at(10)
        self.redis.kill()
        await asyncio.sleep(3)
        self.redis.start()
        back = time.monotonic()
        await self.recovered_after(back, "redis killed, back empty")

        await at(30)
        await asyncio.to_thread(self.cluster.restart)
        back = time.monotonic()
        await self.recovered_after(back, "postgres restarted")

        await at(45)
        assert self.worker is not None
        self.worker.kill()
        await asyncio.sleep(2)
        self.worker.stop()
        self.worker = Proc(self.code, ["worker"], self.env)

    async def run(self) -> Report:
        await self.setup()
        port = localsvc_free_port()
        api = Proc(self.code, ["serve", "--port", str(port)], self.env)
        self.worker = Proc(self.code, ["worker"], self.env)
        base = f"http://127.0.0.1:{port}"
        watching = asyncio.Event()
        try:
            await wait_ready(base)
            watcher = asyncio.create_task(self.watch_late_holds(watching))
            prober = asyncio.create_task(self.probe(base))
            t0 = self.t0 = time.monotonic()
            fans = [asyncio.create_task(self.fan(i, base)) for i in range(self.fans)]
            faults = asyncio.create_task(self.faults(t0))
            await asyncio.sleep(LOAD_SECONDS)
            await faults
            self.stop.set()
            await asyncio.gather(*fans, prober)
            await asyncio.sleep(SETTLE_SECONDS)  # let the last holds lapse and payments settle
            watching.set()
            await watcher
            self.report.worker_alive_end = self.worker.alive()
            await self.audit()
        finally:
            api.stop()
            if self.worker is not None:
                self.worker.stop()
            self.redis.stop()
        return self.report

    async def audit(self) -> None:
        conn = await asyncpg.connect(self.cluster.url(self.dbname))
        try:
            r = self.report
            r.pending_end = await conn.fetchval(
                "SELECT count(*) FROM payment WHERE status = 'PENDING'")
            told = list(r.told_bookings)
            found = await conn.fetchval(
                """SELECT count(*) FROM booking b JOIN reservation v ON v.id = b.reservation
                   WHERE b.id = ANY($1::int[]) AND v.status = 'CONFIRMED'""", told)
            r.lost = len(told) - found
            r.double = await conn.fetchval(
                """SELECT count(*) FROM (SELECT show_seat FROM ticket GROUP BY show_seat
                   HAVING count(*) > 1) x""")
            r.paid_unbooked = await conn.fetchval(
                """SELECT count(*) FROM payment p WHERE p.status = 'SUCCEEDED'
                   AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.payment = p.id)""")
            # holds still HELD long past expiry at the end count as late too
            for row in await conn.fetch(
                    """SELECT id, extract(epoch FROM now() - expires_at)::float AS late
                       FROM reservation WHERE status = 'HELD'
                         AND expires_at < now() - make_interval(secs => $1)""", LATE_LIMIT):
                r.late[row["id"]] = max(r.late.get(row["id"], 0), row["late"])
        finally:
            await conn.close()


def localsvc_free_port() -> int:
    from tests.realtime.support import free_port

    return free_port()


async def wait_ready(base: str) -> None:
    async with httpx2.AsyncClient(base_url=base, timeout=2) as client:
        for _ in range(300):
            with contextlib.suppress(httpx2.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("serve did not become ready")


def show(reports: list[Report]) -> None:
    rows = [
        ("reservations made", lambda r: r.reservations),
        ("bookings a fan was told about", lambda r: len(r.told_bookings)),
        (f"holds HELD > {LATE_LIMIT:.0f} s past expiry (target 0)", lambda r: len(r.late)),
        ("  worst lateness, s", lambda r: round(max(r.late.values()), 1) if r.late else 0),
        ("PENDING payments at the end (target 0)", lambda r: r.pending_end),
        ("bookings lost (target 0)", lambda r: r.lost),
        ("seats ticketed twice (target 0)", lambda r: r.double),
        ("SUCCEEDED payments without booking (0)", lambda r: r.paid_unbooked),
        ("confirm calls past the 10 s client timeout", lambda r: r.confirm_timeouts),
        ("worker process alive at the end", lambda r: r.worker_alive_end),
    ]
    names = sorted({k for r in reports for k in r.recovery})
    width = 44
    print(f"\n{'':<{width}}" + "".join(f"{r.name:>16}" for r in reports))
    for label, fn in rows:
        print(f"{label:<{width}}" + "".join(f"{fn(r)!s:>16}" for r in reports))
    for n in names:
        print(f"{'API answers again after ' + n + ', s':<{width}}"
              + "".join(f"{r.recovery.get(n)!s:>16}" for r in reports))
    for r in reports:
        top = sorted(r.errors.items(), key=lambda kv: -kv[1])[:8]
        print(f"{r.name}: error answers seen by fans: {dict(top)}")
        if r.timeouts_at:
            print(f"{r.name}: confirm client timeouts at t = {r.timeouts_at} s")


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--fans", type=int, default=30)
    p.add_argument("--baseline", type=Path, default=Path("/work/main"),
                   help="another checkout with its own .venv, run on the same schedule")
    p.add_argument("--no-baseline", action="store_true")
    args = p.parse_args()
    cluster = PrivateCluster()
    try:
        cluster.start()
        runs = [("this", ROOT)]
        if not args.no_baseline and (args.baseline / ".venv/bin/python").exists():
            runs.append(("baseline", args.baseline))
        reports = []
        for name, code in runs:
            print(f"run {name}: {code} ({args.fans} fans, {LOAD_SECONDS:.0f} s load, "
                  f"{SETTLE_SECONDS:.0f} s settle)", flush=True)
            reports.append(await Run(name, code, cluster, args.fans).run())
            show(reports[-1:])
        if len(reports) > 1:
            show(reports)
    finally:
        cluster.remove()


if __name__ == "__main__":
    asyncio.run(main())
