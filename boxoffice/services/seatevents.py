"""After-commit side effects of seat changes: versioned events and the availability counter.

The per-show version is a Redis counter bumped by the same Lua call that publishes the event,
so publish order equals version order for every subscriber in every process. Pub/sub is at most
once: subscribers resync from a snapshot on a gap. Seat state itself never depends on Redis.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from redis.asyncio import Redis

from boxoffice import db
from boxoffice.events import queue_channel, reservation_channel, seats_channel
from boxoffice.services.outcomes import ReservationView

log = logging.getLogger(__name__)


def version_key(show_id: int) -> str:
    return f"show:{{{show_id}}}:version"


_PUBLISH = """
local v = redis.call('INCR', KEYS[1])
local msg = '{"showId":' .. ARGV[1] .. ',"version":' .. v .. ',"changes":' .. ARGV[2] .. '}'
redis.call('PUBLISH', KEYS[2], msg)
return v
"""


async def publish_seat_changes(
    redis: Redis, show_id: int, changes: Sequence[tuple[str, str]], free_delta: int
) -> int | None:
    """Publish `(label, status)` changes for a show and adjust its FREE counter.

    Runs after commit. A failure here never undoes the booking: it is logged, and the
    periodic reconciliation (workers) and client resync repair the read side.
    """
    if not changes:
        return None
    version: int | None = None
    try:
        if free_delta:
            # autocommit READ COMMITTED write: never part of a SERIALIZABLE conflict
            await db.pool().execute(
                "UPDATE show SET free_seats = GREATEST(0, free_seats + $2) WHERE id = $1",
                show_id,
                free_delta,
            )
        payload = json.dumps([{"label": lbl, "status": st} for lbl, st in changes])
        version = int(
            await redis.eval(  # type: ignore[misc]
                _PUBLISH, 2, version_key(show_id), seats_channel(show_id), show_id, payload
            )
        )
    except Exception:
        log.exception("after-commit seat event for show %s failed", show_id)
    return version


async def current_version(redis: Redis, show_id: int) -> int:
    raw = await redis.get(version_key(show_id))
    return int(raw) if raw else 0


async def publish_reservation(redis: Redis, view: ReservationView) -> None:
    """Announce a reservation's new status to its owner's `reservation` subscription."""
    try:
        await redis.publish(
            reservation_channel(view.id),
            json.dumps({"id": view.id, "showId": view.show_id, "userId": view.user_id,
                        "status": view.status, "seats": list(view.seats),
                        "expiresAt": view.expires_at.isoformat(), "amount": view.amount,
                        "currency": view.currency, "isOffer": view.is_offer}),
        )
    except Exception:
        log.exception("reservation event %s failed", view.id)


async def publish_queue_changed(redis: Redis, show_id: int) -> None:
    """Tell `queue` subscribers of a show to re-read their position (joins, leaves, offers)."""
    try:
        await redis.publish(queue_channel(show_id), json.dumps({"showId": show_id}))
    except Exception:
        log.exception("queue event for show %s failed", show_id)
