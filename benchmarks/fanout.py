"""Fan-out latency: one seat change delivered to 1,000 websocket subscribers on two processes.

Two uvicorn processes (A and B) serve `seatMap(showId)` subscriptions over graphql-transport-ws;
client processes hold the websockets (half on A, half on B) and stamp every event on arrival.
Each round makes one seat change and measures, per subscriber, arrival time minus the instant
the change was made (same host, same clock):
- publish: the after-commit publish itself (`publish_seat_changes`), i.e. pure fan-out;
- reserve: a real `reserve` mutation sent to process B's HTTP endpoint (end to end).
Also printed: how many upstream SUBSCRIBEs Redis sees for the show's channel (one per process,
however many subscribers).

Usage: python -m benchmarks.fanout [--subscribers 1000] [--rounds 20] [--clients 2]
Loopback only; uses its own database and Redis db (emptied first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import time
from multiprocessing.connection import Connection
from typing import Any

os.environ.setdefault("DATABASE_URL",
                      "postgresql://postgres@127.0.0.1:5432/boxoffice_bench_realtime")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ["RATE_LIMITS"] = "off"

import httpx2
import websockets
from redis.asyncio import Redis
from websockets.typing import Subprotocol

from benchmarks._harness import uvicorn_server
from boxoffice import db
from boxoffice.auth import create_api_key, get_or_create_user, issue_token
from boxoffice.events import seats_channel
from boxoffice.migrate import ensure_migrated
from boxoffice.services.seatevents import current_version, publish_seat_changes

SUBSCRIPTION = """subscription S($showId: ID!) { seatMap(showId: $showId) {
  version changes { label status } snapshot { version } } }"""
RESERVE = """mutation R($input: ReserveInput!) { reserve(input: $input) { __typename } }"""


# ---------------------------------------------------------------------------------------------
# client processes


async def _subscriber(url: str, key: str, show_id: int, ready: asyncio.Event,
                      arrivals: list[tuple[int, float]], stop: asyncio.Event) -> None:
    async with websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")],
                                  max_queue=None, open_timeout=60) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"apiKey": key}}))
        await ws.recv()  # connection_ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": SUBSCRIPTION, "variables": {"showId": str(show_id)}}}))
        ready.set()
        reader = asyncio.ensure_future(stop.wait())
        while not stop.is_set():
            recv = asyncio.ensure_future(ws.recv())
            done, _ = await asyncio.wait({recv, reader}, return_when=asyncio.FIRST_COMPLETED)
            if recv not in done:
                recv.cancel()
                break
            now = time.time()
            message = json.loads(recv.result())
            if message.get("type") == "next":
                event = message["payload"]["data"]["seatMap"]
                if event["snapshot"] is None:
                    arrivals.append((event["version"], now))


async def _client(pipe: Connection, urls: list[str], key: str, show_id: int, n: int) -> None:
    arrivals: list[tuple[int, float]] = []
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(n)]
    gate = asyncio.Semaphore(50)  # connect in waves, not 500 handshakes at once

    async def one(i: int) -> None:
        async with gate:
            task = asyncio.create_task(_subscriber(urls[i % len(urls)], key, show_id,
                                                   readies[i], arrivals, stop))
            await readies[i].wait()
        await task

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    await asyncio.gather(*(r.wait() for r in readies))
    await asyncio.sleep(1.0)  # every snapshot delivered before the first round
    pipe.send("ready")
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # "stop"
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(arrivals)


def client_main(pipe: Connection, urls: list[str], key: str, show_id: int, n: int) -> None:
    asyncio.run(_client(pipe, urls, key, show_id, n))


# ---------------------------------------------------------------------------------------------
# coordinator


async def prepare(rows: int, per_row: int) -> tuple[int, list[str], str, list[str]]:
    await ensure_migrated(os.environ["DATABASE_URL"])
    await db.start_pool()
    await db.pool().execute(
        "TRUNCATE notification, ticket, booking, payment, show_seat, reservation, api_key, "
        "app_user, show_price, show, movie, cinema_seat, seat_category, cinema_hall, cinema, "
        "postal_code, city RESTART IDENTITY CASCADE")
    redis = Redis.from_url(os.environ["REDIS_URL"])
    await redis.flushdb()
    await redis.aclose()
    from tests.factories import make_show

    show = await make_show(rows=rows, per_row=per_row, name="fanout")
    key = await create_api_key("fanout-bench")
    tokens = [issue_token(await get_or_create_user(f"fan{i}@bench.example")) for i in range(64)]
    return show.show_id, show.labels, key, tokens


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(p / 100 * len(s)))] if s else float("nan")


def report(name: str, latencies: list[float], expected: int) -> None:
    ms = [x * 1000 for x in latencies]
    print(f"{name:<26} delivered {len(ms):>6}/{expected:<6} p50 {pct(ms, 50):7.1f} ms  "
          f"p99 {pct(ms, 99):7.1f} ms  max {max(ms, default=float('nan')):7.1f} ms  "
          f"mean {statistics.fmean(ms) if ms else float('nan'):7.1f} ms")


async def run(args: argparse.Namespace) -> None:
    show_id, labels, key, tokens = await prepare(rows=10, per_row=20)
    redis = Redis.from_url(os.environ["REDIS_URL"])
    env = {"RATE_LIMITS": "off", "DB_POOL_MAX": "10"}
    with uvicorn_server(env) as a, uvicorn_server(env) as b:
        urls = [a.replace("http", "ws") + "/graphql", b.replace("http", "ws") + "/graphql"]
        ctx = mp.get_context("spawn")
        pipes, procs = [], []
        per_client = args.subscribers // args.clients
        started = time.perf_counter()
        for _ in range(args.clients):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=client_main, args=(child, urls, key, show_id, per_client))
            proc.start()
            pipes.append(parent)
            procs.append(proc)
        loop = asyncio.get_running_loop()
        for p in pipes:
            assert await loop.run_in_executor(None, p.recv) == "ready"
        total = per_client * args.clients
        print(f"{total} subscribers connected over {len(urls)} processes in "
              f"{time.perf_counter() - started:.1f}s; upstream SUBSCRIBEs for the show's channel: "
              f"{dict(await redis.pubsub_numsub(seats_channel(show_id)))}")

        sent: dict[int, tuple[str, float]] = {}
        for r in range(args.rounds):  # direct publish: the fan-out alone
            label = labels[r]
            t0 = time.time()
            # the seat's true status (FREE): fans out like any change, and leaves the cache in
            # agreement with Postgres (the refresher would otherwise publish a correction)
            version = await publish_seat_changes(redis, show_id, [(label, "FREE")], 0)
            assert version is not None
            sent[version] = ("publish", t0)
            await asyncio.sleep(args.gap)
        async with httpx2.AsyncClient(base_url=b, timeout=10) as http:
            for r in range(args.rounds):  # a real reserve through process B
                seat = labels[len(labels) - 1 - r]
                t0 = time.time()
                resp = await http.post("/graphql", json={"query": RESERVE, "variables": {
                    "input": {"showId": str(show_id), "seats": [seat]}}},
                    headers={"X-API-Key": key, "Authorization": f"Bearer {tokens[r]}"})
                assert resp.json()["data"]["reserve"]["__typename"] == "Reservation", resp.text
                sent[await current_version(redis, show_id)] = ("reserve via B", t0)
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

    by_kind: dict[str, list[float]] = {"publish": [], "reserve via B": []}
    for version, t in arrivals:
        if version in sent:
            kind, t0 = sent[version]
            by_kind[kind].append(t - t0)
    print(f"\nper-subscriber delivery latency, {args.rounds} rounds each "
          f"({os.cpu_count()} CPUs shared by 2 servers, {args.clients} client processes, Redis "
          f"and Postgres):")
    for kind, lat in by_kind.items():
        report(kind, lat, total * args.rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between changes")
    args: Any = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
