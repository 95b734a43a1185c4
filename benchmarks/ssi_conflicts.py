"""SSI conflicts between booking transactions on *different* seats of one show.

A workload through the service layer (no HTTP): `--users` fans each reserve their own seats
(1-2, never overlapping) on one show at `--concurrency`, then all confirm at once, then half of
a second wave cancel. Printed per phase: transactions, serialization retries (the abort rate)
and TRY_AGAIN answers. With `--locks`, every booking transaction lists its SIReadLocks from
pg_locks just before COMMIT; the table shows which relations and lock granularities
(tuple/page/relation) they hold: a page or relation lock on something another transaction
writes is what makes holds on different seats conflict.

Usage: python -m benchmarks.ssi_conflicts [--users 400] [--concurrency 32] [--locks]
       [--isolation serializable|read_committed]
Uses DATABASE_URL/REDIS_URL (default boxoffice_bench_ssi, Redis db 12); both are emptied.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
from collections import Counter
from typing import Any

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/boxoffice_bench_ssi")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ["RATE_LIMITS"] = "off"

from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from benchmarks.reserve import make_users
from boxoffice import db, metrics
from boxoffice.migrate import ensure_migrated
from boxoffice.payments.sandbox import SandboxGateway
from boxoffice.services.cancel import cancel_reservation
from boxoffice.services.confirm import confirm_reservation
from boxoffice.services.deps import Deps
from boxoffice.services.outcomes import ReservationView
from boxoffice.services.reserve import reserve_seats
from boxoffice.settings import get_settings

LOCKS = Counter[tuple[str, str, str]]()  # (transaction, relation, granularity) -> count
_SIREAD = """SELECT l.locktype, coalesce(c.relname, l.relation::text) AS rel
             FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation
             WHERE l.mode = 'SIReadLock' AND l.pid = pg_backend_pid()"""


def record_locks() -> None:
    """Wrap db.serializable so each transaction lists its SIRead locks before COMMIT."""
    original = db.serializable

    async def wrapped(fn: Any, **kw: Any) -> Any:
        name = getattr(fn, "__qualname__", "?").split(".<locals>")[0]

        async def probe(conn: Any) -> Any:
            result = await fn(conn)
            for r in await conn.fetch(_SIREAD):
                LOCKS[(name, r["rel"], r["locktype"])] += 1
            return result

        return await original(probe, **kw)

    db.serializable = wrapped  # type: ignore[assignment]


async def phase(name: str, jobs: list[Any], concurrency: int) -> list[Any]:
    sem = asyncio.Semaphore(concurrency)
    before = {n: metrics.value(n) for n in ("txn_commits_total", "txn_conflicts_total")}
    busy = 0

    async def one(job: Any) -> Any:
        nonlocal busy
        async with sem:
            try:
                return await job()
            except db.Busy:
                busy += 1
                return None

    results = await asyncio.gather(*[one(j) for j in jobs])
    commits = int(metrics.value("txn_commits_total") - before["txn_commits_total"])
    conflicts = int(metrics.value("txn_conflicts_total") - before["txn_conflicts_total"])
    attempts = commits + conflicts
    print(f"  {name:<10} {len(jobs):>5} calls  {commits:>5} commits  {conflicts:>5} retried "
          f"({conflicts / max(1, attempts):6.1%} of attempts aborted)  TRY_AGAIN {busy}",
          flush=True)
    return results


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--users", type=int, default=400)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--locks", action="store_true", help="list SIRead locks per transaction")
    ap.add_argument("--isolation", choices=["serializable", "read_committed"])
    args = ap.parse_args()
    if args.isolation:
        os.environ["BOOKING_ISOLATION"] = args.isolation
    from boxoffice.services.showmeta import clear_show_meta
    from tests.factories import make_show, truncate_all

    await ensure_migrated(os.environ["DATABASE_URL"])
    await db.start_pool()
    await truncate_all()
    clear_show_meta()
    redis = Redis.from_url(os.environ["REDIS_URL"])
    await redis.flushdb()
    arq = await create_pool(RedisSettings.from_dsn(os.environ["REDIS_URL"]))
    settings = get_settings()
    deps = Deps(settings=settings, redis=redis, arq=arq)
    gateway = SandboxGateway(redis)
    if args.locks:
        record_locks()

    rows, per_row = 26, 80  # labels A-1 … Z-80
    show = (await make_show(rows=rows, per_row=per_row, name="ssi")).show_id
    await db.pool().execute("ANALYZE")
    labels = [f"{chr(ord('A') + r)}-{i}" for r in range(rows) for i in range(1, per_row + 1, 2)]
    random.Random(3).shuffle(labels)
    users = await make_users(2 * args.users)
    print(f"{args.users} fans on one {rows * per_row}-seat show, concurrency "
          f"{args.concurrency}, {settings.booking_isolation}:")

    def seats_of(i: int) -> list[str]:
        row, n = labels[i].split("-")
        return [labels[i]] if i % 2 else [labels[i], f"{row}-{int(n) + 1}"]

    held = await phase("reserve", [
        (lambda u=u, i=i: reserve_seats(deps, u, show, seats_of(i)))
        for i, u in enumerate(users[:args.users])], args.concurrency)
    views = [(u, r) for u, r in zip(users, held, strict=False) if isinstance(r, ReservationView)]
    await phase("confirm", [
        (lambda u=u, r=r: confirm_reservation(deps, gateway, u, r.id, "tok_visa",
                                              f"ssi-{r.id}"))
        for u, r in views], args.concurrency)
    second = await phase("reserve", [
        (lambda u=u, i=i: reserve_seats(deps, u, show, seats_of(args.users + i)))
        for i, u in enumerate(users[args.users:2 * args.users])
        if args.users + i < len(labels)], args.concurrency)
    views2 = [(u, r) for u, r in zip(users[args.users:], second, strict=False)
              if isinstance(r, ReservationView)]
    await phase("cancel", [(lambda u=u, r=r: cancel_reservation(deps, u, r.id))
                           for u, r in views2[::2]], args.concurrency)
    double = await db.pool().fetchval(
        """SELECT count(*) FROM (SELECT unnest(seat_labels) l FROM reservation
           WHERE show = $1 AND status IN ('HELD', 'CONFIRMED')) x
           GROUP BY l HAVING count(*) > 1""", show)
    print(f"  seats in two live reservations: {double or 0}")

    if args.locks:
        print("\nSIRead locks held at COMMIT (transaction, relation, granularity: count):")
        for (txn, rel, kind), n in sorted(LOCKS.items(), key=lambda kv: (kv[0][0], -kv[1])):
            print(f"  {txn:<24} {rel:<40} {kind:<9} {n}")
    await arq.aclose()
    await redis.aclose()
    await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
