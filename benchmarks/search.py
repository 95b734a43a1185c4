"""Search throughput and latency: GraphQL over HTTP against the same statements on asyncpg.

Wants a database with the demo and a scaled catalog (use a dedicated one, not your dev data):

    createdb boxoffice_bench
    export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/boxoffice_bench
    export REDIS_URL=redis://127.0.0.1:6379/13
    boxoffice migrate && boxoffice seed-demo --scale 100     # ~1M show seats, ~30 s
    python -m benchmarks.search --requests 3000 --concurrency 32 --scale-check

Unless `--no-seed`, it makes sure of that itself first (create, migrate, seed-demo, seed-scale
`--scale`; idempotent, about a second when already there), because `make bench` runs the other
benchmarks first and they empty this database.

It starts the app with uvicorn on a free 127.0.0.1 port (a child process running `boxoffice
serve`, or with `--in-process` in this one, sharing the client's CPU), creates an API key, and
fires `--requests` searches (the front end's Search.graphql: a page of 20 with totalCount,
movie and cinema) at `--concurrency`. In the same run it sends the same statements straight to
asyncpg through the service layer (prepare, page with its count, one movie and one cinema batch),
the floor the API can approach. It prints requests/s, p50 and p99 for both and their ratio.
Loopback only; bounded by `--requests`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RATE_LIMITS", "off")
# uncached search: the rendered-response cache would answer these six shapes from memory
# (benchmarks/public_reads.py measures that); RESPONSE_CACHE_MB=32 to see it here
os.environ.setdefault("RESPONSE_CACHE_MB", "0")

import httpx2  # noqa: E402

from boxoffice import db  # noqa: E402
from boxoffice.auth import create_api_key, hash_key  # noqa: E402
from boxoffice.migrate import ensure_migrated  # noqa: E402
from boxoffice.services import catalog  # noqa: E402
from boxoffice.services.search import (  # noqa: E402
    SearchRequest,
    page_sql,
    prepare_search,
    search_page,
)
from devtools.seed import seed_demo, seed_scale  # noqa: E402

SEARCH = (ROOT / "frontend_contract" / "operations" / "Search.graphql").read_text()
FORUM = {"lat": 12.9346, "lng": 77.6113}
# the shapes a home page and a search box send; every one a page of 20
WORKLOAD: list[dict[str, Any]] = [
    {"keyword": "marvel", "city": "Bangalore"},
    {"near": FORUM, "radiusKm": 10, "sort": "DISTANCE"},
    {"city": "Mumbai", "sort": "RATING"},
    {"postalCode": "560095", "radiusKm": 15},
    {"keyword": "silent rivr"},  # a typo: the trigram path
    {},  # everything upcoming
]


def _request(i: dict[str, Any]) -> SearchRequest:
    near = i.get("near")
    return SearchRequest(keyword=i.get("keyword"), city=i.get("city"),
                         near=(near["lat"], near["lng"]) if near else None,
                         radius_km=i.get("radiusKm"), postal_code=i.get("postalCode"),
                         sort=i.get("sort", "SHOWTIME"), first=20)


async def direct(i: dict[str, Any]) -> int:
    """What one API search costs in SQL, without HTTP and GraphQL."""
    prepared = await prepare_search(_request(i))
    page = await search_page(prepared, with_total=True)
    await asyncio.gather(catalog.movies_by_ids({h.movie_id for h in page.hits}),
                         catalog.cinemas_by_ids({h.cinema_id for h in page.hits}))
    return len(page.hits)


async def run(label: str, n: int, concurrency: int,
              one: Callable[[int], Awaitable[None]]) -> dict[str, float]:
    latencies: list[float] = []
    next_i = 0

    async def worker() -> None:
        nonlocal next_i
        while next_i < n:
            i = next_i
            next_i += 1
            t = time.perf_counter()
            await one(i)
            latencies.append(time.perf_counter() - t)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    latencies.sort()
    stats = {"rps": n / wall, "p50": statistics.median(latencies) * 1000,
             "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000}
    print(f"{label:<22}{stats['rps']:>10.0f}{stats['p50']:>10.2f}{stats['p99']:>10.2f}")
    return stats


async def ensure_database() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to a dedicated benchmark database")
    await ensure_migrated(url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _wait_healthy(client: httpx2.AsyncClient, base: str) -> None:
    for _ in range(200):
        try:
            if (await client.get(f"{base}/readyz")).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit("the server did not come up")


async def scale_check(min_seats: int) -> None:
    seats = await db.pool().fetchval("SELECT count(*) FROM show_seat")
    shows = await db.pool().fetchval("SELECT count(*) FROM show")
    print(f"catalog: {shows} shows, {seats} show seats")
    if seats < min_seats:
        raise SystemExit(f"expected at least {min_seats} show seats: seed with --scale 100")
    for shape in WORKLOAD:  # server-side execution time of each page query
        sql, args = page_sql(await prepare_search(_request(shape)))
        plan = await db.pool().fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *args)
        took = json.loads(plan)[0]["Execution Time"]
        print(f"  page query {json.dumps(shape):<72} {took:6.2f} ms in Postgres")


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--scale-check", action="store_true",
                   help="require a scaled catalog (>= --min-seats) and print page-query times")
    p.add_argument("--min-seats", type=int, default=1_000_000)
    p.add_argument("--in-process", action="store_true",
                   help="run uvicorn in this process instead of a `boxoffice serve` child")
    p.add_argument("--scale", type=int, default=100, help="cinemas of the generated catalog")
    p.add_argument("--no-seed", action="store_true", help="use the database as it is")
    args = p.parse_args()
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 512:
        raise SystemExit("keep it bounded: --requests 1..100000, --concurrency 1..512")

    if not args.no_seed:
        await ensure_database()
    await db.start_pool()
    if not args.no_seed:
        started = time.perf_counter()
        await seed_demo()
        await seed_scale(args.scale)
        print(f"seeded (demo + scale {args.scale}) in {time.perf_counter() - started:.1f}s")
    if args.scale_check:
        await scale_check(args.min_seats)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    key = await create_api_key("benchmark")
    server: Any = None
    child: asyncio.subprocess.Process | None = None
    if not args.in_process:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "boxoffice.cli", "serve", "--port", str(port), cwd=ROOT,
            env={**os.environ, "LOG_LEVEL": "warning"})
    else:
        import uvicorn

        from boxoffice.app import create_app

        server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                               log_level="warning", access_log=False))
        serving = asyncio.create_task(server.serve())
    limits = httpx2.Limits(max_connections=args.concurrency,
                           max_keepalive_connections=args.concurrency)
    try:
        async with httpx2.AsyncClient(limits=limits, timeout=30) as client:
            await _wait_healthy(client, base)

            async def api(i: int) -> None:
                r = await client.post(f"{base}/graphql", headers={"X-API-Key": key},
                                      json={"query": SEARCH,
                                            "variables": {"input": WORKLOAD[i % len(WORKLOAD)]}})
                body = r.json()
                assert r.status_code == 200 and not body.get("errors"), body

            async def sql(i: int) -> None:
                await direct(WORKLOAD[i % len(WORKLOAD)])

            print(f"workload: {len(WORKLOAD)} search shapes, page of 20 with totalCount, movie "
                  f"and cinema; {args.requests} requests at concurrency {args.concurrency}; "
                  f"server {'subprocess' if child else 'in-process'}")
            await run("warm-up (api)", args.warmup, args.concurrency, api)
            await run("warm-up (sql)", args.warmup, args.concurrency, sql)
            print(f"{'':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
            a = await run("graphql over http", args.requests, args.concurrency, api)
            d = await run("direct asyncpg", args.requests, args.concurrency, sql)
            print(f"api / direct: throughput {a['rps'] / d['rps']:.2f}x, "
                  f"p50 {a['p50'] / d['p50']:.2f}x, p99 {a['p99'] / d['p99']:.2f}x")
    finally:
        if child is not None:
            child.terminate()
            await asyncio.wait_for(child.wait(), timeout=10)
        if server is not None:
            server.should_exit = True
            await serving
        await db.pool().execute("DELETE FROM api_key WHERE key_hash = $1", hash_key(key))
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
