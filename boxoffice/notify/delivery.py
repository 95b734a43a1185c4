"""Delivering outbox rows: batches of first attempts, then retries with backoff, then FAILED.

A delivery claims its rows with `FOR UPDATE SKIP LOCKED` (Piccolo's `lock_rows`) in a short
READ COMMITTED transaction (`db.read_committed`) and keeps the lock while it sends, so two
workers never send the same row at once; a crash rolls the claim back and the rows are sent
by the next poll (at least once, never lost). Sends run side by side on the network, each in
a task detached from the claim (a channel's own queries take a pool connection: the
transaction's runs one statement at a time).

- `deliver_pending` takes first attempts (attempts = 0), oldest first, in batches;
- a failed attempt is recorded (attempts, last_error) and the caller schedules a retry of that
  row after `backoff_seconds` (an arq job `notify:{id}`, workers/notifications.py);
- `deliver_ids` is that retry: the same claim, for given rows;
- after `notify_max_attempts`, or at once for a `PermanentDeliveryError`, the row is FAILED.
Postgres is the truth; `retry_ids` finds retries whose job Redis lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import Combinable
from piccolo.query.methods.select import Select

from boxoffice import db
from boxoffice.notify.channels import Channel, PermanentDeliveryError, Recipient
from boxoffice.notify.messages import render
from boxoffice.settings import Settings
from models.booking import Notification, NotificationStatus

log = logging.getLogger(__name__)

SEND_CONCURRENCY = 10


@dataclass(frozen=True)
class Attempt:
    notification_id: int
    status: str  # SENT, PENDING (retry later) or FAILED
    attempts: int
    retry_in: float | None = None  # seconds until the next attempt, when PENDING
    error: str | None = None


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Exponential from the base, capped, with +-20 % jitter so a burst does not retry as one."""
    raw = settings.notify_backoff_seconds * 2 ** max(0, attempts - 1)
    return min(settings.notify_backoff_max_seconds, raw) * random.uniform(0.8, 1.2)


def _claim(where: Combinable, limit: int) -> Select:
    """PENDING rows, oldest first, locked for this delivery; rows another delivery holds are
    skipped (not waited for), so workers share the outbox without sending a row twice."""
    n = Notification
    return (n.select(n.id, n.user, n.kind, n.channel, n.payload, n.attempts, n.created_at,
                     n.user.email.as_alias("email"))
            .where((n.status == NotificationStatus.PENDING) & where)
            .order_by(n.created_at).limit(limit)
            .lock_rows("UPDATE", skip_locked=True, of=(n,)))


_RECORD = f"""UPDATE notification
             SET attempts = $2, status = $3::varchar, last_error = coalesce($4, last_error),
                 sent_at = CASE WHEN $3::varchar = '{NotificationStatus.SENT}' THEN now() END
             WHERE id = $1"""


def _payload(raw: Any) -> dict[str, Any]:
    value = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return value if isinstance(value, dict) else {}


async def _attempt(channels: dict[str, Channel], settings: Settings,
                   row: dict[str, Any]) -> Attempt:
    """Send one claimed row; never raises."""
    attempts = row["attempts"] + 1
    payload = _payload(row["payload"])
    try:
        channel = channels.get(row["channel"])
        if channel is None:
            raise PermanentDeliveryError(f"unknown channel {row['channel']!r}")
        message = render(row["kind"], payload, row["created_at"])
        to = Recipient(user_id=row["user"], email=payload.get("email") or row["email"])
        await channel.send(to, message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if isinstance(exc, PermanentDeliveryError) or attempts >= settings.notify_max_attempts:
            log.warning("notification %s failed for good after %s attempt(s): %s", row["id"],
                        attempts, error)
            return Attempt(row["id"], NotificationStatus.FAILED, attempts, error=error)
        log.info("notification %s attempt %s failed, will retry: %s", row["id"], attempts, error)
        return Attempt(row["id"], NotificationStatus.PENDING, attempts,
                       backoff_seconds(settings, attempts), error)
    return Attempt(row["id"], NotificationStatus.SENT, attempts)


async def _deliver(channels: dict[str, Channel], settings: Settings,
                   claim: Select) -> list[Attempt]:
    async with db.read_committed() as conn:
        rows = await claim  # runs on this transaction's connection
        if not rows:
            return []
        sem = asyncio.Semaphore(SEND_CONCURRENCY)

        async def bounded(row: dict[str, Any]) -> Attempt:
            # a task of its own (gather), spawned inside the claim: a send is not part of it
            db.detach_from_transaction()
            async with sem:
                return await _attempt(channels, settings, row)

        # only the sends run side by side; the connection is used again after all of them
        done = await asyncio.gather(*(bounded(r) for r in rows))
        # last_error is kept on success: it tells that (and why) earlier attempts failed
        await conn.executemany(
            _RECORD, [(a.notification_id, a.attempts, a.status, a.error) for a in done]
        )
    return list(done)


async def deliver_pending(channels: dict[str, Channel], settings: Settings,
                          limit: int = 100) -> list[Attempt]:
    """First attempts for up to `limit` PENDING rows, oldest first."""
    return await _deliver(channels, settings, _claim(Notification.attempts == 0, limit))


async def deliver_ids(channels: dict[str, Channel], settings: Settings,
                      ids: Sequence[int]) -> list[Attempt]:
    """One more attempt for these rows (those still PENDING and not being sent right now)."""
    if not ids:
        return []
    return await _deliver(channels, settings, _claim(Notification.id.is_in(list(ids)), len(ids)))


async def retry_ids(limit: int = 1000) -> list[int]:
    """PENDING rows that have failed before: each should have a retry job scheduled."""
    n = Notification
    rows = await (n.select(n.id)
                  .where((n.status == NotificationStatus.PENDING) & (n.attempts > 0))
                  .order_by(n.created_at).limit(limit))
    return [r["id"] for r in rows]
