"""Where the API process's Redis clients are built from the settings: the command client and
the realtime hub's pub/sub connections.

One place on purpose: running on Redis Sentinel means replacing `Redis.from_url` here with
`Sentinel(...).master_for(...)` (README "Sentinel"), and every client follows.
"""

from __future__ import annotations

from redis.asyncio import Redis

from boxoffice.settings import Settings


def redis_client(settings: Settings, name: str | None = None) -> Redis:
    """A client of the configured Redis; `name` is set on its connections (CLIENT SETNAME) so
    operators and tests can find them in `CLIENT LIST`."""
    if name is None:
        return Redis.from_url(settings.redis_url)
    return Redis.from_url(settings.redis_url, client_name=name)
