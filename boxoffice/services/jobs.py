"""Scheduling async-plane jobs from the services (after commit only)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from arq.connections import ArqRedis
from arq.constants import default_queue_name, in_progress_key_prefix, job_key_prefix

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


# Removes a deferred job that has not started, in one round trip. arq's `Job.abort()` is not
# used: it sleeps its poll_delay (0.5 s) even with timeout=0, and the worker counts an aborted
# job as failed. A job already running is left alone: expire_hold re-checks the hold under its
# row lock and no-ops (counted as complete). A worker that has read the job's score but not yet
# claimed it WATCHes the in-progress key: touching that key fails its MULTI, so it never starts
# a job whose data is gone (which arq would count as a failed "expired" job).
# KEYS: queue, job key, in-progress key. ARGV: job id. Returns 1 when a job was removed.
_DROP_JOB = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[3], '0')
redis.call('DEL', KEYS[3])
return removed
"""


def drop_job_args(job_id: str) -> tuple[str, int, str, str, str, str]:
    """EVAL arguments for `_DROP_JOB` (for callers that batch it in a pipeline)."""
    return (_DROP_JOB, 3, default_queue_name, job_key_prefix + job_id,
            in_progress_key_prefix + job_id, job_id)


async def cancel_expiry(arq: ArqRedis, reservation_id: int) -> None:
    """Drop a confirmed or cancelled hold's pending expiry job (best effort, one round trip)."""
    try:
        r: Any = arq  # redis-py's stubs want str arguments for eval
        await r.eval(*drop_job_args(expiry_job_id(reservation_id)))
    except Exception:  # a stale job is harmless: expire_hold no-ops on non-HELD reservations
        log.warning("could not drop expiry job of reservation %s", reservation_id,
                    exc_info=True)


async def schedule_notifications(arq: ArqRedis) -> None:
    """Nudge the notification sender; the outbox rows are the source of truth."""
    try:
        await arq.enqueue_job("deliver_notifications")
    except Exception:
        log.exception("could not enqueue notification delivery")
