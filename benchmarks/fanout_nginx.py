"""Fan-out behind nginx: 1,000 websocket subscribers through nginx onto N API processes.

The topology of `boxoffice cluster` (deploy/nginx-cluster.conf.template, honcho): nginx on a
free port in front of `--api` processes (default 3), no worker. Every subscriber connects to
nginx, which spreads the websockets over the processes (least_conn); each round makes one seat
change and measures per subscriber arrival minus the instant of the change (same clock):
- publish: the after-commit publish alone (pure fan-out through Redis and every process);
- reserve: a real `reserve` sent through nginx (end to end).
The baseline in the same run is benchmarks/fanout.py's setup: the same subscribers split over two
processes without nginx, reserves sent to one of them (skip with `--no-baseline`). Bound
(issue 15): p99 < 250 ms.

Usage: python -m benchmarks.fanout_nginx [--subscribers 1000] [--api 3] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import fanout
from benchmarks.fanout import client_main, current_version, prepare, publish_seat_changes, report

BIN = str(Path(sys.executable).parent / "boxoffice")
READY = re.compile(r"cluster ready http://([\d.]+):(\d+)/graphql api-ports ([\d ]+)")


def start_cluster(api: int, run_dir: Path) -> tuple[subprocess.Popen[bytes], str, list[int]]:
    log = run_dir / "cluster.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [BIN, "cluster", "--api", str(api), "--workers", "0", "--port", "0",
             "--run-dir", str(run_dir)],
            env={**os.environ, "RATE_LIMITS": "off", "DB_POOL_MAX": "10"},
            stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while not (found := READY.search(log.read_text(errors="replace"))):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text(errors="replace")[-3000:])
        time.sleep(0.2)
    return proc, f"http://127.0.0.1:{found.group(2)}", [int(p) for p in found.group(3).split()]


async def measure(args: argparse.Namespace, ws_urls: list[str], base: str, label: str) -> None:
    """Subscribers spread over `ws_urls`, reserves sent to `base`."""
    import httpx2
    from redis.asyncio import Redis

    from boxoffice import db
    from boxoffice.events import seats_channel
    from tests.api.booking_ops import RESERVE

    show_id, labels, key, tokens = await prepare(rows=10, per_row=20)
    redis = Redis.from_url(os.environ["REDIS_URL"])
    ctx = mp.get_context("spawn")
    pipes, procs = [], []
    per_client = args.subscribers // args.clients
    for _ in range(args.clients):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=client_main, args=(child, ws_urls, key, show_id, per_client))
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    loop = asyncio.get_running_loop()
    for p in pipes:
        assert await loop.run_in_executor(None, p.recv) == "ready"
    total = per_client * args.clients
    print(f"[{label}] {total} subscribers connected; upstream SUBSCRIBEs for the show's "
          f"channel: {dict(await redis.pubsub_numsub(seats_channel(show_id)))}")
    sent: dict[int, tuple[str, float]] = {}
    for r in range(args.rounds):
        t0 = time.time()
        version = await publish_seat_changes(redis, show_id, [(labels[r], "FREE")], 0)
        assert version is not None
        sent[version] = ("publish", t0)
        await asyncio.sleep(args.gap)
    async with httpx2.AsyncClient(base_url=base, timeout=60) as http:
        for r in range(args.rounds):
            t0 = time.time()
            resp = await http.post("/graphql", json={"query": RESERVE, "variables": {"input": {
                "showId": str(show_id), "seats": [labels[len(labels) - 1 - r]]}}},
                headers={"X-API-Key": key, "Authorization": f"Bearer {tokens[r]}"})
            assert resp.json()["data"]["reserve"]["__typename"] == "Reservation", resp.text
            sent[await current_version(redis, show_id)] = ("reserve", t0)
            await asyncio.sleep(args.gap)
    await asyncio.sleep(1.0)
    for p in pipes:
        p.send("stop")
    arrivals: list[tuple[int, float]] = []
    for p in pipes:
        arrivals.extend(await loop.run_in_executor(None, p.recv))
    for proc in procs:
        proc.join(timeout=30)
    await redis.aclose()
    await db.close_pool()
    by_kind: dict[str, list[float]] = {"publish": [], "reserve": []}
    for version, t in arrivals:
        if version in sent:
            kind, t0 = sent[version]
            by_kind[kind].append(t - t0)
    for kind, lat in by_kind.items():
        report(f"{label}: {kind}", lat, total * args.rounds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subscribers", type=int, default=1000)
    ap.add_argument("--api", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--gap", type=float, default=0.5)
    ap.add_argument("--no-baseline", action="store_true")
    args: Any = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bo-fanout-nginx-") as tmp:
        proc, base, _ports = start_cluster(args.api, Path(tmp))
        try:
            ws = base.replace("http", "ws") + "/graphql"
            asyncio.run(measure(args, [ws], base, f"nginx + {args.api} processes"))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    if not args.no_baseline:
        from benchmarks._harness import uvicorn_server

        env = {"RATE_LIMITS": "off", "DB_POOL_MAX": "10"}
        with uvicorn_server(env) as a, uvicorn_server(env) as b:
            direct = [u.replace("http", "ws") + "/graphql" for u in (a, b)]
            asyncio.run(measure(args, direct, b, "baseline: 2 processes, no nginx"))
    _ = fanout  # the subscriber client and helpers are benchmarks/fanout.py's


if __name__ == "__main__":
    main()
