"""In-process arq workers over the same Postgres, Redis and event loop as the tests.

`make_worker` builds a worker from the real WorkerSettings with test timings (poll 50 ms, no
signal handlers). Burst workers leave out the crons: arq's burst mode never ends while a cron
job sits in the queue. `running_worker` runs a full worker, crons included, in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from arq.worker import Worker, create_worker

from boxoffice import db
from boxoffice.redisconn import arq_pool
from boxoffice.settings import Settings
from workers.settings import WorkerSettings


def make_worker(settings: Settings | None = None, *, burst: bool = True, crons: bool = False,
                **kwargs: Any) -> Worker:
    return create_worker(
        WorkerSettings,  # type: ignore[arg-type]  # arq's Protocol sees on_startup as a method
        burst=burst, poll_delay=0.05, handle_signals=False,
        ctx={"settings": settings} if settings else {},
        redis_pool=arq_pool(settings),  # the worker closes it
        # CronJob objects carry their next run: each worker gets its own copies
        cron_jobs=[copy.copy(c) for c in WorkerSettings.cron_jobs] if crons else [],
        **kwargs,
    )


async def close_worker(w: Worker) -> None:
    with warnings.catch_warnings():
        # arq 0.28 closes its pool with redis-py's deprecated close(); not ours to fix
        warnings.filterwarnings("ignore", "Call to deprecated close", DeprecationWarning)
        await w.close()


async def run_burst(settings: Settings | None = None, within: float = 15.0) -> Worker:
    """Run a burst worker until the queue is empty (deferred jobs included) and close it."""
    w = make_worker(settings)
    try:
        await asyncio.wait_for(w.async_run(), within)
    finally:
        await close_worker(w)
    return w


@contextlib.asynccontextmanager
async def running_worker(settings: Settings | None = None, *, crons: bool = True,
                         **kwargs: Any) -> AsyncIterator[Worker]:
    w = make_worker(settings, burst=False, crons=crons, **kwargs)
    task = asyncio.create_task(w.async_run())
    try:
        yield w
    finally:
        # stop picking jobs, let running ones finish, then stop the poll loop and close
        w.allow_pick_jobs = False
        await asyncio.gather(*w.tasks.values(), return_exceptions=True)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await close_worker(w)


async def wait_until(check: Callable[[], Awaitable[Any]], within: float = 10.0,
                     interval: float = 0.02) -> Any:
    """Poll `check` until it returns something truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(interval)


async def seat_statuses(show_id: int) -> dict[str, str]:
    rows = await db.pool().fetch("SELECT label, status FROM show_seat WHERE show = $1", show_id)
    return {r["label"]: r["status"] for r in rows}


async def reservation_status(rid: int | str) -> str:
    status: str = await db.pool().fetchval("SELECT status FROM reservation WHERE id = $1",
                                           int(rid))
    return status


async def make_due(*rids: int | str) -> None:
    """Move holds' expiry into the past (faster than waiting for HOLD_SECONDS)."""
    await db.pool().execute(
        "UPDATE reservation SET expires_at = now() - interval '10 ms' WHERE id = ANY($1::int[])",
        [int(r) for r in rids],
    )


def state_of(api: Any) -> Any:
    return api.client._transport.app.state.boxoffice
