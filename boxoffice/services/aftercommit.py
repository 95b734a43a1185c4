"""After-commit effects of one booking change, batched: one Redis round trip (a pipeline, not a
transaction: each effect is independent) alongside the FREE-counter update in Postgres.

The same effects one call at a time cost a round trip each, and arq's `enqueue_job` three
(WATCH, EXISTS, MULTI/EXEC). Batched, the hot path pays one, and the Python client's per-call
overhead once. Every effect stays best effort, as before: a failure is logged and repaired by
the read side (seat-map reconciliation, client resync, the expiry sweeper, the outbox poll).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from arq.constants import default_queue_name, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from redis.asyncio import Redis

from boxoffice import db
from boxoffice.events import reservation_channel, seats_channel
from boxoffice.services.jobs import drop_job_args, expiry_job_id
from boxoffice.services.outcomes import ReservationView
from boxoffice.services.seatcache import STATUS_CODE, bitmap_key, index_key, version_key
from boxoffice.services.seatevents import (
    _PUBLISH,
    ADJUST_FREE,
    _changes_json,
    publish_seat_changes,
)

log = logging.getLogger(__name__)

# arq's enqueue_job in one call: skip when the job (or its kept result) exists, as arq does.
# KEYS: job key, result key, queue. ARGV: job id, score ms, expiry ms, serialized job.
_ENQUEUE = """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('PSETEX', KEYS[1], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1
"""
_EXPIRES_EXTRA_MS = 86_400_000  # arq's default: a job may start up to a day after its time


def reservation_message(view: ReservationView) -> str:
    return json.dumps({"id": view.id, "showId": view.show_id, "userId": view.user_id,
                       "status": view.status, "seats": list(view.seats),
                       "expiresAt": view.expires_at.isoformat(), "amount": view.amount,
                       "currency": view.currency, "isOffer": view.is_offer})


class AfterCommit:
    """Collect effects, then `await run()` once."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._pipe: Any = redis.pipeline(transaction=False)
        self._labels: list[str] = []
        # (index in the pipeline, show id, changes) of seat events, for the cold-counter retry
        self._seat_events: list[tuple[int, int, Sequence[tuple[str, str]]]] = []
        self._free: tuple[int, int] | None = None

    def _add(self, label: str) -> int:
        self._labels.append(label)
        return len(self._labels) - 1

    def seat_changes(self, show_id: int, changes: Sequence[tuple[str, str]],
                     free_delta: int) -> AfterCommit:
        """A versioned seat event (seatevents._PUBLISH) and the show's FREE counter."""
        if free_delta:
            self._free = (show_id, free_delta)
        if changes:
            pairs = [x for lbl, st in changes for x in (lbl, STATUS_CODE.get(st, 0))]
            self._pipe.eval(_PUBLISH, 4, version_key(show_id), seats_channel(show_id),
                            bitmap_key(show_id), index_key(show_id), show_id,
                            _changes_json(changes), *pairs)
            self._seat_events.append((self._add(f"seat event of show {show_id}"), show_id,
                                      changes))
        return self

    def reservation(self, view: ReservationView) -> AfterCommit:
        self._pipe.publish(reservation_channel(view.show_id, view.id), reservation_message(view))
        self._add(f"reservation event {view.id}")
        return self

    def job(self, function: str, *args: Any, job_id: str | None = None,
            at: datetime | None = None) -> AfterCommit:
        now_ms = int(time.time() * 1000)
        score = int(at.timestamp() * 1000) if at else now_ms
        job_id = job_id or uuid.uuid4().hex
        data = serialize_job(function, args, {}, None, now_ms)
        self._pipe.eval(_ENQUEUE, 3, job_key_prefix + job_id, result_key_prefix + job_id,
                        default_queue_name, job_id, score, score - now_ms + _EXPIRES_EXTRA_MS,
                        data)
        self._add(f"job {job_id}")
        return self

    def expiry(self, reservation_id: int, expires_at: datetime) -> AfterCommit:
        return self.job("expire_hold", reservation_id, job_id=expiry_job_id(reservation_id),
                        at=expires_at)

    def drop_expiry(self, reservation_id: int) -> AfterCommit:
        self._pipe.eval(*drop_job_args(expiry_job_id(reservation_id)))
        self._add(f"drop of expiry job {reservation_id}")
        return self

    def nudge_notifications(self) -> AfterCommit:
        return self.job("deliver_notifications")

    async def run(self) -> None:
        if self._free is None:
            await self._execute()
        else:  # Postgres and Redis side by side
            await asyncio.gather(_adjust_free(*self._free), self._execute())

    async def _execute(self) -> None:
        if not self._labels:
            return
        try:
            results = await self._pipe.execute(raise_on_error=False)
        except Exception:
            log.exception("after-commit effects failed: %s", ", ".join(self._labels))
            return
        for label, result in zip(self._labels, results, strict=True):
            if isinstance(result, Exception):
                log.error("after-commit %s failed: %s", label, result)
        for index, show_id, changes in self._seat_events:
            if results[index] == -1:  # the show's version counter is cold: the slow path
                await publish_seat_changes(self._redis, show_id, changes, 0)


async def _adjust_free(show_id: int, delta: int) -> None:
    try:
        # autocommit READ COMMITTED write: never part of a booking transaction's conflicts
        await db.pool().execute(ADJUST_FREE, show_id, delta)
    except Exception:
        log.exception("free-seat counter of show %s not adjusted (the worker repairs it)",
                      show_id)
