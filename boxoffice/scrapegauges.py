"""Fleet-wide gauges read at scrape time: live holds and queue lengths.

They describe Postgres and Redis, not one process, so whichever process is scraped reads them
(cheap counts, bounded by a timeout) and writes them in `livemostrecent` mode: the latest
reading wins instead of N copies being summed. A failed reading leaves the previous values.
"""

from __future__ import annotations

import asyncio
import logging
import time

from arq.constants import default_queue_name
from redis.asyncio import Redis

from boxoffice import db, metrics
from models.booking import NotificationStatus, ReservationStatus, SeatStatus

log = logging.getLogger("boxoffice.metrics")
TIMEOUT = 2.0

_COUNTS = f"""SELECT
    (SELECT count(*) FROM reservation WHERE status = '{ReservationStatus.HELD}') AS holds,
    (SELECT count(*) FROM show_seat WHERE status = '{SeatStatus.HELD}') AS held_seats,
    (SELECT count(*) FROM notification WHERE status = '{NotificationStatus.PENDING}') AS outbox"""


async def _database() -> None:
    row = await db.pool().fetchrow(_COUNTS)
    metrics.HOLDS.set(row["holds"])
    metrics.HELD_SEATS.set(row["held_seats"])
    metrics.QUEUE_LENGTH.labels("outbox").set(row["outbox"])


async def _redis(redis: Redis) -> None:
    now_ms = int(time.time() * 1000)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcount(default_queue_name, "-inf", now_ms)
        pipe.zcount(default_queue_name, f"({now_ms}", "+inf")
        due, deferred = await pipe.execute()
    metrics.QUEUE_LENGTH.labels("jobs").set(due)
    metrics.QUEUE_LENGTH.labels("jobs_deferred").set(deferred)


async def refresh(redis: Redis) -> None:
    for name, coro in (("database", _database()), ("redis", _redis(redis))):
        try:
            await asyncio.wait_for(coro, TIMEOUT)
        except Exception as exc:  # a scrape still answers, with the last known values
            log.warning("metrics: %s gauges not refreshed (%s: %s)", name,
                        type(exc).__name__, exc)
