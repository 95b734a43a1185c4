"""Turn a `postgresql://` URL into asyncpg connect keywords (Piccolo's engine wants a dict)."""

from __future__ import annotations

from typing import Any


def asyncpg_config(url: str, lock_timeout_ms: int = 2000) -> dict[str, Any]:
    # asyncpg parses DSNs itself, including ?host=/path for unix sockets. lock_timeout is set
    # per session rather than per transaction: one round trip less on every booking.
    return {"dsn": url, "server_settings": {"lock_timeout": f"{int(lock_timeout_ms)}ms"}}
