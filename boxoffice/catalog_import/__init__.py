"""`boxoffice import FILE.json`: load or update a catalog keyed by the file's own ids.

`parse_catalog` (fileformat.py) checks the whole file first; `apply_catalog` (loader.py) writes
it in one transaction; after COMMIT the Redis seat-map cache of every show whose seats were laid
anew is dropped (it refills from Postgres on the next read).
"""

from __future__ import annotations

import logging
from pathlib import Path

import asyncpg
from redis.asyncio import Redis

from boxoffice import db
from boxoffice.catalog_import.fileformat import CatalogFile, CatalogFileError, parse_catalog
from boxoffice.catalog_import.loader import CatalogConflict, ImportReport, apply_catalog
from boxoffice.redisconn import redis_client
from boxoffice.services.responsecache import EPOCH_KEY
from boxoffice.services.seatcache import bitmap_key, index_key, meta_key

__all__ = ["CatalogConflict", "CatalogFile", "CatalogFileError", "ImportReport",
           "import_catalog", "import_catalog_file", "parse_catalog"]

log = logging.getLogger(__name__)


def read_catalog_file(path: str | Path) -> CatalogFile:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_catalog(raw)


async def import_catalog(catalog: CatalogFile) -> ImportReport:
    """Apply a checked catalog in one transaction (the pool must be started)."""
    try:
        async with db.pool().acquire() as conn, conn.transaction():
            report = await apply_catalog(conn, catalog)
    except asyncpg.UniqueViolationError as exc:
        # a name clash the loader's own checks do not name (e.g. two halls swapping names)
        raise CatalogConflict(f"conflicts with the database ({exc.constraint_name}): "
                              f"{exc.detail or exc}") from None
    await _after_commit(report.rebuilt_shows)
    return report


async def import_catalog_file(path: str | Path) -> ImportReport:
    return await import_catalog(read_catalog_file(path))


async def _after_commit(show_ids: list[int]) -> None:
    """Drop the cached seat maps of re-seated shows and move the catalog epoch, so every API
    process' response cache stops serving the old catalog (boxoffice/services/responsecache.py)."""
    redis: Redis = redis_client()
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for s in show_ids:  # one DEL per show: its keys share a Redis Cluster slot
                pipe.delete(bitmap_key(s), index_key(s), meta_key(s))
            pipe.incr(EPOCH_KEY)
            await pipe.execute()
    except Exception as exc:  # the import has committed: warn, do not fail it
        log.warning("import: could not drop the cached seat maps of %d re-seated shows nor move "
                    "the catalog epoch (%s); caches refresh when their entries expire",
                    len(show_ids), exc)
    finally:
        await redis.aclose()
