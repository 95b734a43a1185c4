"""How fast abusive documents are refused, next to the rules they replaced, in the same run.

1. In process: the issue's fragment bomb (`{ ...F0 } fragment F0 on Query { ...F1 ...F1 } …`)
   through Strawberry's old depth + alias validation rules (the baseline, exponential: only up
   to 18 levels, 40 would run for weeks) and through `schema.limits.analyse` (20 and 40 levels),
   plus GraphiQL's introspection query and every contract operation.
2. Over HTTP against a uvicorn process: the 40-level bomb with and without an API key, next
   to `{ __typename }` (the floor for any request) — median and max latency of N requests each.
3. The gate's own cost: `{ __typename }` with the token buckets charged, next to
   RATE_LIMITS=off, 10 x N requests each.

Usage: python -m benchmarks.limits [--requests 30]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/boxoffice_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("BOXOFFICE_ENV", "dev")
os.environ["RATE_LIMITS"] = "off"

import httpx2
from graphql import get_introspection_query, parse, validate
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule

from benchmarks._harness import uvicorn_server
from boxoffice import db
from boxoffice.auth import create_api_key
from boxoffice.migrate import ensure_migrated
from schema.limits import LimitExceeded, Limits, analyse
from schema.root import schema

OPERATIONS = Path(__file__).resolve().parents[1] / "frontend_contract" / "operations"


def fragment_bomb(levels: int) -> str:
    body = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}"
                    for i in range(levels))
    return f"{{ ...F0 }} {body} fragment F{levels} on Query {{ __typename }}"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def old_rules(query: str) -> object:
    return validate(schema._schema, parse(query),
                    [max_depth_rule(10, None, None), max_aliases_rule(30)])


def new_analysis(query: str) -> object:
    try:
        return analyse(schema._schema, parse(query), Limits())
    except LimitExceeded as exc:
        return exc


def in_process() -> None:
    print("in process (parse + rule), ms")
    rows: list[tuple[str, str, float]] = []
    for levels in (14, 16, 18):
        doc = fragment_bomb(levels)
        old = timed(functools.partial(old_rules, doc))
        rows.append((f"fragment bomb, {levels} levels", f"{old:.1f}",
                     timed(functools.partial(new_analysis, doc))))
    for levels in (20, 40):
        doc = fragment_bomb(levels)
        rows.append((f"fragment bomb, {levels} levels", f"(2^{levels} steps: not run)",
                     timed(functools.partial(new_analysis, doc))))
    intro = get_introspection_query(descriptions=True)
    rows.append(("GraphiQL introspection", f"{timed(lambda: old_rules(intro)):.2f}",
                 timed(lambda: new_analysis(intro))))
    ops = [p.read_text() for p in sorted(OPERATIONS.glob("*.graphql"))]
    rows.append((f"{len(ops)} contract operations",
                 f"{timed(lambda: [old_rules(q) for q in ops]):.2f}",
                 timed(lambda: [new_analysis(q) for q in ops])))
    print(f"  {'document':<30} {'old depth+alias rules':>24} {'new analysis':>13}")
    for name, before, after in rows:
        print(f"  {name:<30} {before:>24} {after:>13.2f}")


async def over_http(requests: int) -> None:
    await ensure_migrated(os.environ["DATABASE_URL"])
    await db.start_pool()
    key = await create_api_key("limits-bench")
    await db.close_pool()
    bomb = fragment_bomb(40)
    with uvicorn_server() as url:
        async with httpx2.AsyncClient(base_url=url, timeout=120) as http:
            print(f"over HTTP, {requests} sequential requests each: median / max ms")
            for name, query, headers in [
                ("{ __typename } with key (floor)", "{ __typename }", {"X-API-Key": key}),
                ("40-level bomb without key (401)", bomb, {}),
                ("40-level bomb with key (refused)", bomb, {"X-API-Key": key}),
            ]:
                latencies = []
                for _ in range(requests):
                    start = time.perf_counter()
                    resp = await http.post("/graphql", json={"query": query}, headers=headers)
                    latencies.append((time.perf_counter() - start) * 1000)
                assert resp.status_code in (200, 401), resp.text
                print(f"  {name:<34} {statistics.median(latencies):>7.2f} / "
                      f"{max(latencies):>7.2f}   -> {resp.status_code} "
                      f"{resp.text[:60]}")


async def gate_cost(requests: int) -> None:
    """What the gate's per-request work (key check + one Redis round trip for the token
    buckets) costs: `{ __typename }` with rate limits on, next to RATE_LIMITS=off."""
    await ensure_migrated(os.environ["DATABASE_URL"])
    await db.start_pool()
    key = await create_api_key("limits-bench")
    await db.close_pool()
    print(f"gate overhead, {requests} sequential {{ __typename }} requests: median / p99 ms")
    for name, env in [("RATE_LIMITS=off (baseline)", {"RATE_LIMITS": "off"}),
                      ("rate limits on (buckets charged)",
                       {"RATE_LIMITS": "on", "BURST_PER_ADDRESS": "100000"})]:
        with uvicorn_server(env) as url:
            async with httpx2.AsyncClient(base_url=url, timeout=30) as http:
                latencies = []
                for _ in range(requests):
                    start = time.perf_counter()
                    resp = await http.post("/graphql", json={"query": "{ __typename }"},
                                           headers={"X-API-Key": key})
                    latencies.append((time.perf_counter() - start) * 1000)
                    assert resp.status_code == 200, resp.text
        latencies.sort()
        print(f"  {name:<34} {statistics.median(latencies):>7.2f} / "
              f"{latencies[int(len(latencies) * 0.99) - 1]:>7.2f}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=30)
    args = p.parse_args()
    in_process()
    asyncio.run(over_http(args.requests))
    asyncio.run(gate_cost(args.requests * 10))


if __name__ == "__main__":
    main()
