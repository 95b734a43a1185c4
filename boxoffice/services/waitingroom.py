"""The on-sale waiting room of a show that has `on_sale_at`, in Redis.

Keys, under the show's hash tag `{show:ID}` (one Redis Cluster slot per show):
- `room:{show:ID}:line`     sorted set: user ids waiting, in line order (ZRANK + 1 = position);
- `room:{show:ID}:admitted` sorted set: admitted user ids scored by admission end (ms);
- `room:{show:ID}:state`    hash: the admission token bucket (`tokens`, `last` ms), the late
                            arrivals' sequence `seq`, and `popped` (admissions so far);
- `rooms:active`            set of show ids whose room the worker keeps advancing.

The lottery: a fan who joins before `on_sale_at` gets a score drawn from `secrets` in [0, 1),
kept in Redis and never shown; a fan who joins later gets 1 + an arrival sequence number. So at
`on_sale_at` the line is already in its final order (no work to do at opening, however many
joined): every early fan in random order, then late arrivals in arrival order. Before the draw
`position` is the number of fans in it so far (the caller's worst case), never their rank.

Admission: a token bucket of ADMISSION_RATE tokens a second (one token at opening, at most two
seconds' worth banked, so a late cron tick loses nothing and an idle room bursts little) pops
fans from the front of the line into `admitted` for ADMISSION_SECONDS. It is advanced
atomically (one Lua call) on every access — join, reserve, ticket reads — and every second by
the worker's cron for every active room, so the line moves even when nobody asks; whoever
admits fans publishes on the room channel so `waitingRoom` subscribers re-read their ticket.

`reserve` (resolvers call `admission_check`, one Lua call, only for shows with `on_sale_at`):
before `on_sale_at` it is refused; from then on, while the room is not empty (someone waiting or
admitted), a fan who is not admitted gets NotAdmitted. A fan who never joined is joined
implicitly at the back, and NotAdmitted carries their new place (they are admitted at once if
the line is empty and a token is free). The room's clock is Redis `TIME`, one clock for every
process.

A Redis that loses its data loses the room: the line and admissions are gone. Nothing errors:
the room re-forms as fans come back (joinWaitingRoom, a reserve, or a live `waitingRoom`
subscription, which rejoins by itself). Before `on_sale_at` that costs nothing (rejoiners get
new lottery scores); after it, rejoiners go to the back in arrival order and admitted fans must
queue again. Seats and bookings never depend on Redis.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cachetools import LRUCache
from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError

from boxoffice import db, rediskeys
from boxoffice.events import room_channel
from boxoffice.lrucache import bounded
from boxoffice.services.deps import Deps
from boxoffice.services.outcomes import InvalidOutcome
from models.catalog import Show, ShowStatus

log = logging.getLogger(__name__)

ACTIVE_KEY = rediskeys.ACTIVE_ROOMS
MIN_RATE = 0.001  # ADMISSION_RATE=0 pauses admission; estimates then assume this rate


line_key = rediskeys.room_line
admitted_key = rediskeys.room_admitted
state_key = rediskeys.room_state


# KEYS: line, admitted, state. ARGV: user ('' for a tick), mode (gate | join | peek | tick),
# on_sale_at ms, rate per second, admission ms, a lottery score in [0, 1) from `secrets`, the
# keys' time to live in seconds.
# Returns {kind, position, admitted_until_ms, now_ms, admitted_by_this_call}; kind is
# before | waiting | admitted | open (room empty: no ticket needed) | absent | tick.
_ROOM = """
local line, adm, st = KEYS[1], KEYS[2], KEYS[3]
local user, mode = ARGV[1], ARGV[2]
local onsale, rate, span = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function keep()  -- the room outlives its show by an hour, then Redis forgets it
  for _, k in ipairs(KEYS) do redis.call('EXPIRE', k, ARGV[7]) end
end

if now < onsale then
  local n = redis.call('ZCARD', line)
  if mode == 'join' then
    n = n + redis.call('ZADD', line, 'NX', ARGV[6], user)
    keep()
    return {'before', n, 0, now, 0}
  end
  if mode == 'peek' and not redis.call('ZSCORE', line, user) then
    return {'absent', n, 0, now, 0}
  end
  return {'before', n, 0, now, 0}
end

local function advance()
  if rate <= 0 then return 0 end  -- admission paused
  local s = redis.call('HMGET', st, 'tokens', 'last')
  local tokens, last = tonumber(s[1]), tonumber(s[2])
  if not tokens or not last then tokens, last = 1, onsale end
  tokens = math.min(math.max(2 * rate, 1), tokens + math.max(0, now - last) * rate / 1000)
  local k = math.min(math.floor(tokens), 1000)  -- bounded: unpack() has a stack limit
  local n = 0
  if k > 0 then
    local popped = redis.call('ZPOPMIN', line, k)
    if #popped > 0 then
      local args = {}
      for i = 1, #popped, 2 do
        args[#args + 1] = now + span
        args[#args + 1] = popped[i]
      end
      redis.call('ZADD', adm, unpack(args))
      n = #popped / 2
      tokens = tokens - n
      redis.call('HINCRBY', st, 'popped', n)
    end
  end
  redis.call('HSET', st, 'tokens', tostring(tokens), 'last', now)
  keep()
  return n
end

redis.call('ZREMRANGEBYSCORE', adm, '-inf', now)
local moved = advance()
if mode == 'tick' then
  return {'tick', redis.call('ZCARD', line) + redis.call('ZCARD', adm), 0, now, moved}
end
local till = redis.call('ZSCORE', adm, user)
if till then return {'admitted', 0, tonumber(till), now, moved} end
local rank = redis.call('ZRANK', line, user)
if not rank then
  if mode == 'peek' then return {'absent', 0, 0, now, moved} end
  if mode == 'gate' and redis.call('ZCARD', line) + redis.call('ZCARD', adm) == 0 then
    return {'open', 0, 0, now, moved}
  end
  redis.call('ZADD', line, 1 + redis.call('HINCRBY', st, 'seq', 1), user)
  moved = moved + advance()
  till = redis.call('ZSCORE', adm, user)
  if till then return {'admitted', 0, tonumber(till), now, moved} end
  rank = redis.call('ZRANK', line, user)
end
return {'waiting', rank + 1, 0, now, moved}
"""
_ROOM_SHA = hashlib.sha1(_ROOM.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class RoomShow:
    id: int
    starts_at: datetime
    on_sale_at: datetime | None
    status: str


@dataclass(frozen=True)
class RoomTicket:
    """A fan's place: `position` 1 = admitted next, 0 once admitted."""

    show_id: int
    position: int
    etr_seconds: int
    admitted: bool
    admitted_until: datetime | None = None


@dataclass(frozen=True)
class NotAdmittedOutcome:
    show_id: int
    position: int
    etr_seconds: int


class RoomError(ValueError):
    """A join that cannot be: `code` is NOT_FOUND or BAD_USER_INPUT."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class _Answer:
    kind: str
    position: int
    until_ms: int
    now_ms: int
    moved: int


# ---------------------------------------------------------------------------------------------
# the show's on-sale facts, cached briefly in-process (an import may move on_sale_at)

_SHOWS: LRUCache[int, tuple[float, RoomShow | None]] = bounded(50_000)
_SHOW_TTL = 5.0


async def room_show(show_id: int) -> RoomShow | None:
    now = time.monotonic()
    hit = _SHOWS.get(show_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    row = await (Show.select(Show.id, Show.starts_at, Show.on_sale_at, Show.status)
                 .where(Show.id == show_id).first())
    show = RoomShow(row["id"], row["starts_at"], row["on_sale_at"], row["status"]) if row else None
    _SHOWS[show_id] = (now + _SHOW_TTL, show)
    return show


def clear_room_shows() -> None:
    """Forget cached on-sale times (tests and admins that just changed a show)."""
    _SHOWS.clear()


# ---------------------------------------------------------------------------------------------
# the Lua call


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _rate(deps: Deps) -> float:
    return max(MIN_RATE, float(deps.settings.admission_rate))


async def _call(deps: Deps, show: RoomShow, user_id: int | None, mode: str) -> _Answer:
    assert show.on_sale_at is not None
    show_id = show.id
    ttl = max(3600, int(seconds_until(show.starts_at)) + 3600)
    r: Any = deps.redis  # redis-py's stubs want str arguments
    args = (3, line_key(show_id), admitted_key(show_id), state_key(show_id),
            "" if user_id is None else str(user_id), mode, _ms(show.on_sale_at),
            repr(max(0.0, float(deps.settings.admission_rate))),
            deps.settings.admission_seconds * 1000,
            repr(secrets.randbits(52) / 2**52),  # the hidden lottery score (before opening)
            ttl)
    try:
        raw = await r.evalsha(_ROOM_SHA, *args)
    except NoScriptError:  # a restarted or wiped Redis: EVAL sends (and caches) the script
        raw = await r.eval(_ROOM, *args)
    kind = raw[0].decode() if isinstance(raw[0], bytes) else str(raw[0])
    answer = _Answer(kind, int(raw[1]), int(raw[2]), int(raw[3]), int(raw[4]))
    if answer.moved:
        await publish_room_changed(deps.redis, show_id)
    return answer


def _ticket(deps: Deps, show: RoomShow, a: _Answer) -> RoomTicket:
    rate = _rate(deps)
    if a.kind == "admitted":
        until = datetime.fromtimestamp(a.until_ms / 1000, UTC)
        return RoomTicket(show.id, 0, 0, True, until)
    if a.kind == "before":
        assert show.on_sale_at is not None
        # the draw's size so far is the caller's worst place; wait = until opening + that line
        to_open = max(0.0, (_ms(show.on_sale_at) - a.now_ms) / 1000)
        return RoomTicket(show.id, a.position, math.ceil(to_open + a.position / rate), False)
    return RoomTicket(show.id, a.position, math.ceil(a.position / rate), False)


def _no_room(show_id: int) -> RoomTicket:
    """A show without on_sale_at has no waiting room: everyone may reserve."""
    return RoomTicket(show_id, 0, 0, True, None)


async def _joinable(show_id: int) -> RoomShow:
    show = await room_show(show_id)
    if show is None:
        raise RoomError(f"no show {show_id}", "NOT_FOUND")
    if show.status == ShowStatus.CANCELLED:
        raise RoomError("This show is cancelled", "BAD_USER_INPUT")
    if show.starts_at <= datetime.now(UTC):
        raise RoomError("This show has already started", "BAD_USER_INPUT")
    return show


# ---------------------------------------------------------------------------------------------
# what resolvers and workers call


async def join(deps: Deps, show_id: int, user_id: int) -> RoomTicket:
    """Join the show's room (idempotent per user: a second call returns the current ticket).
    Raises RoomError for a show that cannot be joined, db.Busy while Redis is unreachable."""
    show = await _joinable(show_id)
    if show.on_sale_at is None:
        return _no_room(show_id)
    try:
        answer = await _call(deps, show, user_id, "join")
        await deps.redis.sadd(ACTIVE_KEY, str(show_id))  # type: ignore[misc]
    except RedisError as exc:
        raise db.Busy("waiting room unavailable") from exc
    return _ticket(deps, show, answer)


async def ticket(deps: Deps, show_id: int, user_id: int) -> RoomTicket | None:
    """The caller's current ticket, or None when they are not in the room."""
    show = await room_show(show_id)
    if show is None:
        return None
    if show.on_sale_at is None:
        return _no_room(show_id)
    answer = await _call(deps, show, user_id, "peek")
    return None if answer.kind == "absent" else _ticket(deps, show, answer)


async def admission_check(deps: Deps, user_id: int,
                          show_id: int) -> InvalidOutcome | NotAdmittedOutcome | None:
    """For `reserve`: None when the caller may go on, else the answer to give them.

    Shows without on_sale_at cost no Redis call; others one Lua call. Unknown and cancelled
    shows are left to the reserve service to answer."""
    show = await room_show(show_id)
    if show is None or show.on_sale_at is None or show.status == ShowStatus.CANCELLED:
        return None
    try:
        answer = await _call(deps, show, user_id, "gate")
        if answer.kind == "waiting":
            # an implicit join (a fan who never joined) also makes the room worth advancing
            await deps.redis.sadd(ACTIVE_KEY, str(show_id))  # type: ignore[misc]
    except RedisError as exc:
        raise db.Busy("waiting room unavailable") from exc
    if answer.kind == "before":
        opens = show.on_sale_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return InvalidOutcome(
            f"Sales for this show open at {opens}; join the waiting room until then", "showId")
    if answer.kind in ("open", "admitted"):
        return None
    t = _ticket(deps, show, answer)
    return NotAdmittedOutcome(show_id, t.position, t.etr_seconds)


async def advance_active_rooms(deps: Deps) -> int:
    """Admit fans in every active room (the worker's cron, every second); returns how many.

    Rooms of shows that lost their on-sale time, ended or emptied after opening drop out of
    the active set; a join puts them back."""
    ids = [int(x) for x in await deps.redis.smembers(ACTIVE_KEY)]  # type: ignore[misc]
    if not ids:
        return 0
    rows = await (Show.select(Show.id, Show.on_sale_at, Show.starts_at, Show.status)
                  .where(Show.id.is_in(list(ids))))
    shows = {r["id"]: r for r in rows}
    now = datetime.now(UTC)
    admitted = 0
    for show_id in ids:
        row = shows.get(show_id)
        if (row is None or row["on_sale_at"] is None or row["status"] == ShowStatus.CANCELLED
                or row["starts_at"] <= now):
            await deps.redis.srem(ACTIVE_KEY, str(show_id))  # type: ignore[misc]
            continue
        show = RoomShow(show_id, row["starts_at"], row["on_sale_at"], row["status"])
        answer = await _call(deps, show, None, "tick")
        admitted += answer.moved
        if answer.kind == "tick" and answer.position == 0:
            await deps.redis.srem(ACTIVE_KEY, str(show_id))  # type: ignore[misc]
    return admitted


async def publish_room_changed(redis: Redis, show_id: int) -> None:
    """Tell `waitingRoom` subscribers of a show to re-read their ticket (fans were admitted)."""
    try:
        await redis.publish(room_channel(show_id), json.dumps({"showId": show_id}))
    except RedisError:
        log.exception("room event for show %s failed", show_id)


def seconds_until(moment: datetime) -> float:
    return (moment - datetime.now(UTC)) / timedelta(seconds=1)
