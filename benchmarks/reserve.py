"""Reserve throughput and latency: GraphQL over HTTP against the same transaction on raw asyncpg.

Scenarios, each run through the API (uvicorn process, RATE_LIMITS=off) and, in the same run,
as the bare SERIALIZABLE transaction on asyncpg (the baseline):
- contended: every client reserves 1-2 adjacent seats in the middle of ONE big show;
- uncontended: clients spread over many shows;
- open loop: a fixed offered rate (default 200 req/s) for a few seconds, p99 reported.

Usage: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/boxoffice_bench \
       python -m benchmarks.reserve [--requests 1500] [--concurrency 32]
The database is migrated and emptied first (use a dedicated one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/boxoffice_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["RATE_LIMITS"] = "off"

import asyncpg
import httpx2
from redis.asyncio import Redis

from benchmarks._harness import Stats, uvicorn_server
from boxoffice import db
from boxoffice.auth import User, create_api_key, issue_token
from boxoffice.migrate import ensure_migrated

RESERVE = """mutation R($input: ReserveInput!) { reserve(input: $input) { __typename
  ... on Reservation { id } } }"""

RAW_TXN_LOCK = """SELECT id, label, status, price FROM show_seat
   WHERE show = $1 AND label = ANY($2::varchar[]) ORDER BY label FOR UPDATE"""


async def ensure_database() -> None:
    await ensure_migrated(os.environ["DATABASE_URL"])


async def reset(shows: int, rows: int, per_row: int) -> list[int]:
    from tests.factories import (
        make_show,  # the same small factory the tests use
        truncate_all,
    )

    # let the server finish requests the load generator abandoned when it stopped
    for _ in range(150):
        busy = await db.pool().fetchval(
            """SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
               AND pid <> pg_backend_pid() AND state <> 'idle'"""
        )
        if not busy:
            break
        await asyncio.sleep(0.1)
    await truncate_all()
    await Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    return [(await make_show(rows=rows, per_row=per_row, name=f"b{i}")).show_id
            for i in range(shows)]


async def make_users(n: int) -> list[User]:
    rows = await db.pool().fetch(
        """INSERT INTO app_user (email, created_at)
           SELECT 'bench' || g || '@example.com', now() FROM generate_series(1, $1) g
           RETURNING id, email""",
        n,
    )
    return [User(r["id"], r["email"]) for r in rows]


def request_for(rng: random.Random, rows: int, per_row: int) -> list[str]:
    n = rng.randint(1, 2)
    row = chr(ord("A") + rng.randrange(rows))
    start = rng.randint(1, per_row - n + 1)
    return [f"{row}-{i}" for i in range(start, start + n)]


async def run_closed(name: str, jobs: list, worker, concurrency: int) -> tuple[Stats, dict]:
    queue: asyncio.Queue = asyncio.Queue()
    for j in jobs:
        queue.put_nowait(j)
    latencies: list[float] = []
    outcomes: dict[str, int] = {}

    async def loop() -> None:
        while not queue.empty():
            job = queue.get_nowait()
            t = time.perf_counter()
            kind = await worker(job)
            latencies.append(time.perf_counter() - t)
            outcomes[kind] = outcomes.get(kind, 0) + 1

    start = time.perf_counter()
    await asyncio.gather(*[loop() for _ in range(concurrency)])
    return Stats(name, latencies, time.perf_counter() - start), outcomes


async def run_open(name: str, jobs: list, worker, rate: float) -> tuple[Stats, dict]:
    latencies: list[float] = []
    outcomes: dict[str, int] = {}

    async def one(job) -> None:
        t = time.perf_counter()
        kind = await worker(job)
        latencies.append(time.perf_counter() - t)
        outcomes[kind] = outcomes.get(kind, 0) + 1

    start = time.perf_counter()
    tasks = []
    for i, job in enumerate(jobs):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(job)))
    await asyncio.gather(*tasks)
    return Stats(name, latencies, time.perf_counter() - start), outcomes


def api_worker(client: httpx2.AsyncClient, key: str):
    async def work(job: tuple[User, int, list[str]]) -> str:
        user, show_id, seats = job
        try:
            resp = await client.post(
                "/graphql",
                json={"query": RESERVE,
                      "variables": {"input": {"showId": str(show_id), "seats": seats}}},
                headers={"X-API-Key": key, "Authorization": f"Bearer {issue_token(user)}"},
            )
            body = resp.json()
        except (httpx2.HTTPError, ValueError) as exc:
            return "error:" + type(exc).__name__
        if body.get("errors"):
            return "error:" + str(body["errors"][0].get("extensions", {}).get("code"))
        return str(body["data"]["reserve"]["__typename"])

    return work


def raw_worker(pool: asyncpg.Pool, retries: list[int], isolation: str = "serializable"):
    async def work(job: tuple[User, int, list[str]]) -> str:
        user, show_id, seats = job
        labels = sorted(seats)
        for _attempt in range(9):
            try:
                async with pool.acquire() as conn, conn.transaction(
                        isolation=isolation):  # type: ignore[arg-type]
                    rows = await conn.fetch(RAW_TXN_LOCK, show_id, labels)
                    if any(r["status"] != "FREE" for r in rows):
                        return "SeatsTaken"
                    rid = await conn.fetchval(
                        """INSERT INTO reservation (show, "user", status, seat_labels, amount,
                               currency, expires_at) VALUES ($1, $2, 'HELD', $3, $4, 'INR',
                               now() + interval '5 minutes') RETURNING id""",
                        show_id, user.id, labels, sum(r["price"] for r in rows),
                    )
                    await conn.execute(
                        """UPDATE show_seat SET status = 'HELD', reservation = $2
                           WHERE id = ANY($1::int[]) AND status = 'FREE'""",
                        [r["id"] for r in rows], rid,
                    )
                return "Reservation"
            except (asyncpg.SerializationError, asyncpg.DeadlockDetectedError,
                    asyncpg.exceptions.OutOfMemoryError):
                retries[0] += 1
                await asyncio.sleep(random.uniform(0, 0.004 * 2 ** min(_attempt, 6)))
            except asyncpg.UniqueViolationError:
                return "InvalidRequest"
        return "exhausted"

    return work


async def run_wrk(name: str, url: str, key: str, jobs: list, concurrency: int,
                  seconds: float, rate: float | None = None) -> tuple[Stats, dict]:
    """Drive the server with wrk (C, so the load generator does not eat the server's CPU)."""
    lines = []
    for user, show_id, seats in jobs:
        body = json.dumps({"query": RESERVE,
                           "variables": {"input": {"showId": str(show_id), "seats": seats}}})
        lines.append(f"{issue_token(user)}\t{body}")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(lines) + "\n")
    threads = 2
    env = {**os.environ, "BOX_REQUESTS": fh.name, "BOX_API_KEY": key,
           "BOX_THREADS": str(threads)}
    cmd = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{max(1, int(seconds))}s",
           "-s", str(Path(__file__).with_name("wrk_reserve.lua")), url + "/graphql"]
    proc = await asyncio.create_subprocess_exec(*cmd, env=env, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    os.unlink(fh.name)
    lines = [x for x in out.decode().splitlines() if x.startswith("WRK ")]
    if not lines:
        raise RuntimeError(f"wrk printed no summary:\n{out.decode()}")
    line = lines[0]
    n, duration_us, p50, p99, mean, held, rest = line.split()[1:]
    stats = Stats(name, [], int(duration_us) / 1e6)
    stats.summary = (int(n), float(p50), float(p99), float(mean))
    return stats, {"Reservation": int(held), "other": int(rest)}


async def metric(client: httpx2.AsyncClient, name: str, processes: int = 1) -> int:
    """A counter from /metrics, summed over every server process (prometheus_client's
    multiprocess mode: `uvicorn_server` shares one PROMETHEUS_MULTIPROC_DIR)."""
    text = (await client.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith(f"boxoffice_{name} "):
            return int(float(line.split()[1]))
    return 0


@contextlib.contextmanager
def worker_process(env: dict[str, str]) -> Iterator[None]:
    """`boxoffice worker` running alongside (expiry jobs, outbox), as in production."""
    proc = subprocess.Popen([sys.executable, "-m", "boxoffice.cli", "worker"],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def run_level(args: argparse.Namespace, isolation: str, use_wrk: bool,
                    rng: random.Random) -> dict[str, Any]:
    rows, per_row = 40, 50  # 2,000 seats in the contended show
    env = {"RATE_LIMITS": "off", "DB_POOL_MAX": "20", "BOOKING_ISOLATION": isolation}
    results: list[tuple[Stats, dict, str]] = []
    summary: dict[str, Any] = {}
    with uvicorn_server(env, workers=args.workers) as url:
        async with httpx2.AsyncClient(base_url=url, timeout=30,
                                      limits=httpx2.Limits(max_connections=256)) as client:
            for scenario in args.scenarios.split(","):
                if scenario == "open":
                    continue
                for path in ("api", "raw"):
                    shows = await reset(1 if scenario == "contended" else 40,
                                        rows if scenario == "contended" else 10,
                                        per_row if scenario == "contended" else 20)
                    key = await create_api_key("bench")
                    n_users = max(args.requests, 6000) if (use_wrk and path == "api") \
                        else args.requests
                    users = await make_users(n_users)
                    r, pr = (rows, per_row) if scenario == "contended" else (10, 20)
                    jobs = [(u, rng.choice(shows), request_for(rng, r, pr)) for u in users]
                    if path == "api":
                        before = await metric(client, "txn_conflicts_total", args.workers)
                        if use_wrk:
                            st, out = await run_wrk(f"{scenario} GraphQL/HTTP (wrk)", url, key,
                                                    jobs, args.concurrency, args.seconds)
                        else:
                            st, out = await run_closed(f"{scenario} GraphQL/HTTP", jobs,
                                                       api_worker(client, key),
                                                       args.concurrency)
                        retried = await metric(client, "txn_conflicts_total",
                                               args.workers) - before
                    else:
                        counter = [0]
                        st, out = await run_closed(f"{scenario} raw asyncpg txn", jobs,
                                                   raw_worker(db.pool(), counter, isolation),
                                                   args.concurrency)
                        retried = counter[0]
                    results.append((st, out, f"retries {retried}"))
                    done = sum(out.values())
                    summary[f"{scenario}/{path}"] = {
                        "rps": round(st.rps, 1), "p50_ms": round(st.pct(50), 1),
                        "p99_ms": round(st.pct(99), 1), "retries": retried,
                        "retry_rate": round(retried / max(1, done), 3)}
                    print(st.line(f"retries {retried} {out}"), flush=True)

            if "open" in args.scenarios.split(","):
                n_open = int(args.rate * args.open_seconds)
                shows = await reset(args.open_shows, 10, 20)
                key = await create_api_key("bench")
                users = await make_users(n_open)
                jobs = [(u, rng.choice(shows), request_for(rng, 10, 20)) for u in users]
                before = await metric(client, "txn_conflicts_total", args.workers)
                with worker_process(env):
                    await asyncio.sleep(2)  # the worker's start-up sweep and first poll
                    st, out = await run_open(
                        f"open loop {args.rate:.0f} req/s GraphQL, {args.open_shows} shows",
                        jobs, api_worker(client, key), args.rate)
                retried = await metric(client, "txn_conflicts_total", args.workers) - before
                print(st.line(f"retries {retried} {out}"), flush=True)
                summary["open"] = {"offered": args.rate, "rps": round(st.rps, 1),
                                   "p50_ms": round(st.pct(50), 1),
                                   "p99_ms": round(st.pct(99), 1), "retries": retried,
                                   "outcomes": out}

    pairs = [(results[i][0], results[i + 1][0]) for i in range(0, len(results), 2)]
    print(f"\n[{isolation}, {args.workers} server process(es)] "
          "GraphQL / raw transaction throughput:")
    for api_st, raw_st in pairs:
        print(f"  {api_st.name.split()[0]:<12} {api_st.rps / raw_st.rps:6.2%}"
              f"  (GraphQL {api_st.rps:.0f} req/s vs raw {raw_st.rps:.0f} req/s)")
    if "open" in summary:
        print(f"  open loop at {args.rate:.0f} req/s offered over {args.open_shows} shows, "
              f"worker running: p99 {summary['open']['p99_ms']:.1f} ms (target < 100 ms)")
    return summary


async def main() -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=1500)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--open-seconds", type=float, default=5.0)
    ap.add_argument("--open-shows", type=int, default=5)
    ap.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                    help="load generator for the API path (wrk keeps the client off the CPU)")
    ap.add_argument("--seconds", type=float, default=6.0, help="wrk run length per scenario")
    ap.add_argument("--isolation", default="read_committed,serializable",
                    help="BOOKING_ISOLATION levels to compare, comma-separated, same run")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--scenarios", default="contended,uncontended,open")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    use_wrk = bool(args.client == "wrk" or (args.client == "auto" and shutil.which("wrk")))

    await ensure_database()
    await db.start_pool()
    rng = random.Random(7)
    report = {}
    for isolation in args.isolation.split(","):
        print(f"== BOOKING_ISOLATION={isolation}", flush=True)
        report[isolation] = await run_level(args, isolation, use_wrk, rng)
    await db.close_pool()
    if args.json:
        report["_json"] = args.json
    return report


if __name__ == "__main__":
    figures = asyncio.run(main())
    if "_json" in figures:
        Path(figures.pop("_json")).write_text(json.dumps(figures, indent=2))
