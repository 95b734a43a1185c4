"""A real Redis restart mid-subscription, on a private redis-server (the shared one stays up).

The restarted Redis is empty: counters, cache and subscriptions are gone. The subscriber must
get a fresh snapshot whose version is still above everything it saw, and then live deltas.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import Iterator

import redis as sync_redis

from boxoffice.services.seatcache import VERSION_GAP
from tests.api.booking_ops import RESERVE
from tests.factories import make_show
from tests.realtime.support import SEAT_MAP, free_port, graphql, subscribed, uvicorn

# the machine's Redis comes from Debian's redis-server package: its binary missing is a broken
# setup, and the private server below fails to start loudly


@contextlib.contextmanager
def redis_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = sync_redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(sync_redis.ConnectionError):
                if client.ping():
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("private redis-server did not start")
            time.sleep(0.05)
        client.close()
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_a_redis_restart_mid_subscription_recovers_with_a_fresh_snapshot(world):
    port = free_port()
    show = await make_show(rows=2, per_row=5)
    with redis_server(port) as first_life, \
            uvicorn({"REDIS_URL": f"redis://127.0.0.1:{port}/0"}) as server:
        async with subscribed(server, world.init(), SEAT_MAP,
                              {"showId": str(show.show_id)}) as sub:
            last = (await sub.next())["seatMap"]["version"]
            await graphql(server.http, world.key, RESERVE,
                          {"input": {"showId": str(show.show_id), "seats": ["A-1"]}},
                          token=world.tokens[0])
            event = (await sub.next(within=1.0))["seatMap"]
            assert event["version"] == last + 1
            last = event["version"]

            first_life.terminate()  # Redis goes away, with everything in it
            first_life.wait(timeout=10)
            await asyncio.sleep(0.3)
            with redis_server(port):
                event = (await sub.next(within=10.0))["seatMap"]
                assert event["snapshot"] is not None
                assert event["version"] > last and event["version"] > VERSION_GAP
                held = {s["label"] for s in event["snapshot"]["seats"] if s["status"] == "HELD"}
                assert held == {"A-1"}  # rebuilt from Postgres
                last = event["version"]
                await graphql(server.http, world.key, RESERVE,
                              {"input": {"showId": str(show.show_id), "seats": ["B-2"]}},
                              token=world.tokens[1])
                event = (await sub.next(within=1.0))["seatMap"]
                assert event["version"] == last + 1
                assert event["changes"] == [{"label": "B-2", "status": "HELD"}]
