"""The Redis seat-map cache: 2 bits a seat, one version, immutable seat metadata alongside.

Layout, all keys under the show's hash tag `{show:ID}` (one Redis Cluster slot per show; the
names are built in boxoffice/rediskeys.py):
- `seatmap:{show:ID}:version` the per-show event counter (INCR'd by every published change);
- `seatmap:{show:ID}:bits`    a bitmap, seat i at `BITFIELD u2 #i`: 0 FREE, 1 HELD, 2 BOOKED;
- `seatmap:{show:ID}:index`   hash label -> i, so the publish Lua can patch the bitmap by label;
- `seatmap:{show:ID}:meta`    hash {token, json}: labels in index order with row, number, category,
  price, and the show's currency. Immutable once the show exists, so it is also kept in-process.

The bitmap is patched by the same Lua call that bumps the version and publishes the event
(services/seatevents.py), so (version, bitmap) read in one MULTI is a consistent snapshot. A
missing bitmap is rebuilt from Postgres; the realtime refresher reconciles hot shows with
Postgres every 1-2 s. The cache only ever serves reads: reservations are decided in Postgres.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cachetools import LRUCache
from redis.asyncio import Redis

from boxoffice import db, rediskeys
from boxoffice.lrucache import bounded
from boxoffice.services.catalog import SeatMapSnapshot, SeatRow
from models.booking import SeatStatus

FREE, HELD, BOOKED = SeatStatus.FREE, SeatStatus.HELD, SeatStatus.BOOKED
STATUS_CODE: dict[str, int] = {FREE: 0, HELD: 1, BOOKED: 2}
CODE_STATUS: tuple[str, ...] = (FREE, HELD, BOOKED, FREE)  # 3 is never written; read it as FREE
CACHE_TTL_SECONDS = 6 * 3600  # refreshed on every reconcile of a hot show
META_LOCAL_TTL = 300.0  # in-process copy; validated against the Redis token on every read
# A Redis that lost its data restarts a show's counter here, above anything it can have reached
# since Postgres last recorded it, so versions never go backwards for a subscriber.
VERSION_GAP = 1_000_000
_HOT_SECONDS = 30.0


version_key = rediskeys.seat_version
bitmap_key = rediskeys.seat_bitmap
index_key = rediskeys.seat_index
meta_key = rediskeys.seat_meta


# ---------------------------------------------------------------------------------------------
# bitmap codec (BITFIELD bit order: seat 0 is the two most significant bits of byte 0)

_DECODE = [((b >> 6) & 3, (b >> 4) & 3, (b >> 2) & 3, b & 3) for b in range(256)]


def encode(codes: Sequence[int]) -> bytes:
    out = bytearray((len(codes) + 3) // 4)
    for i, code in enumerate(codes):
        out[i >> 2] |= (code & 3) << (6 - 2 * (i & 3))
    return bytes(out)


def decode(bitmap: bytes, n: int) -> list[int]:
    codes = list(itertools.chain.from_iterable(_DECODE[b] for b in bitmap))[:n]
    return codes + [0] * (n - len(codes))


# ---------------------------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class SeatMeta:
    """A show's seats in bitmap order (immutable once the show exists)."""

    show_id: int
    token: str
    currency: str
    labels: tuple[str, ...]
    rows: tuple[str, ...]
    numbers: tuple[int, ...]
    categories: tuple[str, ...]
    prices: tuple[int, ...]
    xs: tuple[int, ...]
    ys: tuple[int, ...]


def _untyped(redis: Redis) -> Any:
    """redis-py's stubs type the asyncio client's commands as sync-or-async and their arguments
    as str only (bytes and ints are fine on the wire): one escape hatch instead of many."""
    return redis


class HasRedis(Protocol):
    @property
    def redis(self) -> Redis: ...


# ---------------------------------------------------------------------------------------------
# metadata

_META: LRUCache[int, tuple[float, SeatMeta]] = bounded(20_000)
_HOT: LRUCache[int, float] = bounded(20_000)
# the last view built per show: a thousand subscribers resyncing at one version share it
_VIEWS: LRUCache[int, tuple[str, bytes, SeatMapSnapshot]] = bounded(5_000)
_REBUILDS: dict[int, asyncio.Future[SeatMapSnapshot]] = {}


def clear_seat_cache() -> None:
    """Forget in-process metadata and hotness (tests recreate show ids)."""
    _META.clear()
    _HOT.clear()
    _VIEWS.clear()


def touch(show_id: int) -> None:
    """Mark a show's seat map as read here (a cached rendering of it counts too)."""
    _HOT[show_id] = time.monotonic()


def hot_shows(now: float | None = None) -> list[int]:
    """Shows whose seat map was read recently in this process: the refresher's work list."""
    now = time.monotonic() if now is None else now
    for show_id in [s for s, t in _HOT.items() if now - t > _HOT_SECONDS]:
        del _HOT[show_id]
    return list(_HOT)


def _meta_from_json(show_id: int, token: str, raw: str | bytes) -> SeatMeta:
    data = json.loads(raw)
    seats = data["seats"]
    columns = list(zip(*seats, strict=True)) if seats else [()] * 7
    return SeatMeta(show_id, token, data["currency"], *map(tuple, columns))  # type: ignore[arg-type]


# the seat map is a measured hot path (benchmarks/seatmap_cache.py): raw asyncpg
_CURRENCY = "SELECT currency FROM show WHERE id = $1"
_LAYOUT = """SELECT label, row, number, category, price, x, y FROM show_seat
WHERE show = $1 ORDER BY length(row), row, number, id"""
_STATUSES = "SELECT label, status FROM show_seat WHERE show = $1"
_SEAT_VERSION = "SELECT seat_version FROM show WHERE id = $1"
_MARK_COUNTED = "UPDATE show SET seat_version = GREATEST(seat_version, 1, $2) WHERE id = $1"
_RAISE_VERSION = "UPDATE show SET seat_version = $2 WHERE id = $1 AND seat_version < $2"

async def _load_meta_from_db(redis: Redis, show_id: int) -> SeatMeta | None:
    # immutable facts: the read replica is fine (a show it does not have yet reads as unknown)
    currency = await db.read_pool().fetchval(_CURRENCY, show_id)
    if currency is None:
        return None
    rows = await db.read_pool().fetch(_LAYOUT, show_id)
    # the catalog's order (rows A..Z, AA.., then number); deterministic, so a rebuilt index
    # always matches a surviving bitmap
    seats = [[r["label"], r["row"], r["number"], r["category"], r["price"], r["x"], r["y"]]
             for r in rows]
    raw = json.dumps({"currency": currency, "seats": seats}, separators=(",", ":"))
    token = secrets.token_hex(8)
    async with redis.pipeline(transaction=True) as p:
        p.hsetnx(meta_key(show_id), "token", token)
        p.hsetnx(meta_key(show_id), "json", raw)
        if seats:
            p.hset(index_key(show_id), mapping={s[0]: i for i, s in enumerate(seats)})
        for key in (meta_key(show_id), index_key(show_id)):
            p.expire(key, CACHE_TTL_SECONDS)
        await p.execute()
    # another process may have won the HSETNX race: use whatever token is stored
    stored = await _untyped(redis).hget(meta_key(show_id), "token")
    return _meta_from_json(show_id, stored.decode() if stored else token, raw)


async def load_meta(redis: Redis, show_id: int, token: bytes | None = None) -> SeatMeta | None:
    """The show's seat metadata: in-process (if its token still matches Redis), Redis, Postgres.

    `token` is the Redis token when the caller already read it (the snapshot pipeline does).
    """
    now = time.monotonic()
    hit = _META.get(show_id)
    if token is not None and hit is not None and hit[0] > now and hit[1].token == token.decode():
        return hit[1]
    stored_token, raw = await _untyped(redis).hmget(meta_key(show_id), ["token", "json"])
    if stored_token and raw:
        meta = _meta_from_json(show_id, stored_token.decode(), raw)
    else:
        loaded = await _load_meta_from_db(redis, show_id)
        if loaded is None:
            return None
        meta = loaded
    _META[show_id] = (now + META_LOCAL_TTL, meta)
    return meta


# ---------------------------------------------------------------------------------------------
# versions

_SET_BITMAP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
"""


async def ensure_version(redis: Redis, show_id: int) -> int:
    """The show's current version, initialising a missing counter (new show or lost Redis)."""
    raw = await redis.get(version_key(show_id))
    if raw is not None:
        return int(raw)
    persisted = await db.pool().fetchval(_SEAT_VERSION, show_id)
    if persisted is None:
        return 0  # unknown show: nothing to count
    start = persisted + VERSION_GAP if persisted > 0 else 0
    # mark the show as counted once, so a later loss knows to jump ahead
    await db.pool().execute(_MARK_COUNTED, show_id, start)
    await redis.set(version_key(show_id), start, nx=True)
    return int(await redis.get(version_key(show_id)) or start)


async def persist_version(show_id: int, version: int) -> None:
    """Record a version Redis has reached, the floor after a Redis data loss."""
    await db.pool().execute(_RAISE_VERSION, show_id, version)


# ---------------------------------------------------------------------------------------------
# reading


async def read_db_codes(meta: SeatMeta, *, replica: bool = False) -> list[int]:
    """Seat statuses from Postgres: the primary, or with `replica` (a cold rebuild) the read
    replica, whose lag the refresher's reconciliation against the primary corrects."""
    source = db.read_pool() if replica else db.pool()
    rows = await source.fetch(_STATUSES, meta.show_id)
    status = {r["label"]: r["status"] for r in rows}
    return [STATUS_CODE.get(status.get(label, FREE), 0) for label in meta.labels]


def build_view(meta: SeatMeta, version: int, bitmap: bytes) -> SeatMapSnapshot:
    codes = decode(bitmap, len(meta.labels))
    m = meta
    seats = tuple(
        SeatRow(label=m.labels[i], row=m.rows[i], number=m.numbers[i], x=m.xs[i], y=m.ys[i],
                category=m.categories[i], price=m.prices[i], status=CODE_STATUS[c])
        for i, c in enumerate(codes)
    )
    return SeatMapSnapshot(show_id=m.show_id, version=version, currency=m.currency, seats=seats)


async def read_cached(redis: Redis, show_id: int) -> tuple[int | None, bytes | None, bytes | None]:
    """(version, bitmap, meta token) in one round trip, atomically."""
    async with redis.pipeline(transaction=True) as p:
        p.get(version_key(show_id))
        p.get(bitmap_key(show_id))
        p.hget(meta_key(show_id), "token")
        version, bitmap, token = await p.execute()
    return (int(version) if version is not None else None), bitmap, token


async def get_seat_map(source: Redis | HasRedis, show_id: int) -> SeatMapSnapshot | None:
    """The show's seat map from the cache, rebuilt from Postgres when the cache is cold.

    The same value as `services.catalog.seat_map` (so `SeatMap.from_snapshot` maps either),
    carrying the Redis version that subscriptions number their events with. None for an
    unknown show. May trail a committed change by the few milliseconds between COMMIT and the
    after-commit publish; never ahead of Postgres.
    """
    redis = source if isinstance(source, Redis) else source.redis
    _HOT[show_id] = time.monotonic()
    version, bitmap, token = await read_cached(redis, show_id)
    meta = await load_meta(redis, show_id, token)
    if meta is None:
        return None
    if version is not None and bitmap is not None and len(bitmap) == (len(meta.labels) + 3) // 4:
        return _view(meta, version, bitmap)
    # single flight: after a Redis restart every subscriber of a show resyncs from a cold cache;
    # one Postgres read (and one view, shared by all of them) is enough
    flight = _REBUILDS.get(show_id)
    if flight is None:
        flight = asyncio.ensure_future(_rebuild(redis, meta))
        _REBUILDS[show_id] = flight
        flight.add_done_callback(lambda _: _REBUILDS.pop(show_id, None))
    return await asyncio.shield(flight)


async def _rebuild(redis: Redis, meta: SeatMeta) -> SeatMapSnapshot:
    show_id = meta.show_id
    version = await ensure_version(redis, show_id)
    bitmap = encode(await read_db_codes(meta, replica=True))
    # compare-and-set on the version read *before* Postgres: a change published meanwhile has
    # already patched (or skipped) the bitmap, and this older picture must not overwrite it
    await _untyped(redis).eval(_SET_BITMAP, 2, version_key(show_id), bitmap_key(show_id),
                               str(version), bitmap, CACHE_TTL_SECONDS)
    return _view(meta, version, bitmap)


def _view(meta: SeatMeta, version: int, bitmap: bytes) -> SeatMapSnapshot:
    """The one view object for this (metadata, version, bitmap): subscriptions share an event's
    rendering by the view's identity, so equal contents must give the same object, whichever
    path built it first (a warm read that saw the bitmap before the rebuild that wrote it
    resumed, or a second rebuild started by a reader whose cold read predates the first)."""
    memo = _VIEWS.get(meta.show_id)
    if (memo is not None and memo[0] == meta.token and memo[2].version == version
            and memo[1] == bitmap):
        return memo[2]
    view = build_view(meta, version, bitmap)
    _VIEWS[meta.show_id] = (meta.token, bitmap, view)
    return view
