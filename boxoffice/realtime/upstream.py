"""One generation of the hub's connection to Redis pub/sub, through broadcaster.

broadcaster 0.3.1 (pinned, see docs/stack.md) never reconnects: after a Redis disconnect its
listener task dies and subscribers wait forever (encode/broadcaster#144). So an Upstream is
disposable: the hub health-checks it and, when it is dead, closes it and builds a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from broadcaster import Broadcast

from boxoffice.redisconn import pubsub_backend

log = logging.getLogger(__name__)

OnMessage = Callable[[str, str], None]


def named_url(redis_url: str, name: str) -> str:
    """The URL with `client_name`, so operators (and tests) can find the hub's connections
    in `CLIENT LIST`."""
    parts = urlsplit(redis_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "client_name"]
    query.append(("client_name", name))
    return urlunsplit(parts._replace(query=urlencode(query)))


def client_name() -> str:
    return f"boxoffice-hub-{os.getpid()}"


def _outcome(task: asyncio.Task[None]) -> str:
    if task.cancelled():
        return "cancelled"
    exc = task.exception()
    return repr(exc) if exc is not None else "returned"


class Upstream:
    """Subscribes channels on one broadcaster connection; each channel has one pump task that
    hands every message to `on_message(channel, raw)`."""

    def __init__(self, redis_url: str, on_message: OnMessage, subscribe_timeout: float) -> None:
        self._timeout = subscribe_timeout
        self._broadcast = Broadcast(backend=pubsub_backend(named_url(redis_url, client_name())))
        self._on_message = on_message
        self._pumps: dict[str, asyncio.Task[None]] = {}
        self._connected = False

    @property
    def channels(self) -> set[str]:
        return set(self._pumps)

    async def connect(self) -> None:
        await self._broadcast.connect()
        self._connected = True

    def failure(self) -> str | None:
        """Why this upstream can no longer deliver, or None while it can."""
        # private attribute of the pinned broadcaster version; absent -> rely on heartbeats
        backend = getattr(self._broadcast, "_backend", None)
        reader: asyncio.Task[None] | None = getattr(backend, "_listener", None)
        if reader is not None and reader.done():
            return f"broadcaster reader ended: {_outcome(reader)}"
        for channel, pump in self._pumps.items():
            if pump.done():
                return f"pump for {channel} ended: {_outcome(pump)}"
        return None

    def backlog(self) -> int:
        """Messages read from Redis but not yet handed to us: proof the connection delivers
        (an overloaded process is slow, not disconnected)."""
        backend = getattr(self._broadcast, "_backend", None)
        queue = getattr(backend, "_queue", None)
        pending = queue.qsize() if isinstance(queue, asyncio.Queue) else 0
        subscribers = getattr(self._broadcast, "_subscribers", {})
        return pending + sum(q.qsize() for qs in subscribers.values() for q in qs)

    async def subscribe(self, channel: str) -> None:
        """Subscribe `channel`; returns once SUBSCRIBE has been sent to Redis."""
        if channel in self._pumps:
            return
        ready = asyncio.Event()
        task = asyncio.create_task(self._pump(channel, ready), name=f"hub-pump:{channel}")
        self._pumps[channel] = task
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=self._timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if not ready.is_set():
            task.cancel()
            self._pumps.pop(channel, None)
            if task in done and not task.cancelled() and task.exception() is not None:
                raise ConnectionError(f"subscribe {channel} failed") from task.exception()
            raise ConnectionError(f"subscribe {channel} timed out")

    async def unsubscribe(self, channel: str) -> None:
        task = self._pumps.pop(channel, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 2.0)

    async def _pump(self, channel: str, ready: asyncio.Event) -> None:
        async with self._broadcast.subscribe(channel) as subscriber:
            ready.set()
            async for event in subscriber:  # type: ignore[union-attr]
                if event is None:
                    return
                try:
                    self._on_message(channel, event.message)
                except Exception:
                    log.exception("fan-out of a %s message failed", channel)

    async def close(self) -> None:
        """Tear everything down; never raises (the connection may already be dead)."""
        for channel in list(self._pumps):
            task = self._pumps.pop(channel)
            task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 1.0)
        backend = getattr(self._broadcast, "_backend", None)
        reader: asyncio.Task[None] | None = getattr(backend, "_listener", None)
        with contextlib.suppress(BaseException):
            if self._connected:
                await asyncio.wait_for(self._broadcast.disconnect(), 2.0)
            elif backend is not None:
                await asyncio.wait_for(backend.disconnect(), 2.0)
        if reader is not None:
            reader.cancel()
            # a reader that died of a ConnectionError: collect it, or asyncio logs it at exit
            if reader.done() and not reader.cancelled():
                reader.exception()
        self._connected = False
