"""Bounded in-process caches: full means "evict the least recently used entry", never "clear".

Every in-process cache (API keys, tokens, show facts, seat-map views, subscription events...)
is one of these. Clearing a whole cache when it filled up made every subscriber of the event
being fanned out at that moment miss and render it again; an LRU drops only the coldest entry.
Entries that expire carry their own deadline (`(expires, value)` tuples), checked by the caller,
because several caches give different entries different lifetimes.

`clear_all()` forgets every one of them (tests recreate ids; nothing in the product calls it).
"""

from __future__ import annotations

from typing import Any, TypeVar

from cachetools import LRUCache

K = TypeVar("K")
V = TypeVar("V")

_ALL: list[LRUCache[Any, Any]] = []


def bounded(maxsize: int) -> LRUCache[K, V]:
    """A new LRU cache of at most `maxsize` entries, registered for `clear_all`."""
    cache: LRUCache[K, V] = LRUCache(maxsize=maxsize)
    _ALL.append(cache)
    return cache


def clear_all() -> None:
    for cache in _ALL:
        cache.clear()
