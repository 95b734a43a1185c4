"""Turn a `postgresql://` URL into asyncpg connect keywords (Piccolo's engine wants a dict)."""

from __future__ import annotations

from typing import Any


def asyncpg_config(url: str) -> dict[str, Any]:
    # asyncpg parses DSNs itself, including ?host=/path for unix sockets.
    return {"dsn": url}
