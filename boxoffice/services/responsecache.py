"""Rendered public responses, kept in-process and bounded in bytes.

An entry is the exact bytes a public query rendered, with its ETag and the seat versions of the
shows it depends on. It serves later requests for the same (document, operation, variables)
while those versions are unchanged and its time to live has not run out; a seat change bumps
the show's version (services/seatevents.py), so the next request renders afresh.

Seat versions are read from Redis at most every `VERSION_TTL` seconds per show and process
(one GET per hot show, not one per request), which bounds how long a cached seat map can trail
a committed change: VERSION_TTL plus the after-commit publish.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from cachetools import LRUCache
from redis.asyncio import Redis

from boxoffice import metrics, rediskeys
from boxoffice.services import seatcache

VERSION_TTL = 0.1  # seconds a process trusts the seat version it last read for a show
# moved by every change to public data that is not a seat change (cancelShow, catalog imports)
EPOCH_KEY = rediskeys.CATALOG_EPOCH
_EPOCH = 0  # the epoch's slot among the show ids (no show has id 0)
# re-renders per key when its versions move: a burst of 5, then 10 a second (a seat map then
# trails a busy show by at most 0.1 s more, and costs at most ~10 renders a second)
RENDER_BURST = 5.0
RENDER_RATE = 10.0
_ENTRY_OVERHEAD = 300  # bytes of Python objects around each entry's payload, roughly

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ByteLRU(Generic[K, V]):
    """A least-recently-used map whose entries' declared sizes never sum past `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[K, tuple[int, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: K) -> V | None:
        hit = self._data.get(key)
        if hit is None:
            return None
        self._data.move_to_end(key)
        return hit[1]

    def put(self, key: K, value: V, size: int) -> None:
        size += _ENTRY_OVERHEAD
        self.pop(key)
        if size > self.max_bytes:
            return
        self._data[key] = (size, value)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (old, _) = self._data.popitem(last=False)
            self.bytes -= old

    def pop(self, key: K) -> None:
        old = self._data.pop(key, None)
        if old is not None:
            self.bytes -= old[0]

    def clear(self) -> None:
        self._data.clear()
        self.bytes = 0


@dataclass(frozen=True)
class Rendered:
    """One cached answer: the body, its ETag and Cache-Control, and what it depends on."""

    body: bytes
    etag: str
    cache_control: str
    versions: tuple[int, ...]  # seat versions of the shows it depends on, in key order
    expires: float  # monotonic deadline (catalog data without a version to watch)
    headers: tuple[tuple[bytes, bytes], ...]  # content-type, cache-control, etag, vary
    tokens: float = RENDER_BURST - 1  # the key's render budget left when this was rendered
    stamp: float = 0.0  # monotonic time of the render


def _tokens(entry: Rendered, now: float) -> float:
    return min(RENDER_BURST, entry.tokens + (now - entry.stamp) * RENDER_RATE)


async def bump_catalog_epoch(redis: Redis) -> None:
    """Tell every process' response cache that public catalog data changed (call it after
    committing such a change: a catalog import, a show's time or status)."""
    await redis.incr(EPOCH_KEY)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


class ResponseCache:
    """The process' rendered responses plus the freshness of the shows they depend on."""

    def __init__(self, max_bytes: int) -> None:
        self.entries: ByteLRU[tuple[str, ...], Rendered] = ByteLRU(max_bytes)
        # show -> (version, read at): at most 100k shows, ~100 bytes each
        self._versions: OrderedDict[int, tuple[int, float]] = OrderedDict()
        self._reads: dict[int, asyncio.Future[int]] = {}
        # one render per key at a time: concurrent misses wait for the first one
        self.inflight: dict[tuple[str, ...], asyncio.Future[Rendered | None]] = {}
        # client address -> when it last committed a change here (bounded, see note_write)
        self._writers: LRUCache[str, float] = LRUCache(maxsize=50_000)

    def lookup(self, key: tuple[str, ...], versions: tuple[int, ...],
               written_at: float | None = None, now: float | None = None) -> Rendered | None:
        """The entry to answer with, or None to render. An entry whose versions moved is
        re-rendered while the key has render budget left; past it (a show changing many
        times a second) it is served for at most 1 / RENDER_RATE s more: exact answers
        while that is cheap, a bounded CPU cost per key when it is not. A client that wrote
        at `written_at` never gets an entry rendered before that (read-your-writes)."""
        now = time.monotonic() if now is None else now
        entry = self.entries.get(key)
        if entry is None or entry.expires <= now:
            metrics.inc("response_cache_misses")
            return None
        if entry.versions != versions:
            if _tokens(entry, now) >= 1 or (written_at is not None and written_at >= entry.stamp):
                metrics.inc("response_cache_misses")
                return None
            metrics.inc("response_cache_coalesced")
        metrics.inc("response_cache_hits")
        return entry

    def store(self, key: tuple[str, ...], body: bytes, cache_control: str,
              versions: tuple[int, ...], ttl: float, now: float | None = None) -> Rendered:
        now = time.monotonic() if now is None else now
        etag = etag_of(body)
        headers = ((b"content-type", b"application/json"),
                   (b"cache-control", cache_control.encode()), (b"etag", etag.encode()),
                   (b"vary", b"X-API-Key"))
        previous = self.entries.get(key)
        tokens = (_tokens(previous, now) if previous else RENDER_BURST) - 1
        entry = Rendered(body=body, etag=etag, cache_control=cache_control, versions=versions,
                         expires=now + ttl, headers=headers, tokens=max(0.0, tokens),
                         stamp=now)
        self.entries.put(key, entry, len(body) + sum(len(k) for k in key))
        return entry

    async def versions(self, redis: Redis, show_ids: Sequence[int],
                       fresh: bool = False) -> tuple[int, ...]:
        """The catalog epoch, then the current seat version of each show (recently read
        ones from memory unless `fresh`)."""
        now = time.monotonic()
        out = []
        for show_id in (_EPOCH, *show_ids):
            hit = None if fresh else self._versions.get(show_id)
            if hit is not None and now - hit[1] < VERSION_TTL:
                out.append(hit[0])
            else:
                out.append(await self._read_version(redis, show_id))
            if show_id != _EPOCH:
                seatcache.touch(show_id)  # served from here, still hot for the reconciler
        return tuple(out)

    def note_write(self, client: str) -> None:
        """`client` just committed a change through this process (read-your-writes)."""
        self._writers[client] = time.monotonic()

    def recent_write(self, client: str) -> float | None:
        """When `client` last wrote, if within the last second."""
        at = self._writers.get(client)
        return at if at is not None and time.monotonic() - at < 1.0 else None

    async def bump_catalog_epoch(self, redis: Redis) -> None:
        await bump_catalog_epoch(redis)
        self._versions.pop(_EPOCH, None)  # this process sees it at once

    async def _read_version(self, redis: Redis, show_id: int) -> int:
        flight = self._reads.get(show_id)
        if flight is None:
            flight = asyncio.ensure_future(self._fetch_version(redis, show_id))
            self._reads[show_id] = flight
            flight.add_done_callback(lambda _: self._reads.pop(show_id, None))
        return await asyncio.shield(flight)

    async def _fetch_version(self, redis: Redis, show_id: int) -> int:
        if show_id == _EPOCH:
            raw = await redis.get(EPOCH_KEY)
            # a lost epoch restarts at 0, which may equal an old value: TTLs still bound that
            version = int(raw) if raw is not None else 0
            self._versions[show_id] = (version, time.monotonic())
            return version
        raw = await redis.get(seatcache.version_key(show_id))
        # a lost counter (Redis restart, eviction) restarts above anything seen before
        version = int(raw) if raw is not None else await seatcache.ensure_version(redis, show_id)
        self._versions[show_id] = (version, time.monotonic())
        self._versions.move_to_end(show_id)
        while len(self._versions) > 100_000:
            self._versions.popitem(last=False)
        return version

    def clear(self) -> None:
        self.entries.clear()
        self._versions.clear()
