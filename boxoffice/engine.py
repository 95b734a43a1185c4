"""The Piccolo engine, built from `Settings` on first use: nothing is read at import, so the
environment may be set up after `piccolo_conf` or `boxoffice.db` are imported (tests, `boxoffice
dev`). `boxoffice.db.start_pool` starts its pool with the URL the settings hold at that time."""

from __future__ import annotations

import functools

from piccolo.engine.postgres import PostgresEngine

from boxoffice.dburl import asyncpg_config
from boxoffice.settings import get_settings


@functools.cache
def get_engine() -> PostgresEngine:
    s = get_settings()
    return PostgresEngine(config=asyncpg_config(s.database_url, s.lock_timeout_ms), extensions=())
