"""Every Redis client of the runtime is built here: from `REDIS_URL`, or through Redis Sentinel.

With `REDIS_SENTINELS` set (`host:port,host:port,…`), a client asks the sentinels for the
current primary of `REDIS_SENTINEL_MASTER` whenever it (re)connects (redis-py's `master_for`),
so after a Sentinel failover each broken connection is rebuilt against the promoted replica.
`REDIS_URL` still gives the database number, the credentials and any connection options; its
host and port are not used then.

Users: the API's client and arq pool (boxoffice/app.py), the worker's arq pool
(workers/settings.py), the realtime hub's pub/sub clients (boxoffice/realtime/__init__.py) and
the catalog import's cache drop.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from arq.connections import ArqRedis
from redis.asyncio import Redis
from redis.asyncio.connection import parse_url
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool

from boxoffice.settings import Settings, get_settings

R = TypeVar("R", bound=Redis)

# a sentinel answers in milliseconds; a dead one must not stall the search for the primary
SENTINEL_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
# connecting to a primary that just vanished fails fast, then the sentinels are asked again
PRIMARY_CONNECT_TIMEOUT = 2.0
# what arq's own create_pool uses (RedisSettings.conn_timeout)
ARQ_CONNECT_TIMEOUT = 1.0


class _SentinelPool(SentinelConnectionPool):
    """A client's pool that also closes its sentinels' connections when the client closes (each
    client has its own Sentinel). A primary switch disconnects idle connections only
    (`inuse_connections=False`) and leaves the sentinels alone."""

    async def disconnect(self, inuse_connections: bool = True) -> None:
        await super().disconnect(inuse_connections)
        if inuse_connections:
            for sentinel in self.sentinel_manager.sentinels:
                await sentinel.aclose()


def redis_client(settings: Settings | None = None, *, url: str | None = None,
                 redis_class: type[R] = Redis, **options: Any) -> R:  # type: ignore[assignment]
    """A client of `redis_class` for `url` (default `REDIS_URL`), through the sentinels when
    `REDIS_SENTINELS` is set. Nothing connects until the first command."""
    settings = settings or get_settings()
    url = url or settings.redis_url
    if not settings.redis_sentinels:
        return cast(R, redis_class.from_url(url, **options))
    scheme = urlsplit(url).scheme
    if scheme not in ("redis", "rediss"):
        raise ValueError(f"REDIS_SENTINELS needs a redis:// or rediss:// REDIS_URL, not {scheme}")
    # the URL's database, credentials and options; the sentinels say where the primary is
    kwargs: dict[str, Any] = {k: v for k, v in parse_url(url).items()
                              if k not in ("host", "port", "connection_class")}
    kwargs.setdefault("socket_connect_timeout", PRIMARY_CONNECT_TIMEOUT)
    if scheme == "rediss":
        kwargs["ssl"] = True
    sentinel = Sentinel(settings.redis_sentinels, sentinel_kwargs=dict(SENTINEL_OPTIONS))
    return cast(R, sentinel.master_for(settings.redis_sentinel_master, redis_class=redis_class,
                                       connection_pool_class=_SentinelPool,
                                       **{**kwargs, **options}))


def arq_pool(settings: Settings | None = None) -> ArqRedis:
    """arq's client (enqueueing in the API, polling in the worker) from the same settings."""
    return redis_client(settings, redis_class=ArqRedis,
                        socket_connect_timeout=ARQ_CONNECT_TIMEOUT)
