"""The waiting queue's safety net: offer FREE seats to waiters who fit.

Offers are normally made in the transaction that frees seats (boxoffice.services.offers). That
needs the queue read from Redis first; when it could not be read (Redis down or restarting), or
a waiter joined just after the release read the queue, FREE seats and a waiter who fits can
coexist. This pass, every few seconds, closes that gap for every show that has a queue.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis

from boxoffice import db, rediskeys
from boxoffice.services.offers import offer_free_seats
from workers.context import deps_of

log = logging.getLogger(__name__)

async def queued_show_ids(redis: Redis) -> list[int]:
    """Shows that have a queue (keys `queue:{show:ID}`, see boxoffice/rediskeys.py)."""
    ids = []
    async for key in redis.scan_iter(match=rediskeys.QUEUE_SCAN_MATCH, count=1000, _type="zset"):
        show_id = rediskeys.show_of_queue(key)
        if show_id is not None:
            ids.append(show_id)
    return ids


async def serve_waiting(ctx: dict[str, Any]) -> int:
    """Cron, every 5 s: returns how many offers were made."""
    deps = deps_of(ctx)
    offers = 0
    for show_id in await queued_show_ids(deps.redis):
        try:
            offers += len((await offer_free_seats(deps, show_id)).offers)
        except db.Busy:
            log.info("show %s: contention, queue served on the next pass", show_id)
    if offers:
        log.info("queue pass made %s offer(s)", offers)
    return offers
