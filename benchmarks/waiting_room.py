"""On-sale waiting room: 50,000 joins before opening, the draw at opening, the admission rate.

1. joins: N fans (default 50,000) join one show before onSaleAt through the API (a uvicorn
   process driven by wrk, each fan once). Baselines in the same run: the same joins through
   the service function in-process (no HTTP, no GraphQL) and a bare `ZADD NX` per fan.
2. opening: onSaleAt passes; how long until fans' tickets show their drawn place (nothing is
   computed at opening: the line is in its final order already) and 1,000 ticket reads.
3. admission rate: ADMISSION_RATE=50, the worker's advance every second plus fans reading their
   tickets; fans admitted per second over `--admit-seconds` against the configured rate.

Usage: DATABASE_URL=… REDIS_URL=… python -m benchmarks.waiting_room [--fans 50000]
The database is migrated and emptied first, the Redis db flushed (use dedicated ones).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/boxoffice_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["RATE_LIMITS"] = "off"

from redis.asyncio import Redis

from benchmarks._harness import Stats, uvicorn_server
from boxoffice import db
from boxoffice.auth import User, create_api_key, issue_token
from boxoffice.migrate import ensure_migrated
from boxoffice.services import waitingroom as room
from boxoffice.services.deps import Deps
from boxoffice.settings import get_settings

JOIN = "mutation J($s: ID!) { joinWaitingRoom(showId: $s) { position admitted } }"


async def make_users(n: int) -> list[User]:
    rows = await db.pool().fetch(
        """INSERT INTO app_user (email, created_at)
           SELECT 'fan' || g || '@example.com', now() FROM generate_series(1, $1) g
           RETURNING id, email""", n)
    return [User(r["id"], r["email"]) for r in rows]


async def wipe_room(redis: Redis, show_id: int) -> None:
    await redis.delete(room.line_key(show_id), room.admitted_key(show_id),
                       room.state_key(show_id), room.ACTIVE_KEY)


async def joins_over_http(url: str, key: str, users: list[User], show_id: int,
                          concurrency: int, redis: Redis) -> tuple[Stats, int, int]:
    body = json.dumps({"query": JOIN, "variables": {"s": str(show_id)}})
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("".join(f"{issue_token(u)}\t{body}\n" for u in users))
    threads = 2
    env = {**os.environ, "BOX_REQUESTS": fh.name, "BOX_API_KEY": key,
           "BOX_THREADS": str(threads)}
    cmd = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", "600s", "--timeout", "10s",
           "-s", str(Path(__file__).with_name("wrk_join.lua")), url + "/graphql"]
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(*cmd, env=env, stdout=asyncio.subprocess.PIPE)
    # wrk runs for its whole -d even when every thread is done: stop it (SIGINT prints the
    # summary) once every fan is in the room
    while proc.returncode is None:
        if await redis.zcard(room.line_key(show_id)) >= len(users):
            break
        await asyncio.sleep(0.05)
    wall = time.perf_counter() - started
    if proc.returncode is None:
        proc.send_signal(signal.SIGINT)
    out, _ = await proc.communicate()
    os.unlink(fh.name)
    line = next((x for x in out.decode().splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out.decode()}")
    _, _, p50, p99, mean, good, bad = line.split()[1:]
    stats = Stats("joins, GraphQL/HTTP (wrk)", [], wall)
    stats.summary = (len(users), float(p50), float(p99), float(mean))
    return stats, int(good), int(bad)


async def closed_loop(name: str, jobs: list[int], work, concurrency: int) -> Stats:
    queue = list(reversed(jobs))
    latencies: list[float] = []

    async def loop() -> None:
        while queue:
            job = queue.pop()
            t = time.perf_counter()
            await work(job)
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return Stats(name, latencies, time.perf_counter() - start)


async def set_on_sale(show_id: int, interval: str) -> None:
    await db.pool().execute(
        "UPDATE show SET on_sale_at = now() + $2::text::interval WHERE id = $1", show_id, interval)
    room.clear_room_shows()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fans", type=int, default=50_000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--admit-seconds", type=float, default=20.0)
    args = ap.parse_args()

    from tests.factories import make_show, truncate_all

    await ensure_migrated(os.environ["DATABASE_URL"])
    await db.start_pool()
    redis: Redis = Redis.from_url(os.environ["REDIS_URL"])
    await redis.flushdb()
    await truncate_all()
    show_id = (await make_show(rows=10, per_row=20, name="onsale")).show_id
    await set_on_sale(show_id, "1 hour")
    users = await make_users(args.fans)
    key = await create_api_key("bench")
    settings = replace(get_settings(), admission_rate=args.rate)
    deps = Deps(settings=settings, redis=redis, arq=redis)  # type: ignore[arg-type]
    ids = [u.id for u in users]

    print(f"1. {args.fans} fans join one show before onSaleAt")
    with uvicorn_server({"ADMISSION_RATE": str(args.rate)}) as url:
        http, good, bad = await joins_over_http(url, key, users, show_id, args.concurrency,
                                                redis)
    placed = await redis.zcard(room.line_key(show_id))
    print(http.line(f"answered {good}, failed {bad}, fans placed {placed}"))
    print(f"   {args.fans} joins would take {args.fans / http.rps:.1f} s at this rate "
          f"(target: within the minute before opening)")
    await wipe_room(redis, show_id)
    svc = await closed_loop("joins, service in-process", ids, lambda u: room.join(deps, show_id, u),
                            args.concurrency)
    print(svc.line(f"fans placed {await redis.zcard(room.line_key(show_id))}"))
    probe = "bench:zadd"
    await redis.delete(probe)
    raw = await closed_loop("bare ZADD NX (baseline)", ids,
                            lambda u: redis.zadd(probe, {str(u): random.random()}, nx=True),
                            args.concurrency)
    print(raw.line())
    await redis.delete(probe)

    print("2. onSaleAt passes")
    await set_on_sale(show_id, "0 seconds")
    t = time.perf_counter()
    first = await room.ticket(deps, show_id, ids[-1])
    first_ms = (time.perf_counter() - t) * 1000
    sample = random.sample(ids, 1000)
    reads = await closed_loop("1,000 ticket reads after opening", sample,
                              lambda u: room.ticket(deps, show_id, u), args.concurrency)
    print(f"   first ticket read after opening: {first_ms:.1f} ms, drawn place "
          f"{first.position if first else None} of {args.fans}")
    print(reads.line())

    print(f"3. admission at ADMISSION_RATE={args.rate:g}/s for {args.admit_seconds:g} s "
          "(worker tick every 1 s + fans reading tickets)")
    await wipe_room(redis, show_id)
    await set_on_sale(show_id, "1 hour")
    for u in ids[:5000]:
        await room.join(deps, show_id, u)
    await set_on_sale(show_id, "0 seconds")
    opened = time.monotonic()
    stop = opened + args.admit_seconds

    async def cron() -> None:
        while time.monotonic() < stop:
            await room.advance_active_rooms(deps)
            await asyncio.sleep(1.0)

    async def fans() -> None:
        while time.monotonic() < stop:
            await room.ticket(deps, show_id, random.choice(ids[:5000]))
            await asyncio.sleep(0.02)

    await asyncio.gather(cron(), fans(), fans())
    await room.advance_active_rooms(deps)
    elapsed = time.monotonic() - opened
    popped = redis.hget(room.state_key(show_id), "popped")  # stubs: sync-or-async reply
    assert isinstance(popped, Awaitable), "a redis.asyncio command returns an awaitable"
    admitted = int(await popped or 0)
    measured = (admitted - 1) / elapsed  # one fan is admitted at the opening instant
    print(f"   admitted {admitted} in {elapsed:.2f} s: {measured:.2f}/s against "
          f"{args.rate:g}/s configured ({(measured / args.rate - 1) * 100:+.1f} %)")
    await redis.aclose()
    await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
