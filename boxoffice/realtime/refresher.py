"""Reconcile hot shows' cached seat maps with Postgres every 1-2 s (API-process background task).

The publish Lua keeps the bitmap exact as long as every after-commit publish happens. This
repairs the cases where one did not (a crash between COMMIT and publish, a Redis hiccup):
a difference seen twice at the same version is written to the cache *and* published as one
more versioned event, so live subscribers heal too. Acting only on a difference seen in two
consecutive rounds avoids "correcting" a change that is committed but whose own event is a few
milliseconds from being published (and works on busy shows, whose version never stands still).

Hot: shows with local seat-map subscribers here, or whose seat map was read here recently.
Several API processes share the work: a short Redis lock per show per round means one of them
reconciles each show each round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cachetools import LRUCache
from redis.asyncio import Redis

from boxoffice import rediskeys
from boxoffice.realtime.hub import Hub
from boxoffice.services import seatcache as sc
from boxoffice.services.seatevents import publish_correction

log = logging.getLogger(__name__)


class SeatMapRefresher:
    def __init__(self, redis: Redis, hub: Hub, interval: float) -> None:
        self._redis = redis
        self._hub = hub
        self._interval = interval
        self._pending: dict[int, set[tuple[int, int]]] = {}  # show -> last round's diffs
        # last version persisted per show: an LRU, one entry per show ever refreshed
        self._persisted: LRUCache[int, int] = LRUCache(maxsize=50_000)
        self._task: asyncio.Task[None] | None = None
        self.corrections = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="seatmap-refresher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    def hot(self) -> list[int]:
        shows = set(sc.hot_shows())
        for channel in self._hub.channels():
            show_id = rediskeys.show_of_seats_channel(channel)
            if show_id is not None:
                shows.add(show_id)
        return sorted(shows)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.run_once()
            except Exception:
                log.warning("seat-map refresh round failed", exc_info=True)

    async def run_once(self) -> None:
        sem = asyncio.Semaphore(8)  # bounded load on Postgres however many shows are hot

        async def one(show_id: int) -> None:
            async with sem:
                lock = rediskeys.seat_refresh_lock(show_id)
                ttl_ms = max(100, int(self._interval * 900))
                if await self._redis.set(lock, b"1", nx=True, px=ttl_ms):
                    await self.reconcile(show_id)

        await asyncio.gather(*(one(s) for s in self.hot()), return_exceptions=True)

    async def reconcile(self, show_id: int) -> None:
        version, bitmap, token = await sc.read_cached(self._redis, show_id)
        meta = await sc.load_meta(self._redis, show_id, token)
        if meta is None:
            return
        if version is None:
            version = await sc.ensure_version(self._redis, show_id)
        codes = await sc.read_db_codes(meta)
        truth = sc.encode(codes)
        if self._persisted.get(show_id, -1) < version:
            await sc.persist_version(show_id, version)
            self._persisted[show_id] = version
        if bitmap is None:
            await sc.get_seat_map(self._redis, show_id)  # rebuilds it (compare-and-set)
            return
        if bitmap == truth:
            self._pending.pop(show_id, None)
            async with self._redis.pipeline(transaction=False) as p:
                for key in (sc.bitmap_key(show_id), sc.index_key(show_id), sc.meta_key(show_id)):
                    p.expire(key, sc.CACHE_TTL_SECONDS)
                await p.execute()
            return
        cached = sc.decode(bitmap, len(meta.labels))
        diffs = {(i, c) for i, c in enumerate(codes) if c != cached[i]}
        persistent = diffs & self._pending.get(show_id, set())
        self._pending[show_id] = diffs
        if not persistent:
            return
        changes = [(meta.labels[i], sc.CODE_STATUS[c]) for i, c in sorted(diffs)]
        fixed = await publish_correction(self._redis, show_id, version, truth, changes)
        if fixed is not None:
            self._pending.pop(show_id, None)
            self.corrections += 1
            log.warning("show %s: seat-map cache differed from Postgres in %d seats; "
                        "corrected as version %d", show_id, len(changes), fixed)
