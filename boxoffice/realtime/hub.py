"""The per-process fan-out hub: one upstream subscription per channel, local bounded queues.

However many GraphQL subscriptions a process serves for a show, Redis sees one SUBSCRIBE for
that show's channel from this process. Each message is parsed once and offered to every local
subscriber's bounded inbox (never awaited: a slow client cannot stall the others).

Health: every `heartbeat_seconds` the hub publishes on its own health channel and expects the
message back through the subscriber connection within `heartbeat_timeout`. That checks the
whole path (socket, the upstream's reader task), which a PING on a command connection would
not. On failure it drops the upstream, reconnects with backoff, resubscribes every
channel that has local subscribers and asks every local subscriber to resync.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from boxoffice import metrics
from boxoffice.realtime.config import RealtimeConfig
from boxoffice.realtime.local import LocalSubscriber
from boxoffice.realtime.upstream import Upstream

log = logging.getLogger(__name__)


@dataclass
class HubStats:
    reconnects: int = 0
    delivered: int = 0
    upstream_messages: int = 0


class Hub:
    def __init__(self, redis: Redis, pubsub_client: Callable[[], Redis],
                 config: RealtimeConfig) -> None:
        """`redis` publishes heartbeats; `pubsub_client()` builds the client each upstream
        generation subscribes on (boxoffice/redisconn.py)."""
        self._redis = redis
        self._pubsub_client = pubsub_client
        self._config = config
        self._health_channel = f"boxoffice:hub:{uuid.uuid4().hex}:health"
        self._locals: dict[str, set[LocalSubscriber]] = {}
        self._upstream: Upstream | None = None
        self._lock = asyncio.Lock()  # upstream (re)builds and channel (un)subscribes
        self._last_heartbeat = 0.0
        self._heartbeat_seen = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._health_task: asyncio.Task[None] | None = None
        self.stats = HubStats()

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (failing fast if Redis is unreachable) and start the health check."""
        async with self._lock:
            self._upstream = await self._build_upstream()
        self._health_task = asyncio.create_task(self._health_loop(), name="hub-health")

    async def stop(self) -> None:
        if self._health_task is not None:
            self._health_task.cancel()
            with contextlib.suppress(BaseException):
                await self._health_task
        for task in list(self._tasks):
            task.cancel()
        if self._upstream is not None:
            await self._upstream.close()
            self._upstream = None

    # -- subscribing ------------------------------------------------------------------------

    def channels(self) -> list[str]:
        return list(self._locals)

    def subscriber_count(self, channel: str | None = None) -> int:
        if channel is not None:
            return len(self._locals.get(channel, ()))
        return sum(len(s) for s in self._locals.values())

    def resync_delay(self) -> float:
        """How long a resyncing subscriber waits before re-reading: spread over up to ~2 ms per
        local subscriber (at most 3 s), so a reconnect's thousand snapshots are not all rendered
        in the same event-loop turn."""
        return random.uniform(0.0, min(3.0, 0.002 * self.subscriber_count()))

    def upstream_channels(self) -> set[str]:
        """Channels this process holds an upstream subscription for (health channel excluded)."""
        up = self._upstream
        return (up.channels - {self._health_channel}) if up is not None else set()

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[LocalSubscriber]:
        """A local subscriber on `channel`; on entry the upstream SUBSCRIBE has been sent (or
        the upstream is down, and the reconnect will resubscribe and resync this subscriber)."""
        sub = LocalSubscriber(self._config.queue_size)
        self._locals.setdefault(channel, set()).add(sub)
        metrics.SUBSCRIBERS.inc()
        try:
            up = self._upstream
            if up is None or channel not in up.channels:
                # under the lock: an upstream being rebuilt right now either already includes
                # this channel or is published only after we look again here
                async with self._lock:
                    up = self._upstream
                    if up is not None and channel in self._locals and channel not in up.channels:
                        try:
                            await up.subscribe(channel)
                        except Exception:
                            # the health check will notice, rebuild, resubscribe and resync
                            log.warning("upstream subscribe %s failed", channel, exc_info=True)
            yield sub
        finally:
            metrics.SUBSCRIBERS.dec()
            subs = self._locals.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._locals[channel]
                    self._spawn(self._release(channel))

    async def _release(self, channel: str) -> None:
        async with self._lock:
            up = self._upstream
            if channel not in self._locals and up is not None:
                await up.unsubscribe(channel)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- fan-out ----------------------------------------------------------------------------

    def _on_message(self, channel: str, raw: str) -> None:
        if channel == self._health_channel:
            self._last_heartbeat = time.monotonic()
            self._heartbeat_seen.set()
            return
        subs = self._locals.get(channel)
        self.stats.upstream_messages += 1
        if not subs:
            return
        message = json.loads(raw)  # parsed once, shared read-only by every local subscriber
        for sub in list(subs):
            sub.offer(message)
        self.stats.delivered += len(subs)

    # -- health -----------------------------------------------------------------------------

    async def _build_upstream(self) -> Upstream:
        """A connected upstream with the health channel and every live channel subscribed,
        proven to deliver (a heartbeat made the round trip)."""
        up = Upstream(self._pubsub_client(), self._on_message, self._config.heartbeat_timeout)
        try:
            timeout = self._config.heartbeat_timeout
            await asyncio.wait_for(up.connect(), timeout)
            await up.subscribe(self._health_channel)
            for channel in list(self._locals):
                await up.subscribe(channel)
            self._heartbeat_seen.clear()
            await self._redis.publish(self._health_channel, "ping")
            await asyncio.wait_for(self._heartbeat_seen.wait(), timeout)
        except BaseException:
            await up.close()
            raise
        return up

    async def _health_loop(self) -> None:
        interval = self._config.heartbeat_seconds
        self._last_heartbeat = time.monotonic()
        while True:
            started = time.monotonic()
            await asyncio.sleep(interval)
            try:
                await self._redis.publish(self._health_channel, "ping")
            except Exception:
                pass  # Redis unreachable: the missing heartbeat below says so
            # A saturated event loop delays the heartbeat's hops (reader, fan-out) as
            # much as it delays this task's sleep and publish. Time the loop could not give us
            # is not the upstream's fault: discount it, or an overloaded process would
            # "reconnect" and resync every subscriber at the worst possible moment.
            lag = time.monotonic() - started - interval
            if lag > 0.01:
                self._last_heartbeat += lag
            up = self._upstream
            stale = time.monotonic() - self._last_heartbeat > self._config.heartbeat_timeout
            if stale and up is not None and (
                    time.monotonic() - up.last_read < self._config.heartbeat_timeout):
                stale = False  # messages are still arriving: behind, not disconnected
            failure = up.failure() if up is not None else "no upstream"
            if failure or stale:
                silent = time.monotonic() - self._last_heartbeat
                log.warning("realtime upstream unhealthy (%s): reconnecting",
                            failure or f"no heartbeat for {silent:.1f}s of loop time")
                await self._reconnect()

    async def _reconnect(self) -> None:
        async with self._lock:
            old, self._upstream = self._upstream, None
        if old is not None:
            await old.close()
        delay = 0.1
        while True:
            # built and published under the lock, so a concurrent subscribe() either is part
            # of the build or sees the new upstream; the backoff sleep holds no lock
            async with self._lock:
                try:
                    self._upstream = await self._build_upstream()
                    break
                except Exception as exc:
                    log.warning("realtime reconnect failed (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        self._last_heartbeat = time.monotonic()
        self.stats.reconnects += 1
        # whatever was published while we were away is lost to our subscribers
        for subs in list(self._locals.values()):
            for sub in list(subs):
                sub.request_resync()
        log.info("realtime upstream reconnected; %d subscribers resyncing",
                 self.subscriber_count())
