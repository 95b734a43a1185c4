"""The Piccolo engine: one per process, built on first use, nothing read at import.

Whoever opens the database passes its `Settings` (`db.start_pool(settings)`: the Starlette
lifespan, the worker supervisor and startup, the CLI); the engine then points at that URL,
and its pool is started from the same settings. Only a process that reaches the engine before
any pool was started (a Piccolo migration run from the CLI, through `piccolo_conf.DB`) builds
it from the process's settings (`get_settings()`, the environment read once).
"""

from __future__ import annotations

from piccolo.engine.postgres import PostgresEngine

from boxoffice.dburl import asyncpg_config
from boxoffice.settings import Settings, get_settings

_engine: PostgresEngine | None = None


def engine_config(settings: Settings) -> dict[str, object]:
    return asyncpg_config(settings.database_url, settings.lock_timeout_ms)


def configure_engine(settings: Settings) -> PostgresEngine:
    """The engine, pointed at `settings`' database (built on the first call; `config` is
    Piccolo's public dict it connects and starts its pool with). A running pool keeps it."""
    global _engine
    if _engine is None:
        _engine = PostgresEngine(config=engine_config(settings), extensions=())
    elif _engine.pool is None:
        _engine.config = engine_config(settings)
    return _engine


def get_engine() -> PostgresEngine:
    return _engine if _engine is not None else configure_engine(get_settings())
