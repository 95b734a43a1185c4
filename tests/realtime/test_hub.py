"""The fan-out hub in-process: one upstream subscription, bounded inboxes, health and resync."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

from boxoffice.realtime import Hub, RealtimeConfig, hub_pubsub_client
from boxoffice.realtime.local import RESYNC, Message, _Resync
from boxoffice.settings import get_settings
from tests.realtime.support import hub_connection_ids, sever_hub


@contextlib.asynccontextmanager
async def running_hub(redis: Redis, **config: Any) -> AsyncIterator[Hub]:
    hub = Hub(redis, lambda: hub_pubsub_client(get_settings()),
              RealtimeConfig(**{"heartbeat_seconds": 0.2, "heartbeat_timeout": 0.8, **config}))
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


async def numsub(redis: Redis, channel: str) -> int:
    return int(dict(await redis.pubsub_numsub(channel))[channel.encode()])


async def test_many_local_subscribers_share_one_upstream_subscription(redis):
    channel = "test:hub:fanout"
    async with running_hub(redis) as hub, contextlib.AsyncExitStack() as stack:
        inboxes = [await stack.enter_async_context(hub.subscribe(channel)) for _ in range(50)]
        assert await numsub(redis, channel) == 1
        assert hub.upstream_channels() == {channel}
        await redis.publish(channel, json.dumps({"n": 1}))
        got = await asyncio.wait_for(asyncio.gather(*(i.get() for i in inboxes)), 2)
        assert got == [{"n": 1}] * 50
        await stack.aclose()  # every local subscriber leaves ...
        for _ in range(50):
            if await numsub(redis, channel) == 0:
                break
            await asyncio.sleep(0.02)
        assert await numsub(redis, channel) == 0  # ... and so does the upstream subscription
        assert hub.upstream_channels() == set()


async def test_a_slow_subscriber_is_resynced_instead_of_buffering_without_bound(redis):
    channel = "test:hub:slow"
    async with running_hub(redis, queue_size=5) as hub, \
            hub.subscribe(channel) as slow, hub.subscribe(channel) as fast:
        received: list[Message | _Resync] = []

        async def consume() -> None:
            while len(received) < 20:
                received.append(await fast.get())

        consumer = asyncio.create_task(consume())
        for n in range(20):
            await redis.publish(channel, json.dumps({"n": n}))
            await asyncio.sleep(0.005)  # let the fast one keep up
        await asyncio.wait_for(consumer, 2)
        assert [m["n"] for m in received] == list(range(20))  # type: ignore[index]
        # the slow one never read: it holds at most its bound, and is told to resync
        assert slow.dropped >= 1
        assert await slow.get() is RESYNC
        await redis.publish(channel, json.dumps({"n": 99}))
        assert await asyncio.wait_for(slow.get(), 2) == {"n": 99}


async def test_a_severed_upstream_is_detected_rebuilt_and_subscribers_resync(redis):
    channel = "test:hub:severed"
    async with running_hub(redis) as hub, hub.subscribe(channel) as inbox:
        assert await sever_hub(redis, os.getpid()) >= 1
        assert await asyncio.wait_for(inbox.get(), 5) is RESYNC
        assert hub.stats.reconnects >= 1
        assert await hub_connection_ids(redis, os.getpid())  # a new connection is up
        await redis.publish(channel, json.dumps({"after": True}))
        item = await asyncio.wait_for(inbox.get(), 2)
        while item is RESYNC:  # other hubs of this process were severed too
            item = await asyncio.wait_for(inbox.get(), 2)
        assert item == {"after": True}


async def test_a_message_published_as_soon_as_subscribe_returns_is_delivered(redis):
    """subscribe() waits for Redis's confirmation, not just for the command to be written: a
    publish from another connection right after it cannot overtake the SUBSCRIBE."""
    async with running_hub(redis) as hub:
        for n in range(30):
            channel = f"test:hub:confirmed:{n}"
            async with hub.subscribe(channel) as inbox:
                assert await redis.publish(channel, json.dumps({"n": n})) == 1
                assert await asyncio.wait_for(inbox.get(), 2) == {"n": n}


def test_the_upstream_uses_no_private_attributes_of_its_library() -> None:
    """The hub's pub/sub is redis-py's public PubSub (docs/stack.md): no `_backend`,
    `_listener`, `_subscribers` lookups that a release could rename."""
    from pathlib import Path

    from boxoffice.realtime import upstream

    source = Path(upstream.__file__).read_text()
    for private in ("_backend", "_listener", "_subscribers", "_queue", "getattr("):
        assert private not in source, private


async def test_a_subscribe_abandoned_before_redis_confirmed_it_leaves_no_subscription():
    """A subscriber that goes away (a client disconnecting) after the hub wrote SUBSCRIBE but
    before Redis confirmed it: Redis still runs the SUBSCRIBE, and the release that follows
    must undo it, or the process keeps receiving (and dropping) that channel's messages for
    the upstream's lifetime. A private Redis, paused with CLIENT PAUSE so the confirmation is
    held back (the shared one is not paused under other tests)."""
    from tests.realtime.support import free_port
    from tests.realtime.test_redis_restart import redis_server

    port = free_port()
    with redis_server(port):
        url = f"redis://127.0.0.1:{port}/0"
        private: Redis = Redis.from_url(url)
        hub = Hub(private, lambda: Redis.from_url(url),
                  RealtimeConfig(heartbeat_seconds=0.2, heartbeat_timeout=10))
        await hub.start()
        try:
            channel = "test:hub:abandoned"
            entered = asyncio.Event()

            async def subscriber() -> None:
                async with hub.subscribe(channel):
                    entered.set()
                    await asyncio.Event().wait()

            await private.execute_command("CLIENT", "PAUSE", 600, "ALL")
            task = asyncio.create_task(subscriber())
            await asyncio.sleep(0.2)  # SUBSCRIBE written; paused, Redis has not answered
            assert not entered.is_set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await asyncio.sleep(0.6)  # the pause is over: Redis ran what was written
            for _ in range(50):
                if await numsub(private, channel) == 0:
                    break
                await asyncio.sleep(0.02)
            assert await numsub(private, channel) == 0
            assert hub.stats.reconnects == 0  # undone by the release, not by a rebuild
        finally:
            await hub.stop()
            await private.aclose()
