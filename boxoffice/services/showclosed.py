"""A cancelled show's seat map is closed to subscribers: a Redis flag plus a final message.

The flag answers new subscribers (checked after they subscribe); the `closed` message on the
show's seat channel, published after the last seat change, ends the live ones. Postgres
(`show.status`) stays the truth for booking; this only tells subscriptions to end.
"""

from __future__ import annotations

import json
import logging

from redis.asyncio import Redis

from boxoffice import rediskeys
from boxoffice.events import seats_channel

log = logging.getLogger(__name__)

CLOSED_TTL_SECONDS = 30 * 24 * 3600


closed_key = rediskeys.seat_map_closed


def is_closed_message(message: object) -> bool:
    return isinstance(message, dict) and message.get("closed") is True


async def close_seat_map(redis: Redis, show_id: int) -> None:
    try:
        await redis.set(closed_key(show_id), 1, ex=CLOSED_TTL_SECONDS)
        await redis.publish(seats_channel(show_id),
                            json.dumps({"showId": show_id, "closed": True}))
    except Exception:
        log.exception("could not close the seat map of show %s", show_id)


async def seat_map_closed(redis: Redis, show_id: int) -> bool:
    try:
        return bool(await redis.exists(closed_key(show_id)))
    except Exception:
        return False
