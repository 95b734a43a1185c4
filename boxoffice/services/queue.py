"""The per-show first-come-first-served waiting queue, in Redis.

Keys (hash-tagged by show, see boxoffice/rediskeys.py): `queue:{show:ID}` a sorted set of user
ids scored by arrival sequence; `queue:{show:ID}:wants` user id -> seats wanted;
`queue:{show:ID}:seq` the sequence.
Joining is idempotent: a waiting user keeps their place. Positions start at 1. Queue positions are
lost if Redis loses its data; seat state never depends on Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis

from boxoffice import db, rediskeys
from models.booking import ReservationStatus, SeatStatus

_k = rediskeys.queue
_wants = rediskeys.queue_wants
_seq = rediskeys.queue_seq


_JOIN = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then
  local seq = redis.call('INCR', KEYS[3])
  redis.call('ZADD', KEYS[1], seq, ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
return redis.call('ZRANK', KEYS[1], ARGV[1]) + 1
"""


@dataclass(frozen=True)
class Waiter:
    user_id: int
    seats_wanted: int


async def join(redis: Redis, show_id: int, user_id: int, seats_wanted: int) -> int:
    """Append the user (keeping an existing place) and return their 1-based position."""
    pos = await redis.eval(  # type: ignore[misc]
        _JOIN, 3, _k(show_id), _wants(show_id), _seq(show_id), user_id, seats_wanted  # type: ignore[arg-type]
    )
    return int(pos)


async def position(redis: Redis, show_id: int, user_id: int) -> tuple[int, int] | None:
    """(position, seats wanted) or None when not queued."""
    async with redis.pipeline(transaction=False) as p:
        p.zrank(_k(show_id), user_id)
        p.hget(_wants(show_id), str(user_id))
        rank, wants = await p.execute()
    if rank is None:
        return None
    return int(rank) + 1, int(wants or 1)


async def leave(redis: Redis, show_id: int, user_id: int) -> bool:
    async with redis.pipeline(transaction=True) as p:
        p.zrem(_k(show_id), user_id)
        p.hdel(_wants(show_id), str(user_id))
        removed, _ = await p.execute()
    return bool(removed)


async def clear(redis: Redis, show_id: int) -> list[int]:
    """Empty the show's queue (a cancelled show); returns the user ids that were waiting."""
    async with redis.pipeline(transaction=True) as p:
        p.zrange(_k(show_id), 0, -1)
        p.delete(_k(show_id), _wants(show_id))
        ids, _ = await p.execute()
    return [int(u) for u in ids]


async def waiters(redis: Redis, show_id: int, limit: int = 1000) -> list[Waiter]:
    """Waiters in arrival order."""
    ids = await redis.zrange(_k(show_id), 0, limit - 1)
    if not ids:
        return []
    wants = await redis.hmget(_wants(show_id), ids)  # type: ignore[misc]
    return [Waiter(int(u), int(w or 1)) for u, w in zip(ids, wants, strict=True)]


RETURN_WINDOW_SECONDS = 900


# the wait estimate: when held seats lapse, and how many seats came back lately
_NEXT_EXPIRIES = f"""SELECT expires_at FROM show_seat
WHERE show = $1 AND status = '{SeatStatus.HELD}' ORDER BY expires_at LIMIT $2"""
_RECENTLY_RETURNED = f"""SELECT coalesce(sum(cardinality(seat_labels)), 0) FROM reservation
WHERE show = $1 AND status IN ('{ReservationStatus.EXPIRED}', '{ReservationStatus.CANCELLED}')
  AND updated_at > now() - make_interval(secs => $2)"""


async def estimate_wait_seconds(redis: Redis, show_id: int, user_id: int, seats_wanted: int,
                                offer_seconds: int) -> int:
    """Estimated time until this waiter's turn, from two views of when seats come back.

    k = seats wanted by everyone ahead plus this waiter.
    - Holds: every current hold *could* lapse at its `expires_at`; the earliest this waiter can
      be served is when the k-th held seat lapses (each round with too few held seats adds one
      offer period: an unclaimed offer passes on after it). Optimistic: many holds get paid.
    - Observed rate: seats that actually came back to this show (expired or cancelled holds and
      offers) over the last 15 minutes; at that rate k seats take k / rate seconds.
    The answer is the later of the two when a rate has been observed (a waiter is better told
    too long than too short), else the hold-based figure.
    """
    ahead = 0
    for w in await waiters(redis, show_id):
        if w.user_id == user_id:
            break
        ahead += w.seats_wanted
    k = ahead + seats_wanted
    rows = await db.pool().fetch(_NEXT_EXPIRIES, show_id, k)
    now = datetime.now(UTC)
    if len(rows) >= k:
        by_holds = max(0, int((rows[k - 1]["expires_at"] - now).total_seconds()))
    else:
        last = max(((r["expires_at"] - now).total_seconds() for r in rows), default=0.0)
        by_holds = max(0, int(last)) + offer_seconds
    returned = await db.pool().fetchval(_RECENTLY_RETURNED, show_id, RETURN_WINDOW_SECONDS)
    if not returned:
        return by_holds
    by_rate = int(k * RETURN_WINDOW_SECONDS / int(returned))
    return max(by_holds, by_rate)
