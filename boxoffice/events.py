"""Events between processes: publish after commit, subscribe for realtime fan-out.

A small interface of ours over broadcaster (pinned, see STACK.md). Redis pub/sub is at most once,
so every seat event carries the show's version and subscribers resync on a gap.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from broadcaster import Broadcast
from redis.asyncio import Redis

from boxoffice.settings import get_settings


@lru_cache(maxsize=8)
def _namespace_of(redis_url: str) -> str:
    db = urlsplit(redis_url).path.strip("/")
    return f"db{db}:" if db not in ("", "0") else ""


def _namespace() -> str:
    """Pub/sub channels are global to a Redis server: SELECT does not separate them. Deployments
    sharing a server on different databases (tests, benchmarks, staging) would otherwise receive
    each other's seat events for the same show ids, so channels outside db 0 carry the db."""
    return _namespace_of(get_settings().redis_url)


def seats_channel(show_id: int) -> str:
    return f"{_namespace()}show:{{{show_id}}}:seats"


def queue_channel(show_id: int) -> str:
    return f"{_namespace()}show:{{{show_id}}}:queue"


def reservation_channel(reservation_id: int) -> str:
    return f"{_namespace()}reservation:{reservation_id}"


class EventBus:
    """Publishes with plain redis (one round trip) and subscribes through broadcaster."""

    def __init__(self, redis: Redis, redis_url: str) -> None:
        self._redis = redis
        self._broadcast = Broadcast(redis_url)
        self._connected = False

    async def connect(self) -> None:
        await self._broadcast.connect()
        self._connected = True

    async def disconnect(self) -> None:
        if self._connected:
            await self._broadcast.disconnect()
            self._connected = False

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._redis.publish(channel, json.dumps(message, separators=(",", ":")))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        async with self._broadcast.subscribe(channel) as subscriber:

            async def messages() -> AsyncIterator[dict[str, Any]]:
                async for event in subscriber:  # type: ignore[union-attr]
                    if event is None:
                        return
                    yield json.loads(event.message)

            yield messages()
