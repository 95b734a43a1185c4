"""Scheduling async-plane jobs from the services (after commit only)."""

from __future__ import annotations

import logging
from datetime import datetime

from arq.connections import ArqRedis
from arq.jobs import Job

log = logging.getLogger(__name__)


def expiry_job_id(reservation_id: int) -> str:
    return f"expire:{reservation_id}"


async def schedule_expiry(arq: ArqRedis, reservation_id: int, expires_at: datetime) -> None:
    """A deferred job at `expires_at`. Lost jobs are harmless: the sweeper rebuilds from SQL."""
    try:
        await arq.enqueue_job(
            "expire_hold", reservation_id, _job_id=expiry_job_id(reservation_id),
            _defer_until=expires_at,
        )
    except Exception:
        log.exception("could not schedule expiry of reservation %s", reservation_id)


async def cancel_expiry(arq: ArqRedis, reservation_id: int) -> None:
    try:
        await Job(expiry_job_id(reservation_id), arq).abort(timeout=0)
    except Exception:  # abort is best effort: expire_hold is a no-op on non-HELD reservations
        log.debug("abort of expiry job %s: not pending", reservation_id)


async def schedule_notifications(arq: ArqRedis) -> None:
    """Nudge the notification sender; the outbox rows are the source of truth."""
    try:
        await arq.enqueue_job("deliver_notifications")
    except Exception:
        log.exception("could not enqueue notification delivery")
