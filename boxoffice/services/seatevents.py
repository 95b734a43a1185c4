"""After-commit side effects of seat changes: versioned events and the availability counter.

The per-show version is a Redis counter bumped by the same Lua call that publishes the event,
so publish order equals version order for every subscriber in every process. Pub/sub is at most
once: subscribers resync from a snapshot on a gap. Seat state itself never depends on Redis.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from boxoffice import db
from boxoffice.events import queue_channel, reservation_channel, seats_channel
from boxoffice.services.outcomes import ReservationView
from boxoffice.services.seatcache import (
    CACHE_TTL_SECONDS,
    STATUS_CODE,
    bitmap_key,
    ensure_version,
    index_key,
    version_key,
)

log = logging.getLogger(__name__)


# One message format for every seat event, built inside Lua so the version is the one INCR gave.
_MESSAGE = """'{"showId":' .. ARGV[1] .. ',"version":' .. v .. ',"changes":' .. ARGV[2] .. '}'"""

# KEYS: version, channel, bitmap, index. ARGV: show id, changes JSON, then label, code pairs.
# Returns -1 without publishing when the counter is missing (new show or a Redis that lost its
# data): the caller initialises it from Postgres (seatcache.ensure_version) and calls again.
# The bitmap is patched here, atomically with the version bump, so (version, bitmap) read in
# one MULTI is always a consistent snapshot. A label missing from the index (cache half-built
# or expired) drops the bitmap instead: readers then rebuild it from Postgres.
_PUBLISH = f"""
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local v = redis.call('INCR', KEYS[1])
if #ARGV > 2 and redis.call('EXISTS', KEYS[3]) == 1 then
  local labels = {{}}
  for i = 3, #ARGV, 2 do labels[#labels + 1] = ARGV[i] end
  local idx = redis.call('HMGET', KEYS[4], unpack(labels))
  local ops = {{}}
  for j = 1, #idx do
    if not idx[j] then ops = nil break end
    ops[#ops + 1] = 'SET'; ops[#ops + 1] = 'u2'
    ops[#ops + 1] = '#' .. idx[j]; ops[#ops + 1] = ARGV[2 + 2 * j]
  end
  if ops then redis.call('BITFIELD', KEYS[3], unpack(ops)) else redis.call('DEL', KEYS[3]) end
end
redis.call('PUBLISH', KEYS[2], {_MESSAGE})
return v
"""

# Reconciliation (realtime refresher): replace the bitmap with Postgres' picture and publish the
# differences as one more versioned event, only if no change was published since `expected`.
# KEYS: version, channel, bitmap. ARGV: show id, changes JSON, expected version, bitmap, ttl.
_CORRECT = f"""
if redis.call('GET', KEYS[1]) ~= ARGV[3] then return -1 end
local v = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[5])
redis.call('PUBLISH', KEYS[2], {_MESSAGE})
return v
"""

# An empty event moving the version past `floor`, unless something else already did. A
# subscriber resynced with nothing changed (a reconnect) then still gets a snapshot whose
# version is strictly greater than the last one it saw; many resyncing at once bump once.
# KEYS: version, channel. ARGV: show id, '[]', floor.
_BUMP = f"""
local cur = redis.call('GET', KEYS[1])
if not cur then return -1 end
if tonumber(cur) > tonumber(ARGV[3]) then return tonumber(cur) end
local v = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2], {_MESSAGE})
return v
"""

# after every hold, release and booking (autocommit READ COMMITTED: never part of a
# SERIALIZABLE conflict); the worker recounts what a crash left off (workers/holds.py)
ADJUST_FREE = "UPDATE show SET free_seats = GREATEST(0, free_seats + $2) WHERE id = $1"


def _changes_json(changes: Sequence[tuple[str, str]]) -> str:
    return json.dumps([{"label": lbl, "status": st} for lbl, st in changes],
                      separators=(",", ":"))


async def _eval_with_counter(redis: Redis, show_id: int, script: str, keys: Sequence[str],
                             args: Sequence[object]) -> int:
    """Run a publishing script, initialising a missing version counter once."""
    r: Any = redis  # redis-py's stubs want str arguments; ints and bytes are fine on the wire
    result = int(await r.eval(script, len(keys), *keys, *args))
    if result == -1 and await redis.exists(version_key(show_id)) == 0:
        await ensure_version(redis, show_id)
        result = int(await r.eval(script, len(keys), *keys, *args))
    return result


async def publish_seat_changes(
    redis: Redis, show_id: int, changes: Sequence[tuple[str, str]], free_delta: int
) -> int | None:
    """Publish `(label, status)` changes for a show and adjust its FREE counter.

    Runs after commit. A failure here never undoes the booking: it is logged, and the
    periodic reconciliation (realtime refresher) and client resync repair the read side.
    """
    if not changes:
        return None
    version: int | None = None
    try:
        if free_delta:
            # autocommit READ COMMITTED write: never part of a SERIALIZABLE conflict
            await db.pool().execute(ADJUST_FREE, show_id, free_delta)
        pairs = [x for lbl, st in changes for x in (lbl, STATUS_CODE.get(st, 0))]
        keys = (version_key(show_id), seats_channel(show_id), bitmap_key(show_id),
                index_key(show_id))
        version = await _eval_with_counter(redis, show_id, _PUBLISH, keys,
                                           [show_id, _changes_json(changes), *pairs])
    except Exception:
        log.exception("after-commit seat event for show %s failed", show_id)
    return version


async def publish_correction(redis: Redis, show_id: int, expected_version: int, bitmap: bytes,
                             changes: Sequence[tuple[str, str]]) -> int | None:
    """Set the cached bitmap to Postgres' picture and announce the differences; None when a
    change was published since `expected_version` (the caller looks again later)."""
    keys = (version_key(show_id), seats_channel(show_id), bitmap_key(show_id))
    r: Any = redis
    v = int(await r.eval(_CORRECT, len(keys), *keys, show_id, _changes_json(changes),
                         str(expected_version), bitmap, CACHE_TTL_SECONDS))
    return None if v < 0 else v


async def bump_version_above(redis: Redis, show_id: int, floor: int) -> int:
    """Make the show's version exceed `floor` (publishing an empty event if it must)."""
    keys = (version_key(show_id), seats_channel(show_id))
    return await _eval_with_counter(redis, show_id, _BUMP, keys, [show_id, "[]", floor])


async def current_version(redis: Redis, show_id: int) -> int:
    raw = await redis.get(version_key(show_id))
    return int(raw) if raw else 0


async def publish_reservation(redis: Redis, view: ReservationView) -> None:
    """Announce a reservation's new status to its owner's `reservation` subscription."""
    try:
        await redis.publish(
            reservation_channel(view.show_id, view.id),
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
