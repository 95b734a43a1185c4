"""asyncpg connection settings for Piccolo's engine (it passes them to create_pool/connect)."""

from __future__ import annotations

from typing import Any

import asyncpg


class LeanConnection(asyncpg.Connection):  # type: ignore[misc]
    """Skips the reset query (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL) on pool release.

    That query is a round trip on *every* release. This application never changes session
    state on pooled connections (no SET, LISTEN, cursors or advisory locks; session settings come
    from the startup packet), and open transactions are still rolled back by asyncpg itself.
    """

    def get_reset_query(self) -> str:
        return ""


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
