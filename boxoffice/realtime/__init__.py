"""Realtime: the per-process fan-out hub, subscription feeds and the seat-map refresher."""

from __future__ import annotations

from redis.asyncio import Redis

from boxoffice.realtime.config import RealtimeConfig
from boxoffice.realtime.hub import Hub
from boxoffice.realtime.refresher import SeatMapRefresher


class Realtime:
    """What the API lifespan starts and stops: the hub and the cache refresher."""

    def __init__(self, redis: Redis, redis_url: str, config: RealtimeConfig | None = None) -> None:
        self.config = config or RealtimeConfig.from_env()
        self.hub = Hub(redis, redis_url, self.config)
        self.refresher = SeatMapRefresher(redis, self.hub, self.config.refresh_seconds)

    async def start(self) -> None:
        await self.hub.start()
        self.refresher.start()

    async def stop(self) -> None:
        await self.refresher.stop()
        await self.hub.stop()


__all__ = ["Hub", "Realtime", "RealtimeConfig", "SeatMapRefresher"]
