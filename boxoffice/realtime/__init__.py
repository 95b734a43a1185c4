"""Realtime: the per-process fan-out hub, subscription feeds and the seat-map refresher."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from boxoffice.realtime.config import RealtimeConfig
from boxoffice.realtime.hub import Hub
from boxoffice.realtime.refresher import SeatMapRefresher
from boxoffice.realtime.upstream import client_name
from boxoffice.redisconn import redis_client
from boxoffice.settings import Settings


def hub_pubsub_client(settings: Settings) -> Redis:
    """A new client for one generation of the hub's pub/sub connection, named by pid.

    Explicitly without retries (not merely redis-py's default): a PubSub that reconnected and
    resubscribed by itself would hide the events lost meanwhile; the reader must end with the
    ConnectionError so the hub rebuilds the upstream and resyncs every subscriber."""
    return redis_client(settings, client_name=client_name(), retry=Retry(NoBackoff(), 0),
                        retry_on_error=[])


class Realtime:
    """What the API lifespan starts and stops: the hub and the cache refresher."""

    def __init__(self, redis: Redis, settings: Settings,
                 config: RealtimeConfig | None = None) -> None:
        self.config = config or RealtimeConfig.from_env()
        self.hub = Hub(redis, lambda: hub_pubsub_client(settings), self.config)
        self.refresher = SeatMapRefresher(redis, self.hub, self.config.refresh_seconds)

    async def start(self) -> None:
        await self.hub.start()
        self.refresher.start()

    async def stop(self) -> None:
        await self.refresher.stop()
        await self.hub.stop()


__all__ = ["Hub", "Realtime", "RealtimeConfig", "SeatMapRefresher", "hub_pubsub_client"]
