"""`boxoffice worker`: the arq worker under a supervisor that outlives Redis and Postgres outages.

arq's worker ends (and `run_worker` exits 1) when its Redis connection drops, and its startup
fails while Postgres is down. The supervisor owns the database pool, runs one arq worker at a
time, and when that worker dies of a dropped connection it starts a new one after a backoff
(0.2 s doubling to 5 s; reset once a worker has run for a while). Each new worker's on_startup
expires the holds that lapsed meanwhile and re-schedules the expiry jobs of live holds from
Postgres (workers.context), so a Redis that came back empty loses no timer.

SIGTERM/SIGINT stop it: no new jobs, running ones get `job_completion_wait` to finish.

The supervisor is given the process's `Settings` once: the database pool, each worker's Redis
connection and the workers' `ctx["settings"]` all come from them. It creates each worker's
Redis connection itself (`redis_pool=`, arq's public parameter) and closes it, so it never
reaches into the worker for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import signal
import time
from typing import Any

from arq.connections import ArqRedis
from arq.worker import Worker, create_worker

from boxoffice import db
from boxoffice.redisconn import arq_pool
from boxoffice.settings import Settings, get_settings

log = logging.getLogger("workers.supervisor")

BACKOFF_START = 0.2
BACKOFF_MAX = 5.0
HEALTHY_AFTER = 30.0  # a worker that ran this long resets the backoff


class Supervisor:
    def __init__(self, settings_cls: Any, *, settings: Settings | None = None,
                 backoff_start: float = BACKOFF_START, backoff_max: float = BACKOFF_MAX,
                 **worker_kwargs: Any) -> None:
        self._settings_cls = settings_cls
        self._settings = settings or get_settings()
        self._kwargs = worker_kwargs
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self._stop = asyncio.Event()
        self.restarts = 0
        self.worker: Worker | None = None

    def stop(self) -> None:
        self._stop.set()

    def _new_worker(self, redis: ArqRedis) -> Worker:
        kwargs: dict[str, Any] = {"handle_signals": False, **self._kwargs}
        # CronJob objects carry their next run time: every worker gets fresh copies
        crons = kwargs.pop("cron_jobs", self._settings_cls.__dict__.get("cron_jobs", []))
        kwargs["cron_jobs"] = [copy.copy(c) for c in crons]
        # a fresh ctx per worker, same seed values; startup reads these settings
        kwargs["ctx"] = {"settings": self._settings, **kwargs.get("ctx", {})}
        kwargs["redis_pool"] = redis
        return create_worker(self._settings_cls, **kwargs)

    def _grace(self) -> float:
        """Seconds running jobs get to finish on a stop (`job_completion_wait`)."""
        wait = self._kwargs.get("job_completion_wait",
                                self._settings_cls.__dict__.get("job_completion_wait", 0))
        return float(wait)

    async def run(self) -> None:
        owns_pool = db.engine().pool is None
        delay = self._backoff_start
        try:
            while not self._stop.is_set():
                if owns_pool and db.engine().pool is None:
                    if not await self._start_pool():
                        delay = await self._pause(delay)
                        continue
                started = time.monotonic()
                error: BaseException | None
                try:
                    redis = await self._connect_redis()
                except Exception as exc:  # Redis down: like a worker that died of it
                    error = exc
                else:
                    if redis is None:  # stopped while connecting
                        break
                    self.worker = w = self._new_worker(redis)
                    run = asyncio.create_task(w.async_run())
                    stop = asyncio.create_task(self._stop.wait())
                    await asyncio.wait({run, stop}, return_when=asyncio.FIRST_COMPLETED)
                    stop.cancel()
                    if self._stop.is_set():
                        await _shutdown(w, run, redis, grace=self._grace())
                        break
                    error = run.exception() if not run.cancelled() else None
                    await _shutdown(w, run, redis, grace=0.0)
                if time.monotonic() - started > HEALTHY_AFTER:
                    delay = self._backoff_start
                self.restarts += 1
                log.warning("worker stopped (%s: %s); restarting in %.1f s",
                            type(error).__name__ if error else "ended", error or "", delay)
                delay = await self._pause(delay)
        finally:
            if owns_pool and db.engine().pool is not None:
                with contextlib.suppress(Exception):
                    await db.close_pool()

    async def _connect_redis(self) -> ArqRedis | None:
        """The next worker's Redis (arq retries a few times), or None when stopped meanwhile."""
        connect = asyncio.ensure_future(self._open_redis())
        stop = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({connect, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not connect.done():
            connect.cancel()
            await asyncio.gather(connect, return_exceptions=True)
            return None
        return connect.result()

    async def _open_redis(self) -> ArqRedis:
        """REDIS_URL or the primary the sentinels name (boxoffice/redisconn.py), checked with a
        PING: an unreachable Redis fails here and the run loop backs off and retries."""
        redis = arq_pool(self._settings)
        try:
            await redis.ping()
        except BaseException:
            await redis.aclose()
            raise
        return redis

    async def _start_pool(self) -> bool:
        try:
            await db.start_pool(self._settings)
            return True
        except Exception as exc:  # Postgres not up yet (OSError, timeouts, asyncpg errors)
            log.warning("database unreachable (%s); retrying", exc)
            return False

    async def _pause(self, delay: float) -> float:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), delay)
        return min(delay * 2, self._backoff_max)


async def _shutdown(w: Worker, run: asyncio.Task[None], redis: ArqRedis, grace: float) -> None:
    """Stop a worker that may have lost its Redis: nothing here may raise or hang."""
    w.allow_pick_jobs = False
    tasks = [t for t in w.tasks.values() if not t.done()]
    if tasks and grace > 0:
        await asyncio.wait(tasks, timeout=grace)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(redis.delete(w.health_check_key), 1.0)
    if w.on_shutdown is not None:
        with contextlib.suppress(Exception):
            await w.on_shutdown(w.ctx)
    with contextlib.suppress(Exception):
        await redis.aclose(close_connection_pool=True)


def run_supervised(settings_cls: Any, settings: Settings) -> None:
    """Entry point of `boxoffice worker`: run until SIGTERM/SIGINT."""

    async def main() -> None:
        sup = Supervisor(settings_cls, settings=settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, sup.stop)
        await sup.run()

    asyncio.run(main())
