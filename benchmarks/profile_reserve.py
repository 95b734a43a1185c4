"""CPU per reserve in the API process, and where it goes (cProfile), plus unloaded latencies.

Part 1 (CPU): the ASGI app runs in this process, lifespan entered, and is called directly with
an HTTP scope (no HTTP client, no socket): every reserve is a real `reserve` mutation with
`X-API-Key` and a bearer token, on its own seat of a big show, one at a time. The figure is
`time.process_time()` per request in this process (Postgres and Redis run elsewhere); the
baseline in the same run is the same transaction on raw asyncpg (reserve.py's raw worker).
Then cProfile over another batch: the top functions and the CPU per package.

Part 2 (latency, `--latency`): a real uvicorn process, one client, requests one after another:
reserve then cancel, reserve then confirm; p50/p99 of each (bounds: confirm and cancel p50 < 50
ms unloaded and at most twice reserve's p50).

Usage: python -m benchmarks.profile_reserve [--requests 400] [--top 25] [--latency 100]
Uses DATABASE_URL/REDIS_URL (default boxoffice_bench_profile, Redis db 13); both are emptied.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import time
from collections import defaultdict
from typing import Any

os.environ.setdefault("DATABASE_URL",
                      "postgresql://postgres@127.0.0.1:5432/boxoffice_bench_profile")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ["RATE_LIMITS"] = "off"

import httpx2
from redis.asyncio import Redis

from benchmarks._harness import uvicorn_server
from benchmarks.reserve import make_users, raw_worker
from boxoffice import db
from boxoffice.auth import create_api_key, issue_token
from boxoffice.migrate import ensure_migrated

RESERVE = """mutation R($input: ReserveInput!) { reserve(input: $input) { __typename
  ... on Reservation { id expiresAt amount } } }"""
CANCEL = """mutation C($id: ID!) { cancelReservation(reservationId: $id) { __typename } }"""
CONFIRM = """mutation P($input: ConfirmInput!) { confirm(input: $input) { __typename } }"""


async def fresh(rows: int, per_row: int) -> int:
    from boxoffice.services.showmeta import clear_show_meta
    from tests.factories import make_show, truncate_all

    await truncate_all()
    clear_show_meta()
    await Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    return (await make_show(rows=rows, per_row=per_row, name="profile")).show_id


async def asgi_post(app: Any, body: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """One POST /graphql straight into the ASGI app; returns the response body."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
             "query_string": b"", "root_path": "", "server": ("127.0.0.1", 8000),
             "client": ("127.0.0.1", 40000),
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode()), *headers],
             "app": app}
    sent = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(chunks)


def reserve_bodies(show_id: int, labels: list[str], users: list[Any], key: str
                   ) -> list[tuple[bytes, list[tuple[bytes, bytes]]]]:
    out = []
    for user, label in zip(users, labels, strict=False):
        body = json.dumps({"query": RESERVE, "variables": {
            "input": {"showId": str(show_id), "seats": [label]}}}).encode()
        out.append((body, [(b"x-api-key", key.encode()),
                           (b"authorization", f"Bearer {issue_token(user)}".encode())]))
    return out


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own (tottime) CPU per top-level package, largest first."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _fn), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        path = filename.replace("\\", "/")
        if "site-packages/" in path:
            pkg = path.split("site-packages/")[1].split("/")[0].split(".")[0]
        elif "/work/" in path or path.startswith(("boxoffice", "schema", "resolvers")):
            parts = path.split("/")
            pkg = next((p for p in parts if p in {"boxoffice", "schema", "resolvers",
                                                  "benchmarks", "workers"}), "project")
        elif path.startswith("~") or path.startswith("<"):
            pkg = "builtins (C)"
        else:
            pkg = "stdlib: " + path.rsplit("/", 1)[-1].removesuffix(".py")
            if "asyncio" in path:
                pkg = "stdlib: asyncio"
        totals[pkg] += tt
    return sorted(totals.items(), key=lambda kv: -kv[1])


async def cpu_part(n: int, top: int) -> None:
    from boxoffice.app import create_app
    from boxoffice.settings import reset_settings_cache

    per_row = 50
    rows = (2 * n + 200) // per_row + 1
    show_id = await fresh(min(rows, 26), per_row)
    labels = [f"{chr(ord('A') + r)}-{i}" for r in range(min(rows, 26))
              for i in range(1, per_row + 1)]
    assert len(labels) >= 2 * n + 100, "too many requests for one 26-row show"
    key = await create_api_key("profile")
    users = await make_users(2 * n + 100)
    reset_settings_cache()
    app = create_app()
    async with app.router.lifespan_context(app):
        reqs = reserve_bodies(show_id, labels, users, key)
        for body, headers in reqs[:50]:  # warm-up: caches, parser, connections
            await asgi_post(app, body, headers)

        async def run(batch: list[tuple[bytes, list[tuple[bytes, bytes]]]]) -> tuple[float, float]:
            c0, w0 = time.process_time(), time.perf_counter()
            for body, headers in batch:
                out = await asgi_post(app, body, headers)
                if b'"Reservation"' not in out:
                    raise RuntimeError(out.decode()[:300])
            return (time.process_time() - c0) / len(batch), (time.perf_counter() - w0) / len(batch)

        cpu, wall = await run(reqs[50:50 + n])
        prof = cProfile.Profile(time.process_time)  # CPU, not wall (idle epoll waits)
        prof.enable()
        await run(reqs[50 + n:50 + 2 * n])
        prof.disable()

    # baseline: the bare transaction on raw asyncpg, same machine, same moment
    show_id = await fresh(min(rows, 26), per_row)
    users = await make_users(n)
    work = raw_worker(db.pool(), [0])
    c0, w0 = time.process_time(), time.perf_counter()
    for user, label in zip(users, labels, strict=False):
        assert await work((user, show_id, [label])) == "Reservation"
    raw_cpu, raw_wall = (time.process_time() - c0) / n, (time.perf_counter() - w0) / n

    print(f"reserve through the ASGI app, sequential, {n} requests:")
    print(f"  CPU in this process  {cpu * 1000:6.2f} ms/reserve   wall {wall * 1000:6.2f} ms")
    print(f"  raw asyncpg txn      {raw_cpu * 1000:6.2f} ms/reserve   "
          f"wall {raw_wall * 1000:6.2f} ms   (baseline, same run)")
    print("  target: < 1.5 ms CPU per reserve in the API process")
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())  # type: ignore[attr-defined]
    print(f"\ncProfile, {n} reserves (profiler overhead inflates the total: "
          f"{total / n * 1000:.2f} ms/reserve profiled):")
    print(f"  {'package':<28} {'ms/reserve':>10} {'share':>7}")
    for pkg, tt in by_package(st)[:16]:
        print(f"  {pkg:<28} {tt / n * 1000:>10.3f} {tt / total:>7.1%}")
    print()
    st.sort_stats("tottime").print_stats(top)
    if os.environ.get("PROFILE_DUMP"):
        st.dump_stats(os.environ["PROFILE_DUMP"])


async def latency_part(n: int) -> None:
    show_id = await fresh(26, 50)
    key = await create_api_key("profile")
    users = await make_users(2 * n + 20)
    labels = [f"{chr(ord('A') + r)}-{i}" for r in range(26) for i in range(1, 51)]
    times: dict[str, list[float]] = defaultdict(list)
    with uvicorn_server({"RATE_LIMITS": "off"}) as url:
        async with httpx2.AsyncClient(base_url=url, timeout=30) as client:
            async def call(name: str, query: str, variables: dict, user: Any) -> dict:
                t = time.perf_counter()
                resp = await client.post("/graphql", json={"query": query, "variables": variables},
                                         headers={"X-API-Key": key,
                                                  "Authorization": f"Bearer {issue_token(user)}"})
                times[name].append(time.perf_counter() - t)
                body = resp.json()
                if body.get("errors"):
                    raise RuntimeError(body["errors"])
                return body["data"]

            for i, user in enumerate(users[:2 * n + 20]):
                res = await call("reserve", RESERVE, {"input": {"showId": str(show_id),
                                                                "seats": [labels[i]]}}, user)
                rid = res["reserve"]["id"]
                if i % 2:
                    await call("cancelReservation", CANCEL, {"id": rid}, user)
                else:
                    out = await call("confirm", CONFIRM, {"input": {
                        "reservationId": rid, "paymentToken": "tok_visa",
                        "idempotencyKey": f"lat-{i}"}}, user)
                    assert out["confirm"]["__typename"] == "Booking", out
    print(f"\nunloaded latency, one client, uvicorn process ({n} of each after 10 warm-up):")
    p50s = {}
    for name, xs in times.items():
        xs = sorted(xs[10:])
        p50s[name] = statistics.median(xs) * 1000
        print(f"  {name:<18} p50 {p50s[name]:7.2f} ms   p99 "
              f"{xs[min(len(xs) - 1, int(0.99 * len(xs)))] * 1000:7.2f} ms")
    for name in ("confirm", "cancelReservation"):
        ratio = p50s[name] / p50s["reserve"]
        print(f"  {name} p50 / reserve p50 = {ratio:.2f} (bound: < 50 ms and <= 2.0)")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--latency", type=int, default=100,
                    help="reserve+cancel and reserve+confirm pairs through uvicorn (0: skip)")
    args = ap.parse_args()
    await ensure_migrated(os.environ["DATABASE_URL"])
    await db.start_pool()
    try:
        await cpu_part(args.requests, args.top)
        if args.latency:
            await latency_part(args.latency)
    finally:
        await db.close_pool()


if __name__ == "__main__":
    import uvloop  # what uvicorn[standard] runs the app on

    uvloop.run(main())
