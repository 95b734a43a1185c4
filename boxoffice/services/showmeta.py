"""Immutable show facts (start time, currency) cached in-process: the hot path's first read."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from cachetools import LRUCache

from boxoffice import db
from boxoffice.lrucache import bounded


@dataclass(frozen=True)
class ShowMeta:
    id: int
    starts_at: datetime
    currency: str


_CACHE: LRUCache[int, tuple[float, ShowMeta | None]] = bounded(50_000)
_TTL = 60.0  # a rescheduled show is seen within a minute


_SHOW = "SELECT id, starts_at, currency FROM show WHERE id = $1"  # every reserve (cached)

async def show_meta(show_id: int) -> ShowMeta | None:
    now = time.monotonic()
    hit = _CACHE.get(show_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    row = await db.pool().fetchrow(_SHOW, show_id)
    meta = ShowMeta(row["id"], row["starts_at"], row["currency"]) if row else None
    # unknown ids are cached briefly too, so a flood of bogus ids costs no queries
    _CACHE[show_id] = (now + (_TTL if meta else 5.0), meta)
    return meta


def clear_show_meta() -> None:
    """Forget cached shows (tests recreate ids; admins may call it after editing a show)."""
    _CACHE.clear()
