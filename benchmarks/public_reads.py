"""Public reads through the rendered-response cache, against bare Starlette serving the same
bytes, in the same run (wrk, 16 connections, one uvicorn process each).

Two API processes on the same database and Redis:
- `cached`: the app as shipped, plus two bare Starlette routes that return, from memory, the
  very bytes the API answered for the seat map and for the popular search (the floor for any
  endpoint serving that answer);
- `uncached`: the same app with RESPONSE_CACHE_MB=0 (every request executes, as before).
Scenarios: seatMap of a 200-seat show (8 seats held) by GraphQL POST and by persisted-query
GET; a popular search (`marvel` in Bangalore, a page of 20 with movie and cinema) by POST.

Usage: python -m benchmarks.public_reads [--seconds 5] [-c 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import shutil
from urllib.parse import urlencode

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/boxoffice_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["RATE_LIMITS"] = "off"

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks._harness import uvicorn_server
from benchmarks.seatmap_cache import wrk
from boxoffice.app import create_app
from tests.api.booking_ops import operation

SEAT_MAP = operation("SeatMap")
SEARCH = operation("Search")
POPULAR = {"input": {"keyword": "marvel", "city": "Bangalore", "first": 20}}
_BYTES: dict[str, bytes] = {}


def create_bench_app() -> Starlette:
    app = create_app()

    async def load(request: Request) -> Response:
        _BYTES[request.path_params["name"]] = await request.body()
        return Response(status_code=204)

    async def bare(request: Request) -> Response:
        return Response(_BYTES[request.path_params["name"]], media_type="application/json")

    app.router.routes.extend([Route("/bench/load/{name}", load, methods=["POST"]),
                              Route("/bench/bare/{name}", bare)])
    return app


def server(**env: str) -> contextlib.AbstractContextManager[str]:
    return uvicorn_server(env=env, app=("--factory", "benchmarks.public_reads:create_bench_app"))


def apq_path(query: str, variables: dict[str, object]) -> str:
    sha = hashlib.sha256(query.encode()).hexdigest()
    return "/graphql?" + urlencode({
        "extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha}}),
        "variables": json.dumps(variables)})


async def run(args: argparse.Namespace) -> None:
    from benchmarks.fanout import prepare
    from devtools.seed import seed_demo

    show_id, labels, key, tokens = await prepare(rows=10, per_row=20)
    await seed_demo()
    seat_body = json.dumps({"query": SEAT_MAP, "variables": {"showId": str(show_id)}})
    search_body = json.dumps({"query": SEARCH, "variables": POPULAR})
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    with server() as cached, server(RESPONSE_CACHE_MB="0") as uncached:
        async with httpx2.AsyncClient(base_url=cached, timeout=10) as http:
            for token, seat in zip(tokens[:8], labels[::7], strict=False):
                await http.post("/graphql", json={
                    "query": operation("Reserve"),
                    "variables": {"input": {"showId": str(show_id), "seats": [seat]}}},
                    headers={**headers, "Authorization": f"Bearer {token}"})
            seat_bytes = (await http.post("/graphql", content=seat_body, headers=headers)).content
            search_bytes = (await http.post("/graphql", content=search_body,
                                            headers=headers)).content
            assert b'"errors"' not in seat_bytes + search_bytes
            await http.post("/bench/load/seatmap", content=seat_bytes)
            await http.post("/bench/load/search", content=search_bytes)
            # register the persisted query
            await http.get("/graphql", params={"query": SEAT_MAP, "extensions": json.dumps(
                {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(
                    SEAT_MAP.encode()).hexdigest()}})}, headers=headers)
            apq = apq_path(SEAT_MAP, {"showId": str(show_id)})
            assert (await http.get(apq, headers=headers)).content == seat_bytes
        scenarios = [
            ("seatMap bare Starlette, same bytes", f"{cached}/bench/bare/seatmap", None),
            ("seatMap GraphQL POST, cached", f"{cached}/graphql", seat_body),
            ("seatMap persisted GET, cached", f"{cached}{apq}", None),
            ("seatMap GraphQL POST, uncached", f"{uncached}/graphql", seat_body),
            ("search bare Starlette, same bytes", f"{cached}/bench/bare/search", None),
            ("search GraphQL POST, cached", f"{cached}/graphql", search_body),
            ("search GraphQL POST, uncached", f"{uncached}/graphql", search_body),
        ]
        print(f"seatMap {len(seat_bytes)} B, search {len(search_bytes)} B; wrk -t2 "
              f"-c{args.connections} -d{args.seconds:g}s each; {os.cpu_count()} CPUs shared "
              f"by server, wrk, Redis, Postgres")
        rps: dict[str, float] = {}
        for name, url, body in scenarios:
            await wrk(url, key, 1, args.connections, body)  # warm-up
            n, r, p50, p99, failed, size = await wrk(url, key, args.seconds, args.connections,
                                                     body)
            rps[name] = r
            print(f"{name:<36} {n:>7} req {r:>9.1f} req/s  p50 {p50:7.2f} ms  "
                  f"p99 {p99:7.2f} ms  {size:>6} B/resp  failed {failed}")
    bare_seat = rps["seatMap bare Starlette, same bytes"]
    bare_search = rps["search bare Starlette, same bytes"]
    print()
    for name in ("seatMap GraphQL POST, cached", "seatMap persisted GET, cached",
                 "seatMap GraphQL POST, uncached"):
        print(f"{name:<36} {100 * rps[name] / bare_seat:6.1f} % of bare")
    for name in ("search GraphQL POST, cached", "search GraphQL POST, uncached"):
        print(f"{name:<36} {100 * rps[name] / bare_search:6.1f} % of bare")


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is required (apt-get install wrk)")
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("-c", "--connections", type=int, default=16)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
