"""The response cache's memory bound and validity rules, without HTTP."""

from __future__ import annotations

from boxoffice.services.responsecache import (
    _ENTRY_OVERHEAD,
    RENDER_BURST,
    RENDER_RATE,
    ByteLRU,
    ResponseCache,
)


def test_byte_lru_never_holds_more_than_its_bound() -> None:
    lru: ByteLRU[str, bytes] = ByteLRU(max_bytes=3 * (100 + _ENTRY_OVERHEAD))
    for key in "abc":
        lru.put(key, b"x" * 100, 100)
    assert len(lru) == 3 and lru.bytes == 3 * (100 + _ENTRY_OVERHEAD)
    assert lru.get("a") == b"x" * 100  # a is now the most recently used
    lru.put("d", b"y" * 100, 100)
    assert lru.get("b") is None and lru.get("a") is not None  # b was the oldest
    lru.put("huge", b"z", 10**9)  # larger than the whole bound: not kept, nothing evicted
    assert lru.get("huge") is None and len(lru) == 3
    lru.put("a", b"w", 1)  # replacing an entry releases its old size
    assert lru.bytes == 2 * (100 + _ENTRY_OVERHEAD) + 1 + _ENTRY_OVERHEAD
    lru.clear()
    assert len(lru) == 0 and lru.bytes == 0


def test_entries_serve_only_their_versions_and_within_their_ttl() -> None:
    cache = ResponseCache(max_bytes=1 << 20)
    key = ("doc", "", "{}")
    stored = cache.store(key, b'{"data":{}}', "public, max-age=1", (3, 7), ttl=60)
    assert cache.lookup(key, (3, 7)) is stored
    assert stored.etag.startswith('"') and (b"etag", stored.etag.encode()) in stored.headers
    assert cache.lookup(key, (3, 8)) is None  # the show's seat version moved
    assert cache.lookup(key, (4, 7)) is None  # the catalog epoch moved
    cache.store(key, b'{"data":{}}', "public, max-age=1", (3, 7), ttl=-1)
    assert cache.lookup(key, (3, 7)) is None  # expired
    zero = ResponseCache(max_bytes=0)  # RESPONSE_CACHE_MB=0: nothing is ever kept
    zero.store(key, b"{}", "public, max-age=1", (), ttl=60)
    assert zero.lookup(key, ()) is None


def test_a_busy_key_is_rendered_within_its_budget_but_writers_see_their_change() -> None:
    cache = ResponseCache(max_bytes=1 << 20)
    key = ("seatmap", "", '{"showId":"1"}')
    now = 1000.0
    renders = 0
    version = 0
    for _ in range(20):  # the show changes 20 times within a few milliseconds
        version += 1
        now += 0.001
        if cache.lookup(key, (0, version), now=now) is None:
            renders += 1
            cache.store(key, b"{}", "public, max-age=1", (0, version), ttl=30, now=now)
    assert renders == RENDER_BURST  # then the last rendering is served, for a moment
    stale = cache.lookup(key, (0, version + 1), now=now)
    assert stale is not None and stale.versions != (0, version + 1)
    # ...but never to a client that wrote after it was rendered
    assert cache.lookup(key, (0, version + 1), written_at=now, now=now) is None
    # and the budget comes back: one render per 1 / RENDER_RATE s
    assert cache.lookup(key, (0, version + 1), now=now + 1 / RENDER_RATE) is None
