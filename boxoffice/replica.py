"""The optional read-replica pool (`DATABASE_READ_URL`) for browse reads.

Search, the catalog lists and cold seat-map rebuilds read through `db.read_pool()`: the
replica's pool when `DATABASE_READ_URL` is set, else the primary's. Booking (reserve, confirm,
cancel, expiry, offers, the show facts they read) and everything that writes never use it, and
neither does the seat-map refresher, whose reconciliation must compare the cache with the truth.

Staleness: a streaming replica trails the primary by its replay lag (milliseconds on a healthy
local network; unbounded while replay is paused or the link is down). What a lagging replica can
show: `availableSeats` in search a little high or low (documented as "~2 s stale" already), a
show or movie just imported missing for that long, and a cold seat map rebuilt from the replica
missing the last changes — which the seat-map refresher corrects from the primary within two
rounds (~2-3 s) for any show someone is watching, and which the next seat event patches anyway.
A replica that is unreachable at start makes the process fail fast, like the primary does.
"""

from __future__ import annotations

import asyncpg

from boxoffice.dburl import asyncpg_config
from boxoffice.settings import Settings

_pool: asyncpg.Pool | None = None


async def start_read_pool(s: Settings) -> None:
    global _pool
    if s.database_read_url and _pool is None:
        config = asyncpg_config(s.database_read_url, s.lock_timeout_ms)
        _pool = await asyncpg.create_pool(min_size=s.db_pool_min, max_size=s.db_pool_max,
                                          **config)


async def close_read_pool() -> None:
    global _pool
    if _pool is not None:
        pool, _pool = _pool, None
        await pool.close()


def read_pool() -> asyncpg.Pool | None:
    return _pool
