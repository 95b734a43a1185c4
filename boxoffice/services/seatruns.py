"""`minAdjacentSeats`: the longest run of adjacent FREE seats in one row, per show, from caches.

Adjacent = same row, x differs by 1 (aisles leave gaps in x), as in services/alternatives.py.

Where a show's longest run comes from, cheapest first:
- a show with no seat taken (`free_seats = total_seats`): its hall's longest row segment, a
  static fact computed once per hall from the layout (in-process, refreshed every 5 minutes);
- any other show: `seatmap:{show:ID}:maxrun` in Redis = "<seat version>:<run>", valid while
  the show's seat version (bumped by every published seat change) is unchanged; else recomputed from
  the Redis seat-map cache (services/seatcache.py, itself refilled from Postgres when cold) and
  stored again. So only shows whose seats changed since the last search are recomputed, and
  the answer is as fresh as the seat-map cache (`availableSeats` staleness, ~2 s at most).

Search resolves the filter to the set of qualifying show ids *before* its page and count
queries run (`PreparedSearch.only_ids`), so pages, cursors and totalCount stay consistent.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from cachetools import LRUCache
from redis.asyncio import Redis

from boxoffice import db, rediskeys
from boxoffice.lrucache import bounded
from boxoffice.services.catalog import SeatRow
from boxoffice.services.search import PreparedSearch, candidates_sql
from boxoffice.services.seatcache import (
    CACHE_TTL_SECONDS,
    decode,
    get_seat_map,
    load_meta,
    read_cached,
    version_key,
)
from models.booking import SeatStatus

_HALL_TTL = 300.0
_HALLS: LRUCache[int, tuple[float, int]] = bounded(50_000)
_RECOMPUTE_CONCURRENCY = 8

_HALL_SEATS = "SELECT hall, row, x FROM cinema_seat WHERE hall = ANY($1::int[])"


def clear_hall_runs() -> None:
    """Forget cached hall layouts (tests recreate hall ids; an import may change a hall)."""
    _HALLS.clear()


run_key = rediskeys.seat_max_run


def longest_run(seats: Iterable[tuple[str, int, bool]]) -> int:
    """Longest run of adjacent free seats; `seats` are (row, x, free)."""
    by_row: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for row, x, free in seats:
        by_row[row].append((x, free))
    best = 0
    for row_seats in by_row.values():
        row_seats.sort()
        run, last_x = 0, None
        for x, free in row_seats:
            if not free:
                run = 0
            elif last_x is not None and x == last_x + 1 and run:
                run += 1
            else:
                run = 1
            last_x = x
            best = max(best, run)
    return best


def _run_of(seats: Sequence[SeatRow]) -> int:
    return longest_run((s.row, s.x, s.status == SeatStatus.FREE) for s in seats)


async def hall_runs(hall_ids: Iterable[int]) -> dict[int, int]:
    """Each hall's longest row segment (its longest run when every seat is FREE)."""
    now = time.monotonic()
    wanted = set(hall_ids)
    missing = [h for h in wanted if (hit := _HALLS.get(h)) is None or hit[0] <= now]
    if missing:
        rows = await db.pool().fetch(_HALL_SEATS, missing)
        seats: dict[int, list[tuple[str, int, bool]]] = defaultdict(list)
        for r in rows:
            seats[r["hall"]].append((r["row"], r["x"], True))
        for hall in missing:
            _HALLS[hall] = (now + _HALL_TTL, longest_run(seats.get(hall, ())))
    return {h: _HALLS[h][1] for h in wanted if h in _HALLS}


async def _recompute(redis: Redis, show_id: int) -> int:
    """From the cached bitmap; a cold cache is refilled like a `seatMap` read would. Reading
    the bitmap directly (not through get_seat_map) does not mark the show hot: a search must not
    make the refresher reconcile every show it looked at."""
    version, bitmap, token = await read_cached(redis, show_id)
    meta = await load_meta(redis, show_id, token)
    if meta is None:
        return 0
    n = len(meta.labels)
    if version is not None and bitmap is not None and len(bitmap) == (n + 3) // 4:
        codes = decode(bitmap, n)
        run = longest_run((meta.rows[i], meta.xs[i], codes[i] in (0, 3)) for i in range(n))
    else:
        view = await get_seat_map(redis, show_id)
        if view is None:
            return 0
        version, run = view.version, _run_of(view.seats)
    await redis.set(run_key(show_id), f"{version}:{run}", ex=CACHE_TTL_SECONDS)
    return run


async def show_runs(redis: Redis, show_ids: Sequence[int]) -> dict[int, int]:
    """Longest free run of each show whose seats have changed, from the caches above."""
    if not show_ids:
        return {}
    async with redis.pipeline(transaction=False) as p:
        for sid in show_ids:
            p.get(version_key(sid))
            p.get(run_key(sid))
        values = await p.execute()
    runs: dict[int, int] = {}
    stale: list[int] = []
    for i, sid in enumerate(show_ids):
        version, cached = values[2 * i], values[2 * i + 1]
        if version is not None and cached is not None:
            at, _, run = cached.partition(b":")
            if at == version:
                runs[sid] = int(run)
                continue
        stale.append(sid)
    gate = asyncio.Semaphore(_RECOMPUTE_CONCURRENCY)

    async def one(sid: int) -> None:
        async with gate:
            runs[sid] = await _recompute(redis, sid)

    await asyncio.gather(*(one(sid) for sid in stale))
    return runs


async def restrict_to_adjacent(redis: Redis, p: PreparedSearch) -> PreparedSearch:
    """`p` limited to shows with at least `p.min_adjacent_seats` adjacent FREE seats in a row
    (unchanged without that filter)."""
    n = p.min_adjacent_seats
    if n is None:
        return p
    sql, args = candidates_sql(p, n)
    rows = await db.pool().fetch(sql, *args)
    untouched = [r for r in rows if r["free_seats"] >= r["total_seats"]]
    touched = [r["id"] for r in rows if r["free_seats"] < r["total_seats"]]
    halls = await hall_runs({r["hall"] for r in untouched})
    ok = [r["id"] for r in untouched if halls.get(r["hall"], 0) >= n]
    if n == 1:
        ok += touched  # a FREE seat is a run of one (the SQL kept free_seats >= 1)
    else:
        runs = await show_runs(redis, touched)
        ok += [sid for sid in touched if runs.get(sid, 0) >= n]
    return replace(p, only_ids=tuple(sorted(ok)))
