"""Hold expiry lag: how late after `expires_at` a lapsed hold's seats are FREE again.

1,000 holds (1-2 seats each, over 10 shows) are made through the reserve service (which
schedules their expiry jobs) while a real `boxoffice worker` process runs; then their expiry
times are moved, in Postgres and in the job queue alike, so that they lapse evenly over the next
`--spread` seconds: the figure is the expiry path alone, not the reserve load that made the
holds (benchmarks/reserve.py measures that). Lag = the expiring transaction's time
(reservation.updated_at) minus expires_at, read from Postgres afterwards. Scenarios, one run:
- deferred jobs: the normal path, one `expire_hold` job per hold at its expires_at;
- sweeper only (the baseline): the deferred jobs are lost (deleted from Redis); only the
  2-second cron sweeper, which reads Postgres, frees the holds;
- outage: no worker while the holds lapse (their jobs overdue in Redis); the worker process is
  started afterwards and the lag is measured from its spawn, Python start-up included.
Targets (issue 4): p99 under 2 s with a worker running; under 5 s from worker start.

Usage: python -m benchmarks.expiry [--holds 1000] [--spread 4] [--workers 1]
Uses DATABASE_URL/REDIS_URL (default: a dedicated boxoffice_bench_expiry database, Redis db 10);
the database is migrated and emptied first, the Redis db flushed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/boxoffice_bench_expiry")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")  # flushed: keep it ours
os.environ["RATE_LIMITS"] = "off"

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

from boxoffice import db
from boxoffice.auth import User
from boxoffice.db import Busy
from boxoffice.migrate import ensure_migrated
from boxoffice.services.deps import Deps
from boxoffice.services.jobs import expiry_job_id, schedule_expiry
from boxoffice.services.reserve import reserve_seats
from boxoffice.settings import get_settings

SHOWS, ROWS, PER_ROW = 10, 10, 20


async def ensure_database() -> None:
    await ensure_migrated(os.environ["DATABASE_URL"])


async def reset(arq: ArqRedis, holds: int) -> tuple[list[int], list[User]]:
    from boxoffice.services.showmeta import clear_show_meta
    from tests.factories import make_show  # the same small factory the tests use

    await db.pool().execute(
        "TRUNCATE notification, ticket, booking, payment, show_seat, reservation, api_key, "
        "app_user, show_price, show, movie, cinema_seat, seat_category, cinema_hall, cinema, "
        "postal_code, city RESTART IDENTITY CASCADE"
    )
    await arq.flushdb()
    clear_show_meta()
    shows = [(await make_show(rows=ROWS, per_row=PER_ROW, name=f"x{i}")).show_id
             for i in range(SHOWS)]
    rows = await db.pool().fetch(
        """INSERT INTO app_user (email, created_at)
           SELECT 'exp' || g || '@example.com', now() FROM generate_series(1, $1) g
           RETURNING id, email""",
        holds,
    )
    return shows, [User(r["id"], r["email"]) for r in rows]


def seats_for(i: int) -> list[str]:
    """Disjoint seats: hold i gets slot i // SHOWS of its show, one or two seats."""
    slot = i // SHOWS
    row, col = chr(ord("A") + slot // (PER_ROW // 2)), (slot % (PER_ROW // 2)) * 2 + 1
    return [f"{row}-{col}"] if i % 3 == 0 else [f"{row}-{col}", f"{row}-{col + 1}"]


async def make_holds(deps: Deps, shows: list[int], users: list[User]) -> float:
    """All holds through the real reserve service (which schedules their expiry jobs)."""
    sem = asyncio.Semaphore(32)
    started = time.perf_counter()

    async def one(i: int) -> None:
        async with sem:
            for _ in range(10):  # a client told TRY_AGAIN (Busy) retries, as the API says
                try:
                    out = await reserve_seats(deps, users[i], shows[i % SHOWS], seats_for(i))
                    break
                except Busy:
                    await asyncio.sleep(0.05)
            assert type(out).__name__ == "ReservationView", out

    await asyncio.gather(*(one(i) for i in range(len(users))))
    return time.perf_counter() - started


async def retime(arq: ArqRedis, spread: float, lead: float, reschedule: bool) -> None:
    """Make the holds lapse evenly over `spread` seconds from `lead` seconds from now."""
    rows = await db.pool().fetch(
        """WITH n AS (SELECT count(*) AS total FROM reservation),
           t AS (SELECT id, clock_timestamp() + make_interval(secs => $1::float8 + $2::float8 *
                        (row_number() OVER (ORDER BY id) - 1) / n.total) AS at
                 FROM reservation, n)
           UPDATE reservation r SET expires_at = t.at FROM t WHERE r.id = t.id
           RETURNING r.id, r.expires_at""",
        lead, spread,
    )
    await db.pool().execute(
        """UPDATE show_seat s SET expires_at = r.expires_at FROM reservation r
           WHERE s.reservation = r.id""")
    async with arq.pipeline(transaction=False) as pipe:  # the jobs made at reserve time
        for r in rows:
            pipe.zrem("arq:queue", expiry_job_id(r["id"]))
            pipe.delete("arq:job:" + expiry_job_id(r["id"]))
        await pipe.execute()
    if reschedule:  # what reserve would have scheduled for these expiry times
        for r in rows:
            await schedule_expiry(arq, r["id"], r["expires_at"])


@contextmanager
def worker_process(count: int = 1) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`boxoffice worker` processes (several share the queue, as in production)."""
    procs = [subprocess.Popen([sys.executable, "-m", "boxoffice.cli", "worker"],
                              env={**os.environ, "LOG_LEVEL": "WARNING"})
             for _ in range(count)]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


async def wait_worker_ready(arq: ArqRedis, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not await arq.exists("arq:queue:health-check"):
        if time.monotonic() > deadline:
            raise RuntimeError("worker did not start")
        await asyncio.sleep(0.05)


async def wait_all_expired(seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while await db.pool().fetchval("SELECT count(*) FROM reservation WHERE status = 'HELD'"):
        if time.monotonic() > deadline:
            raise RuntimeError("holds still HELD")
        await asyncio.sleep(0.1)


async def lags_ms(since: datetime | None = None) -> list[float]:
    """Per hold: expiring transaction time minus expires_at (or minus `since`)."""
    rows = await db.pool().fetch(
        """SELECT 1000 * EXTRACT(EPOCH FROM updated_at - coalesce($1, expires_at)) AS lag
           FROM reservation WHERE status = 'EXPIRED' ORDER BY lag""",
        since,
    )
    return [float(r["lag"]) for r in rows]


def line(name: str, lags: list[float], extra: str = "") -> str:
    def pct(p: float) -> float:
        return lags[min(len(lags) - 1, int(p / 100 * len(lags)))]

    return (f"{name:<34} {len(lags):>5} holds  p50 {pct(50):>7.0f} ms  p99 {pct(99):>7.0f} ms  "
            f"max {lags[-1]:>7.0f} ms  {extra}")


async def stuck() -> int:
    held = await db.pool().fetchval("SELECT count(*) FROM show_seat WHERE status <> 'FREE'")
    return int(held)


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--holds", type=int, default=1000)
    p.add_argument("--spread", type=float, default=4.0, help="seconds over which holds lapse")
    p.add_argument("--workers", type=int, default=1, help="worker processes")
    args = p.parse_args()
    assert args.holds <= SHOWS * ROWS * PER_ROW // 2
    lead = 2.0  # seconds between re-timing and the first expiry

    await ensure_database()
    await db.start_pool()
    base = get_settings()
    settings = dataclasses.replace(base, rate_limits_enabled=False)
    arq = await create_pool(RedisSettings.from_dsn(base.redis_url))
    deps = Deps(settings=settings, redis=arq, arq=arq)
    results: list[str] = []
    try:
        for name, reschedule in [("deferred jobs (worker running)", True),
                                 ("sweeper only (jobs lost)", False)]:
            shows, users = await reset(arq, args.holds)
            with worker_process(args.workers):
                await wait_worker_ready(arq)
                took = await make_holds(deps, shows, users)
                await asyncio.sleep(1)  # let the worker send the HOLD_CREATED mails first
                await retime(arq, args.spread, lead, reschedule)
                await wait_all_expired()
                lags = await lags_ms()
            results.append(line(name, lags, f"seats not FREE after: {await stuck()}"))

        # outage: the holds lapse with no worker; measured from the worker's spawn
        shows, users = await reset(arq, args.holds)
        await make_holds(deps, shows, users)
        await retime(arq, args.spread, 0.5, True)
        await asyncio.sleep(args.spread + 1.5)  # every hold is overdue now
        spawn = await db.pool().fetchval("SELECT clock_timestamp()")
        with worker_process(args.workers):
            await wait_all_expired()
            lags = await lags_ms(since=spawn)
        results.append(line("outage, lag from worker spawn", lags,
                            f"seats not FREE after: {await stuck()}"))
    finally:
        await arq.aclose()
        await db.close_pool()
    print(f"\nhold expiry lag behind expires_at, {args.holds} holds lapsing evenly over "
          f"{args.spread:g} s (made in {took:.1f} s beforehand), {args.workers} worker "
          f"process(es), {os.cpu_count()} CPUs:")
    for r in results:
        print(r)


if __name__ == "__main__":
    asyncio.run(main())
