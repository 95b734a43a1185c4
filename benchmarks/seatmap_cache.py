"""`seatMap` served from the Redis cache, against a bare Starlette endpoint, in the same run.

One uvicorn process serves, side by side (same process, same Redis, same show):
- `seatMap` over GraphQL from the cache: the real schema types, API-key gate and extensions,
  resolved by `services.seatcache.get_seat_map` (how the lead will wire Query.seatMap);
- `seatMap` over GraphQL as Query.seatMap is wired today (catalog loaders, Postgres), for
  reference;
- bare Starlette: one pipelined Redis read of the cached bytes (version + bitmap), returned as
  is: the floor for any endpoint serving this cache;
- bare Starlette JSON: the same cache read, decoded and rendered to the same JSON shape by
  hand (no GraphQL), to split GraphQL's cost from decoding.
wrk drives each for a few seconds (C load generator, off the server's CPU as far as 2 CPUs go).

Usage: python -m benchmarks.seatmap_cache [--rows 10] [--per-row 20] [--seconds 5] [-c 32]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
from pathlib import Path

os.environ.setdefault("DATABASE_URL",
                      "postgresql://postgres@127.0.0.1:5432/boxoffice_bench_realtime")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ["RATE_LIMITS"] = "off"

import httpx2
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.types import Info

from benchmarks._harness import uvicorn_server
from boxoffice.app import create_app
from boxoffice.graphql_view import BoxofficeGraphQL
from boxoffice.services.seatcache import get_seat_map, read_cached
from boxoffice.state import AppState
from schema.context import Context
from schema.errors import NOT_FOUND, coded
from schema.extensions import EXTENSIONS
from schema.types.catalog import SeatMap

QUERY = """query SeatMap($showId: ID!) { seatMap(showId: $showId) {
  showId version free held booked
  seats { label row number category price currency status x y } } }"""


@strawberry.type
class CacheQuery:
    @strawberry.field
    async def seat_map(self, info: Info[Context, None], show_id: strawberry.ID) -> SeatMap:
        snapshot = await get_seat_map(info.context.state, int(show_id))
        if snapshot is None:
            raise coded(f"no show {show_id}", NOT_FOUND)
        return SeatMap.from_snapshot(snapshot)


def create_bench_app() -> Starlette:
    """The real app plus the benchmark's routes (run with `uvicorn --factory`)."""
    app = create_app()
    cache_graphql = BoxofficeGraphQL(strawberry.Schema(query=CacheQuery, extensions=EXTENSIONS))

    async def bare(request: Request) -> Response:
        state: AppState = request.app.state.boxoffice
        version, bitmap, _ = await read_cached(state.redis, int(request.path_params["show_id"]))
        return Response(bitmap or b"", media_type="application/octet-stream",
                        headers={"X-Seat-Version": str(version)})

    async def bare_json(request: Request) -> Response:
        state: AppState = request.app.state.boxoffice
        m = await get_seat_map(state, int(request.path_params["show_id"]))
        if m is None:
            return Response(status_code=404)
        seats = [{"label": s.label, "row": s.row, "number": s.number, "category": s.category,
                  "price": s.price, "currency": m.currency, "status": s.status, "x": s.x,
                  "y": s.y} for s in m.seats]
        body = {"data": {"seatMap": {
            "showId": str(m.show_id), "version": m.version, "free": m.count("FREE"),
            "held": m.count("HELD"), "booked": m.count("BOOKED"), "seats": seats}}}
        return Response(json.dumps(body, separators=(",", ":")),
                        media_type="application/json")

    app.router.routes.extend([
        Route("/bench/graphql-cache", cache_graphql, methods=["POST"]),
        Route("/bench/bare/{show_id:int}", bare),
        Route("/bench/json/{show_id:int}", bare_json),
    ])
    return app


def bench_server() -> contextlib.AbstractContextManager[str]:
    return uvicorn_server(app=("--factory", "benchmarks.seatmap_cache:create_bench_app"))


async def wrk(url: str, key: str, seconds: float, connections: int,
              body: str | None) -> tuple[int, float, float, float, int, int]:
    env = {**os.environ, "BOX_METHOD": "POST" if body else "GET", "BOX_BODY": body or "",
           "BOX_API_KEY": key}
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, int(seconds))}s",
           "-s", str(Path(__file__).with_name("wrk_seatmap.lua")), url]
    proc = await asyncio.create_subprocess_exec(*cmd, env=env, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    line = next((x for x in out.decode().splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out.decode()}")
    n, duration_us, p50, p99, _mean, failed, nbytes = line.split()[1:]
    return (int(n), int(n) / (int(duration_us) / 1e6), float(p50), float(p99), int(failed),
            int(nbytes) // max(1, int(n)))


async def run(args: argparse.Namespace) -> None:
    from benchmarks.fanout import prepare

    show_id, labels, key, tokens = await prepare(rows=args.rows, per_row=args.per_row)
    with bench_server() as url:
        async with httpx2.AsyncClient(base_url=url, timeout=10) as http:
            # some seats HELD so every status path is exercised, then a warm cache
            for token, seat in zip(tokens[:8], labels[::7], strict=False):
                await http.post("/graphql", json={
                    "query": "mutation R($i: ReserveInput!) { reserve(input: $i) { __typename } }",
                    "variables": {"i": {"showId": str(show_id), "seats": [seat]}}},
                    headers={"X-API-Key": key, "Authorization": f"Bearer {token}"})
            body = json.dumps({"query": QUERY, "variables": {"showId": str(show_id)}})
            cached = (await http.post("/bench/graphql-cache", content=body, headers={
                "X-API-Key": key, "Content-Type": "application/json"})).json()
            wired = (await http.post("/graphql", content=body, headers={
                "X-API-Key": key, "Content-Type": "application/json"})).json()
            hand = (await http.get(f"/bench/json/{show_id}")).json()
            assert "errors" not in cached, cached
            assert cached["data"]["seatMap"]["seats"] == wired["data"]["seatMap"]["seats"] \
                == hand["data"]["seatMap"]["seats"], "the three answers must agree"
        scenarios = [
            ("GraphQL seatMap, from cache", f"{url}/bench/graphql-cache", body),
            ("GraphQL seatMap, as wired now", f"{url}/graphql", body),
            ("bare Starlette, cached bytes", f"{url}/bench/bare/{show_id}", None),
            ("bare Starlette, JSON from cache", f"{url}/bench/json/{show_id}", None),
        ]
        results = {}
        print(f"show of {len(labels)} seats; wrk -t2 -c{args.connections} -d{args.seconds:g}s "
              f"per scenario; {os.cpu_count()} CPUs shared by server, wrk, Redis, Postgres")
        for name, target, payload in scenarios:
            await wrk(target, key, 1, args.connections, payload)  # warm-up
            n, rps, p50, p99, failed, size = await wrk(target, key, args.seconds,
                                                       args.connections, payload)
            results[name] = rps
            print(f"{name:<34} {n:>7} req {rps:>9.1f} req/s  p50 {p50:7.2f} ms  "
                  f"p99 {p99:7.2f} ms  {size:>6} B/resp  failed {failed}")
    cache = results["GraphQL seatMap, from cache"]
    print(f"\nbare cached bytes / GraphQL from cache (throughput): "
          f"{results['bare Starlette, cached bytes'] / cache:.2f}x")
    print(f"bare JSON from cache / GraphQL from cache:          "
          f"{results['bare Starlette, JSON from cache'] / cache:.2f}x")
    print(f"GraphQL from cache / GraphQL as wired now:          "
          f"{cache / results['GraphQL seatMap, as wired now']:.2f}x")


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is required (apt-get install wrk)")
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--per-row", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("-c", "--connections", type=int, default=32)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
