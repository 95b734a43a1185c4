"""The Piccolo engine: one per process, built on first use, nothing read at import.

Whoever opens the database passes its `Settings` (`db.start_pool(settings)`: the Starlette
lifespan, the worker supervisor and startup, the CLI); the engine then points at that URL,
and its pool is started from the same settings. Only a process that reaches the engine before
any pool was started (a Piccolo migration run from the CLI, through `piccolo_conf.DB`) builds
it from the process's settings (`get_settings()`, the environment read once).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from boxoffice.dburl import asyncpg_config
from boxoffice.settings import Settings, get_settings

# The connection of the transaction this task is in (set by boxoffice.db's serializable() and
# read_committed()), so Piccolo queries written inside one run on it.
transaction_connection: ContextVar[asyncpg.Connection | None] = ContextVar(
    "boxoffice_transaction_connection", default=None)


class BoxofficeEngine(PostgresEngine):
    """Piccolo's Postgres engine whose queries join boxoffice.db's transaction when one is open.

    Our transactions are asyncpg's own (Piccolo's leaks its connection when COMMIT raises,
    docs/stack.md); this keeps Piccolo's query builder usable inside them through the engine's
    public `run_querystring`: without it such a query would take another pool connection,
    outside the transaction, and wait on the rows the transaction itself locked."""

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        conn = transaction_connection.get()
        if conn is None:
            return await super().run_querystring(querystring, in_pool=in_pool)
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        return await conn.fetch(sql, *args)


_engine: BoxofficeEngine | None = None


def engine_config(settings: Settings) -> dict[str, object]:
    return asyncpg_config(settings.database_url, settings.lock_timeout_ms)


def configure_engine(settings: Settings) -> BoxofficeEngine:
    """The engine, pointed at `settings`' database (built on the first call; `config` is
    Piccolo's public dict it connects and starts its pool with). A running pool keeps it."""
    global _engine
    if _engine is None:
        _engine = BoxofficeEngine(config=engine_config(settings), extensions=())
    elif _engine.pool is None:
        _engine.config = engine_config(settings)
    return _engine


def get_engine() -> BoxofficeEngine:
    return _engine if _engine is not None else configure_engine(get_settings())
