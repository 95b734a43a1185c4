"""Outbox delivery jobs: the poll that fans out, and one delivery attempt per job.

`deliver_notifications` (cron every 2 s, and nudged by the services after a commit) enqueues
`deliver_notification(id)` under job id `notify:{id}` for every PENDING row; arq drops the
enqueue while that job is queued, running or waiting out a retry's backoff, so the id is the
row's lease. A failed attempt raises arq's Retry with the backoff; after
`notify_max_attempts` the row is FAILED (boxoffice.notify.delivery).
"""

from __future__ import annotations

import asyncio
from typing import Any

from arq import Retry

from boxoffice.notify.delivery import deliver_notification as deliver_once
from boxoffice.notify.delivery import pending_notification_ids
from workers.context import deps_of

_ENQUEUE_CHUNK = 50


def notification_job_id(notification_id: int) -> str:
    return f"notify:{notification_id}"


async def deliver_notifications(ctx: dict[str, Any]) -> int:
    """Enqueue a delivery job per PENDING row; returns how many were new."""
    arq = ctx["redis"]
    ids = await pending_notification_ids()
    enqueued = 0
    for start in range(0, len(ids), _ENQUEUE_CHUNK):
        jobs = await asyncio.gather(*(
            arq.enqueue_job("deliver_notification", nid, _job_id=notification_job_id(nid))
            for nid in ids[start:start + _ENQUEUE_CHUNK]
        ))
        enqueued += sum(job is not None for job in jobs)
    return enqueued


async def deliver_notification(ctx: dict[str, Any], notification_id: int) -> str:
    """One attempt; on a transient failure, the same job again after the backoff."""
    attempt = await deliver_once(ctx["channels"], deps_of(ctx).settings, notification_id)
    if attempt.retry_in is not None:
        raise Retry(defer=attempt.retry_in)
    return attempt.status
