"""`boxoffice worker` outlives Redis: killed and restarted empty, the worker process keeps
running, frees the holds that lapsed meanwhile and rebuilds the expiry timers of live holds."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncIterator

import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import Redis

from boxoffice.auth import get_or_create_user
from boxoffice.services.deps import Deps
from boxoffice.services.jobs import expiry_job_id
from boxoffice.services.outcomes import ReservationView
from boxoffice.services.reserve import reserve_seats
from boxoffice.settings import get_settings
from tests.factories import make_show
from tests.faults.support import PrivateRedis, boxoffice_process, private_redis
from tests.workers.conftest import make_due, reservation_status, seat_statuses, wait_until

pytestmark = pytest.mark.usefixtures("clean")


@contextlib.asynccontextmanager
async def deps_on(url: str) -> AsyncIterator[Deps]:
    redis = Redis.from_url(url)
    arq: ArqRedis = await create_pool(RedisSettings.from_dsn(url))
    try:
        yield Deps(settings=get_settings(), redis=redis, arq=arq)
    finally:
        with contextlib.suppress(Exception):
            await arq.aclose()
        with contextlib.suppress(Exception):
            await redis.aclose()


async def hold(deps: Deps, email: str, show_id: int, seats: list[str]) -> ReservationView:
    r = await reserve_seats(deps, await get_or_create_user(email), show_id, seats)
    assert isinstance(r, ReservationView), r
    return r


async def worker_ready(redis: PrivateRedis) -> bool:
    client = Redis.from_url(redis.url)
    try:
        return bool(await client.exists("arq:queue:health-check"))
    except Exception:
        return False
    finally:
        await client.aclose()


async def test_worker_survives_redis_killed_and_restarted_empty() -> None:
    show = await make_show(rows=2, per_row=5)
    env = {"DATABASE_URL": os.environ["DATABASE_URL"]}
    with private_redis() as redis:
        env["REDIS_URL"] = redis.url
        async with deps_on(redis.url) as deps:
            lapsing = [await hold(deps, f"lapse{i}@example.com", show.show_id, [f"A-{i}"])
                       for i in (1, 2, 3)]
            live = await hold(deps, "live@example.com", show.show_id, ["B-1"])
        with boxoffice_process("worker", env=env) as worker:
            await wait_until(lambda: worker_ready(redis), within=30)

            redis.kill()  # Redis goes away with every expiry job in it
            await make_due(*(r.id for r in lapsing))  # these lapse while it is away
            await asyncio.sleep(2.0)  # arq's poll loop has hit the dead connection by now
            assert worker.alive(), worker.output()

            redis.start()  # back, empty
            for r in lapsing:
                await wait_until(functools.partial(_expired, r.id), within=30)
            statuses = await seat_statuses(show.show_id)
            assert {statuses[f"A-{i}"] for i in (1, 2, 3)} == {"FREE"}
            # the live hold's timer was rebuilt from Postgres in the empty Redis
            client = Redis.from_url(redis.url)
            try:
                await wait_until(lambda: client.exists(f"arq:job:{expiry_job_id(live.id)}"))
            finally:
                await client.aclose()
            assert await reservation_status(live.id) == "HELD"
            assert worker.alive(), worker.output()
            assert "restarting in" in worker.output()


async def _expired(rid: int) -> bool:
    return await reservation_status(rid) == "EXPIRED"
