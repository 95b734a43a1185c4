"""A local subscriber: a bounded queue the hub fills, and a resync flag that supersedes it."""

from __future__ import annotations

import asyncio
from typing import Any, Final


class _Resync:
    def __repr__(self) -> str:
        return "RESYNC"


RESYNC: Final = _Resync()
"""Returned by `LocalSubscriber.get()` when events may have been lost: re-read the state."""

Message = dict[str, Any]


class LocalSubscriber:
    """One GraphQL subscription's inbox. Never blocks the hub, never grows past `maxsize`.

    When the inbox is full, or the upstream was lost, its contents are dropped and the next
    `get()` answers RESYNC: the consumer re-reads the state (a snapshot), which includes every
    dropped event because events are published only after the state they announce is stored.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._queue: asyncio.Queue[Message | _Resync] = asyncio.Queue()
        self._resync = False
        self.dropped = 0
        self.resyncs = 0

    def offer(self, message: Message) -> None:
        if self._resync:
            return  # superseded by the snapshot the consumer is about to read
        if self._queue.qsize() >= self._maxsize:
            self.dropped += 1
            self.request_resync()
            return
        self._queue.put_nowait(message)

    def request_resync(self) -> None:
        if self._resync:
            return
        self._resync = True
        self.resyncs += 1
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(RESYNC)

    async def get(self) -> Message | _Resync:
        item = await self._queue.get()
        if item is RESYNC:
            self._resync = False
        return item

    def empty(self) -> bool:
        return self._queue.empty()

    def drain(self) -> bool:
        """Discard what is queued (callers that only need "something changed"); True when a
        resync was among it."""
        saw_resync = False
        while not self._queue.empty():
            if self._queue.get_nowait() is RESYNC:
                self._resync = False
                saw_resync = True
        return saw_resync
