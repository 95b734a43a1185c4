"""One generation of the hub's connection to Redis pub/sub: redis-py's asyncio `PubSub` on a
client of its own, and one reader task.

Disposable by design: when the connection drops, the reader ends with the error (the client is
built without retries, so redis-py does not silently reconnect and resubscribe behind our back)
and `failure()` says so; the hub then closes this upstream, builds a new one and resyncs its
subscribers. Why not broadcaster any more: see docs/stack.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)

OnMessage = Callable[[str, str], None]


def client_name() -> str:
    """The name of this process's hub connections in `CLIENT LIST`."""
    return f"boxoffice-hub-{os.getpid()}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Upstream:
    """Subscribes channels on one pub/sub connection; its reader hands every message to
    `on_message(channel, raw)`, in the order Redis sent them."""

    def __init__(self, client: Redis, on_message: OnMessage, subscribe_timeout: float) -> None:
        self._client = client
        self._pubsub: PubSub = client.pubsub()
        self._on_message = on_message
        self._timeout = subscribe_timeout
        self._channels: set[str] = set()  # subscribed, confirmed by Redis
        # SUBSCRIBE written but never confirmed (the wait timed out, or its subscriber went
        # away meanwhile): Redis may still run it, so unsubscribe() must undo these too
        self._unconfirmed: set[str] = set()
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._reader: asyncio.Task[None] | None = None
        # anything read from the connection (messages, confirmations): proof it delivers, so
        # a busy process whose heartbeat is merely queued behind other messages is not "dead"
        self.last_read = time.monotonic()

    @property
    def channels(self) -> set[str]:
        return set(self._channels)

    async def connect(self) -> None:
        await self._pubsub.connect()

    def failure(self) -> str | None:
        """Why this upstream can no longer deliver, or None while it can."""
        reader = self._reader
        if reader is None or not reader.done():
            return None
        if reader.cancelled():
            return "reader cancelled"
        exc = reader.exception()
        return f"reader ended: {exc!r}" if exc is not None else "reader returned"

    async def subscribe(self, channel: str) -> None:
        """Subscribe `channel`; returns once Redis has confirmed the SUBSCRIBE (so a message
        published after this returns is delivered)."""
        if channel in self._channels:
            return
        if (reason := self.failure()) is not None:
            # redis-py would reconnect on the next command; a dead upstream stays dead
            raise ConnectionError(f"subscribe {channel}: {reason}")
        confirmed = asyncio.get_running_loop().create_future()
        self._confirmations[channel] = confirmed
        self._unconfirmed.add(channel)
        try:
            await asyncio.wait_for(self._pubsub.subscribe(channel), self._timeout)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(), name="hub-upstream-reader")
            # the reader resolves it, or fails it when the connection drops
            await asyncio.wait_for(asyncio.shield(confirmed), self._timeout)
        except TimeoutError:
            raise ConnectionError(f"subscribe {channel} timed out") from None
        finally:
            self._confirmations.pop(channel, None)
        self._unconfirmed.discard(channel)
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        if channel not in self._channels and channel not in self._unconfirmed:
            return
        self._channels.discard(channel)
        self._unconfirmed.discard(channel)
        with contextlib.suppress(Exception):  # a dead connection: nothing left to leave
            await asyncio.wait_for(self._pubsub.unsubscribe(channel), self._timeout)

    async def _read(self) -> None:
        try:
            while True:
                message = await self._pubsub.get_message(timeout=None)
                self.last_read = time.monotonic()
                if message is None:
                    continue
                kind = _text(message["type"])
                channel = _text(message["channel"])
                if kind == "message":
                    try:
                        self._on_message(channel, _text(message["data"]))
                    except Exception:
                        log.exception("fan-out of a %s message failed", channel)
                elif kind == "subscribe":
                    waiter = self._confirmations.get(channel)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
        except BaseException as exc:
            for waiter in self._confirmations.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError(f"pub/sub reader ended: {exc!r}"))
            raise

    async def close(self) -> None:
        """Tear everything down; never raises (the connection may already be dead)."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(reader, 1.0)
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(self._pubsub.aclose(), 2.0)
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(self._client.aclose(), 2.0)
        self._channels.clear()
        self._unconfirmed.clear()
