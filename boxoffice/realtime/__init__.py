"""Realtime: the per-process fan-out hub, subscription feeds and the seat-map refresher."""

from __future__ import annotations

from redis.asyncio import Redis

from boxoffice.realtime.config import RealtimeConfig
from boxoffice.realtime.hub import Hub
from boxoffice.realtime.refresher import SeatMapRefresher
from boxoffice.realtime.upstream import client_name
from boxoffice.redisconn import redis_client
from boxoffice.settings import Settings


def hub_pubsub_client(settings: Settings) -> Redis:
    """A new client for one generation of the hub's pub/sub connection, named by pid."""
    return redis_client(settings, client_name=client_name())


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
