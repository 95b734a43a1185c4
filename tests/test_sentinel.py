"""REDIS_SENTINELS: the runtime's Redis clients (boxoffice/redisconn.py) reach the primary the
Sentinels name, and follow it when they fail over.

A real primary, replica and three Sentinels (tests/redissentinel.py). The plain client, arq's
pool and the hub's pub/sub client are built from Settings read from the environment, as every
process builds them; after the primary is SIGKILLed and the Sentinels promote the replica, the
same client objects work against the new primary and a new pub/sub connection subscribes there.
The whole application across a failover: tests/realtime/test_sentinel_failover.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis as sync_redis
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from boxoffice.redisconn import arq_pool, redis_client
from boxoffice.settings import Settings
from tests.redissentinel import SentinelSet, sentinel_set

T = TypeVar("T")


@pytest.fixture
def sentinels(tmp_path: Path) -> Iterator[SentinelSet]:
    with sentinel_set(tmp_path) as s:
        yield s


@pytest.fixture
def settings(sentinels: SentinelSet, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in sentinels.env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


async def _retry(call: Callable[[], Awaitable[T]], within: float = 20) -> T:
    """A call that may meet a connection the failover broke (or no primary yet)."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await call()
        except (RedisConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def _received(client: Redis, channel: str, publish: Callable[[], Awaitable[Any]],
                    on_port: int) -> str:
    """Subscribe (as the realtime hub does: redis-py's PubSub on a client from redis_client),
    check the subscription is on that server, publish, return what arrives."""
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(channel)
        confirmed = await asyncio.wait_for(_next_message(pubsub, "subscribe"), 5)
        assert confirmed["channel"] == channel.encode()
        assert sync_redis.Redis(port=on_port).pubsub_numsub(channel) == [(channel.encode(), 1)]
        await publish()
        event = await asyncio.wait_for(_next_message(pubsub, "message"), 5)
        return event["data"].decode()
    finally:
        await pubsub.aclose()


async def _next_message(pubsub: Any, kind: str) -> dict[str, Any]:
    while True:
        message = await pubsub.get_message(timeout=1.0)
        if message is not None and message["type"] == kind:
            return message


def test_settings_read_the_sentinels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_SENTINELS", "s1:26380, s2 ,[::1]:26381")
    monkeypatch.delenv("REDIS_SENTINEL_MASTER", raising=False)
    settings = Settings.from_env()
    assert settings.redis_sentinels == (("s1", 26380), ("s2", 26379), ("::1", 26381))
    assert settings.redis_sentinel_master == "boxoffice"
    monkeypatch.setenv("REDIS_SENTINELS", "")
    assert Settings.from_env().redis_sentinels == ()  # REDIS_URL's host is the primary


async def test_every_client_follows_the_primary_through_a_failover(
        settings: Settings, sentinels: SentinelSet) -> None:
    assert settings.redis_sentinels == tuple(("127.0.0.1", p) for p in sentinels.sentinels)
    first = sentinels.primary()
    redis: Redis = redis_client(settings)
    arq = arq_pool(settings)
    hub_client: Redis = redis_client(settings)
    try:
        # before: everything lands on the primary the Sentinels name
        await redis.set("catalog:epoch", 7)
        assert sync_redis.Redis(port=first).get("catalog:epoch") == b"7"
        assert await arq.enqueue_job("deliver_notifications", _job_id="probe-1") is not None
        assert sync_redis.Redis(port=first).zscore("arq:queue", "probe-1") is not None
        assert await _received(hub_client, "events:probe", lambda: redis.publish(
            "events:probe", "before"), first) == "before"

        sentinels.kill(first)
        second = sentinels.wait_failover(first)
        assert second != first

        # after: the same client objects find the promoted replica by themselves
        await _retry(lambda: redis.set("catalog:epoch", 8))
        assert sync_redis.Redis(port=second).get("catalog:epoch") == b"8"
        assert await _retry(lambda: arq.enqueue_job("deliver_notifications",
                                                    _job_id="probe-2")) is not None
        assert sync_redis.Redis(port=second).zscore("arq:queue", "probe-2") is not None
        # a new pub/sub connection (what the hub builds after a drop) subscribes there
        await hub_client.aclose()
        hub_client = redis_client(settings)
        assert await _received(hub_client, "events:probe", lambda: redis.publish(
            "events:probe", "after"), second) == "after"
    finally:
        await hub_client.aclose()
        await arq.aclose()
        await redis.aclose()
