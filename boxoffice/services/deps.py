"""What a service needs from the process: settings, Redis and the arq pool.

The API builds it from lifespan state; workers build it from their ctx."""

from __future__ import annotations

from dataclasses import dataclass

from arq.connections import ArqRedis
from redis.asyncio import Redis

from boxoffice.settings import Settings


@dataclass(frozen=True)
class Deps:
    settings: Settings
    redis: Redis
    arq: ArqRedis
