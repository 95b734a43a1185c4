"""asyncpg connection settings for Piccolo's engine (it passes them to create_pool/connect)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

_QUERY_METHODS = ("execute", "executemany", "fetch", "fetchval", "fetchrow", "fetchmany",
                  "prepare", "copy_records_to_table")


def _flags_cancellation(name: str) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(getattr(asyncpg.Connection, name))
    async def run(self: LeanConnection, *args: Any, **kwargs: Any) -> Any:
        try:
            # looked up per call: instrumentation (OpenTelemetry) may wrap asyncpg's methods
            return await getattr(super(LeanConnection, self), name)(*args, **kwargs)
        except asyncio.CancelledError:
            self.needs_sync = True
            raise

    return run


class LeanConnection(asyncpg.Connection):  # type: ignore[misc]
    """Skips the reset query (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL) on pool release.

    That query is a round trip on *every* release. This application never changes session
    state on pooled connections (no SET, LISTEN, cursors or session advisory locks; session
    settings come from the startup packet), and open transactions are still rolled back by asyncpg
    itself; the one exception is below.

    A task cancelled inside a query (graphql-core cancels sibling fields after an error; time
    budgets and disconnects cancel too) may have been cancelled between asyncpg's prepare and
    its execution: asyncpg prepares with Parse/Describe/Flush and no Sync, so the server is
    then left inside an implicit transaction waiting for the client (`active`, ClientRead),
    holding its locks and snapshot until the connection is reused. The public query methods
    note any cancellation, and the reset query on release then ends it (`get_reset_query` is
    asyncpg's documented hook for this; wrapping the public methods, not asyncpg's private
    `_get_statement`, also catches a cancel during execution, where the Sync is harmless).
    """

    needs_sync = False

    def get_reset_query(self) -> str:
        if self.needs_sync:
            self.needs_sync = False
            return "SELECT 1"
        return ""


for _name in _QUERY_METHODS:
    setattr(LeanConnection, _name, _flags_cancellation(_name))


def asyncpg_config(url: str, lock_timeout_ms: int = 2000) -> dict[str, Any]:
    # asyncpg parses DSNs itself, including ?host=/path for unix sockets. lock_timeout is set
    # per session rather than per transaction: one round trip less on every booking.
    return {
        "dsn": url,
        "server_settings": {"lock_timeout": f"{int(lock_timeout_ms)}ms"},
        "connection_class": LeanConnection,
        # connecting to an unreachable host fails in seconds (TRY_AGAIN), not asyncpg's 60 s
        "timeout": 5,
    }
