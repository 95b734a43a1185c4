"""Outbox delivery jobs (the rules are in boxoffice.notify.delivery).

- `deliver_notifications`: cron every 2 s, and nudged by the services after a commit. Sends the
  PENDING rows' first attempts in batches and schedules a retry for each failure;
- `deliver_notification(id)`: a retry, deferred by the backoff, under job id `notify:{id}`; a
  failed retry raises arq's Retry (same id, next backoff). arq drops an enqueue while that job
  is queued or running, so a row has one retry in flight;
- `recover_notification_retries`: cron every 30 s, re-enqueues retries whose job Redis lost
  (a flushed or restarted Redis); the job id makes that a no-op for retries still scheduled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arq import Retry
from arq.connections import ArqRedis

from boxoffice.notify.delivery import Attempt, deliver_ids, deliver_pending, retry_ids
from workers.context import Ctx, deps_of

BATCH = 100


def notification_job_id(notification_id: int) -> str:
    return f"notify:{notification_id}"


async def _schedule_retries(arq: ArqRedis, attempts: Sequence[Attempt]) -> None:
    for a in attempts:
        if a.retry_in is not None:
            await arq.enqueue_job("deliver_notification", a.notification_id,
                                  _job_id=notification_job_id(a.notification_id),
                                  _defer_by=a.retry_in)


async def deliver_notifications(ctx: Ctx) -> int:
    """First attempts for every PENDING row; returns how many were attempted."""
    settings = deps_of(ctx).settings
    total = 0
    while True:
        attempts = await deliver_pending(ctx["channels"], settings, BATCH)
        await _schedule_retries(ctx["redis"], attempts)
        total += len(attempts)
        if len(attempts) < BATCH:
            return total


async def deliver_notification(ctx: Ctx, notification_id: int) -> str:
    """A retry of one row; if it fails again, the same job runs again after the backoff."""
    attempts = await deliver_ids(ctx["channels"], deps_of(ctx).settings, [notification_id])
    if attempts and attempts[0].retry_in is not None:
        # arq's Retry keeps the job id: enqueueing `notify:{id}` from inside the running job
        # would be dropped as a duplicate
        raise Retry(defer=attempts[0].retry_in)
    return attempts[0].status if attempts else "not pending"


async def recover_notification_retries(ctx: Ctx) -> int:
    """Re-enqueue retries lost with Redis; returns how many had to be."""
    arq: Any = ctx["redis"]
    recovered = 0
    for nid in await retry_ids():
        job = await arq.enqueue_job("deliver_notification", nid,
                                    _job_id=notification_job_id(nid))
        recovered += job is not None
    return recovered
