"""Process-wide resources the lifespan opens and every request shares."""

from __future__ import annotations

from dataclasses import dataclass

from arq.connections import ArqRedis
from redis.asyncio import Redis

from boxoffice.payments.gateway import PaymentGateway
from boxoffice.realtime import Realtime
from boxoffice.services.deps import Deps
from boxoffice.settings import Settings


@dataclass
class AppState:
    settings: Settings
    redis: Redis
    arq: ArqRedis
    gateway: PaymentGateway
    realtime: Realtime

    @property
    def deps(self) -> Deps:
        return Deps(settings=self.settings, redis=self.redis, arq=self.arq)
