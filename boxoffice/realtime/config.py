"""Tunables of the realtime layer, read once from the environment (defaults suit production)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class RealtimeConfig:
    # events buffered per local subscriber; a client slower than this gets a resync snapshot
    # instead of an ever-growing queue
    queue_size: int = 256
    # a heartbeat is published on this process's health channel every `heartbeat_seconds` and
    # must come back through the subscriber connection within `heartbeat_timeout`; otherwise
    # the upstream is torn down, rebuilt and every local subscriber resynced (a reader that died
    # of a closed connection is noticed at the next heartbeat tick, without waiting for this)
    heartbeat_seconds: float = 1.0
    heartbeat_timeout: float = 5.0
    # how often hot shows' cached seat maps are reconciled with Postgres
    refresh_seconds: float = 1.5

    @classmethod
    def from_env(cls) -> RealtimeConfig:
        return cls(
            queue_size=int(_float("REALTIME_QUEUE_SIZE", 256)),
            heartbeat_seconds=_float("REALTIME_HEARTBEAT_SECONDS", 1.0),
            heartbeat_timeout=_float("REALTIME_HEARTBEAT_TIMEOUT", 5.0),
            refresh_seconds=_float("REALTIME_REFRESH_SECONDS", 1.5),
        )
