"""Delivering outbox rows: one attempt at a time, with retries, backoff and a final FAILED.

Each PENDING row is delivered by its own arq job `notify:{id}` (workers/notifications.py). The
job id is the lease: arq never runs or enqueues a second job with the same id while one is
queued, deferred for a retry, or running, so two workers never send the same row at once and a
retry's backoff is respected. Postgres stays the truth (status, attempts, last_error); when Redis
loses the jobs, the periodic poll re-enqueues every PENDING row and delivery resumes.
Delivery is at least once: a crash between the send and the UPDATE sends again.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from typing import Any

from boxoffice import db
from boxoffice.notify.channels import Channel, PermanentDeliveryError, Recipient
from boxoffice.notify.messages import render
from boxoffice.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    status: str  # SENT, PENDING (retry later), FAILED, or the row's status when not PENDING
    retry_in: float | None = None  # seconds until the next attempt, when status is PENDING
    error: str | None = None


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Exponential from the base, capped, with +-20 % jitter so a burst does not retry as one."""
    raw = settings.notify_backoff_seconds * 2 ** max(0, attempts - 1)
    return min(settings.notify_backoff_max_seconds, raw) * random.uniform(0.8, 1.2)


async def pending_notification_ids(limit: int = 1000) -> list[int]:
    rows = await db.pool().fetch(
        "SELECT id FROM notification WHERE status = 'PENDING' ORDER BY created_at LIMIT $1",
        limit,
    )
    return [r["id"] for r in rows]


def _payload(raw: Any) -> dict[str, Any]:
    value = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return value if isinstance(value, dict) else {}


async def deliver_notification(channels: dict[str, Channel], settings: Settings,
                               notification_id: int) -> Attempt:
    """Make one delivery attempt for a notification and record its outcome."""
    row = await db.pool().fetchrow(
        """SELECT n.id, n."user", n.kind, n.channel, n.payload, n.status, n.attempts,
                  n.created_at, u.email
           FROM notification n JOIN app_user u ON u.id = n."user" WHERE n.id = $1""",
        notification_id,
    )
    if row is None:
        return Attempt("MISSING")
    if row["status"] != "PENDING":
        return Attempt(row["status"])  # sent or given up already: a duplicate job is a no-op
    payload = _payload(row["payload"])
    attempts = row["attempts"] + 1
    try:
        channel = channels.get(row["channel"])
        if channel is None:
            raise PermanentDeliveryError(f"unknown channel {row['channel']!r}")
        message = render(row["kind"], payload, row["created_at"])
        to = Recipient(user_id=row["user"], email=payload.get("email") or row["email"])
        await channel.send(to, message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        final = isinstance(exc, PermanentDeliveryError) or attempts >= settings.notify_max_attempts
        status = "FAILED" if final else "PENDING"
        await db.pool().execute(
            """UPDATE notification SET attempts = $2, last_error = $3, status = $4
               WHERE id = $1 AND status = 'PENDING'""",
            notification_id, attempts, error, status,
        )
        if final:
            log.warning("notification %s failed for good after %s attempt(s): %s",
                        notification_id, attempts, error)
            return Attempt("FAILED", error=error)
        log.info("notification %s attempt %s failed, retrying: %s", notification_id, attempts,
                 error)
        return Attempt("PENDING", backoff_seconds(settings, attempts), error)
    # last_error is kept: it tells that (and why) earlier attempts failed
    await db.pool().execute(
        """UPDATE notification SET attempts = $2, status = 'SENT', sent_at = now()
           WHERE id = $1 AND status = 'PENDING'""",
        notification_id, attempts,
    )
    return Attempt("SENT")
