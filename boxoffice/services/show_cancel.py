"""cancel_show: an operator cancels a screening. Every hold released, every booking refunded
exactly once, everyone concerned told, the show closed to reserve, checkIn and subscribers.

1. one SERIALIZABLE transaction (show row and all its seats locked): show -> CANCELLED, every
   HELD reservation (offers included) -> CANCELLED with its seats FREE, a `show_cancellation`
   record (reason and counts) and a SHOW_CANCELLED outbox row per holder and per booker.
   `reserve` and queue offers read the show's status in their own SERIALIZABLE transactions,
   so none can slip in; a payment in flight for a released hold is refunded by confirm itself;
2. after commit, each booking whose payment is still SUCCEEDED is refunded at the gateway under
   the idempotency key `show-cancel:booking:<id>` and marked REFUNDED. The key makes a retry
   (a crash in between, a second cancelShow, two admins at once) return the first refund
   instead of refunding twice;
3. waiters are removed from the queue and notified, seat/reservation/queue events published,
   the seat-map cache dropped and the seat map closed (subscriptions end).

A second cancelShow of a cancelled show answers the same counts (from the record) with no new
side effects, except finishing refunds a failure left undone (the worker's finish_show_refunds
cron does the same every minute).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg
from piccolo.querystring import QueryString

from boxoffice import db
from boxoffice.payments.gateway import PaymentGateway
from boxoffice.services import queue, seatlock
from boxoffice.services.deps import Deps
from boxoffice.services.jobs import schedule_notifications
from boxoffice.services.reservations import to_view
from boxoffice.services.seatcache import bitmap_key
from boxoffice.services.seatevents import (
    bump_version_above,
    current_version,
    publish_queue_changed,
    publish_reservation,
    publish_seat_changes,
)
from boxoffice.services.showclosed import close_seat_map
from models.booking import (
    Booking,
    NotificationStatus,
    Payment,
    PaymentStatus,
    ReservationStatus,
    SeatStatus,
    ShowCancellation,
)
from models.catalog import Show, ShowStatus

log = logging.getLogger(__name__)

MAX_REASON = 500


@dataclass(frozen=True)
class ShowCancelledOutcome:
    show_id: int
    refunded_bookings: int
    released_holds: int
    refunds_pending: int = 0  # refunds the gateway did not confirm: a retry finishes them


class UnknownShow(LookupError):
    pass


class BadReason(ValueError):
    pass


@dataclass(frozen=True)
class _Done:
    already: bool
    released_holds: int
    refunded_bookings: int
    holds: tuple[asyncpg.Record, ...] = ()
    freed: tuple[str, ...] = ()
    notified_users: tuple[int, ...] = ()


_RES_COLUMNS = seatlock.RESERVATION_COLUMNS

# the admin's cancelShow transaction: raw where a statement returns rows the events reuse
_LOCK_SHOW = """SELECT s.status, s.starts_at, m.title FROM show s JOIN movie m ON m.id = s.movie
WHERE s.id = $1 FOR UPDATE OF s"""
_CANCEL_HOLDS = f"""UPDATE reservation SET status = '{ReservationStatus.CANCELLED}',
    updated_at = now()
WHERE show = $1 AND status = '{ReservationStatus.HELD}' RETURNING {_RES_COLUMNS}"""
_FREE_HELD_SEATS = f"""UPDATE show_seat SET status = '{SeatStatus.FREE}', reservation = NULL,
    expires_at = NULL
WHERE show = $1 AND status = '{SeatStatus.HELD}' RETURNING label"""

_NOTIFY_HOLDERS = f"""
INSERT INTO notification ("user", show, kind, channel, payload, status, attempts, created_at)
SELECT r."user", r.show, 'SHOW_CANCELLED', $3, jsonb_build_object(
           'showId', r.show, 'reason', $2::text, 'title', $4::text, 'startsAt', $5::text,
           'reservationId', r.id, 'seats', to_jsonb(r.seat_labels), 'email', u.email),
       '{NotificationStatus.PENDING}', 0, now()
FROM reservation r JOIN app_user u ON u.id = r."user"
WHERE r.id = ANY($1::int[])
"""

_NOTIFY_BOOKERS = f"""
INSERT INTO notification ("user", show, kind, channel, payload, status, attempts, created_at)
SELECT b."user", b.show, 'SHOW_CANCELLED', $3, jsonb_build_object(
           'showId', b.show, 'reason', $2::text, 'title', $4::text, 'startsAt', $5::text,
           'bookingId', b.id, 'seats', to_jsonb(r.seat_labels), 'amount', b.amount,
           'currency', b.currency, 'refund', true, 'email', u.email),
       '{NotificationStatus.PENDING}', 0, now()
FROM booking b JOIN app_user u ON u.id = b."user" JOIN reservation r ON r.id = b.reservation
WHERE b.show = $1
RETURNING "user"
"""

_NOTIFY_WAITERS = f"""
INSERT INTO notification ("user", show, kind, channel, payload, status, attempts, created_at)
SELECT u.id, $1, 'SHOW_CANCELLED', $2, jsonb_build_object(
           'showId', $1::int, 'reason', s.reason, 'title', s.title, 'startsAt', s.starts_at,
           'queued', true, 'email', u.email),
       '{NotificationStatus.PENDING}', 0, now()
FROM app_user u, (SELECT c.reason, m.title, sh.starts_at
                  FROM show sh JOIN movie m ON m.id = sh.movie
                  JOIN show_cancellation c ON c.show = sh.id WHERE sh.id = $1) s
WHERE u.id = ANY($3::int[])
"""


async def _cancel(conn: asyncpg.Connection, show_id: int, reason: str, channel: str) -> _Done:
    show = await conn.fetchrow(_LOCK_SHOW, show_id)
    if show is None:
        raise UnknownShow(show_id)
    if show["status"] == ShowStatus.CANCELLED:
        c = ShowCancellation
        record = await (c.select(c.released_holds, c.refunded_bookings)
                        .where(c.show == show_id).first())
        return _Done(True, record["released_holds"] if record else 0,
                     record["refunded_bookings"] if record else 0)
    # every seat, in the label order reserve and release use: no hold can be half-made meanwhile
    await conn.execute(seatlock.LOCK_SHOW_SEATS, show_id)
    holds = await conn.fetch(_CANCEL_HOLDS, show_id)
    freed = await conn.fetch(_FREE_HELD_SEATS, show_id)
    await Show.update({Show.status: ShowStatus.CANCELLED}).where(Show.id == show_id)
    starts_at = show["starts_at"].isoformat()
    await conn.execute(_NOTIFY_HOLDERS, [h["id"] for h in holds], reason, channel,
                       show["title"], starts_at)
    bookers = await conn.fetch(_NOTIFY_BOOKERS, show_id, reason, channel, show["title"],
                               starts_at)
    await ShowCancellation.insert(ShowCancellation(
        show=show_id, reason=reason, released_holds=len(holds), refunded_bookings=len(bookers)))
    notified = {h["user"] for h in holds} | {b["user"] for b in bookers}
    return _Done(False, len(holds), len(bookers), tuple(holds),
                 tuple(sorted(r["label"] for r in freed)), tuple(sorted(notified)))


async def _refund_one(gateway: PaymentGateway, row: dict[str, Any]) -> bool:
    try:
        result = await gateway.refund(charge_id=row["gateway_charge_id"],
                                      idempotency_key=f"show-cancel:booking:{row['booking']}")
    except Exception:
        log.exception("refund of booking %s failed", row["booking"])
        return False
    if not result.ok:
        return False
    p = Payment
    await p.update({p.status: PaymentStatus.REFUNDED, p.message: "Show cancelled: refunded",
                    p.updated_at: QueryString("now()")}).where(
        (p.id == row["payment"]) & (p.status == PaymentStatus.SUCCEEDED))
    return True


async def refund_bookings(gateway: PaymentGateway, show_id: int) -> int:
    """Refund every still-paid booking of a (cancelled) show; returns how many remain unpaid
    back. Safe to run any number of times, also concurrently: the gateway key is per booking."""
    b = Booking
    rows = await (b.select(b.id.as_alias("booking"), b.payment.as_alias("payment"),
                           b.payment.gateway_charge_id.as_alias("gateway_charge_id"))
                  .where((b.show == show_id) & (b.payment.status == PaymentStatus.SUCCEEDED))
                  .order_by(b.id))
    pending = 0
    for i in range(0, len(rows), 20):  # a few at a time: the gateway has its own rate limits
        done = await asyncio.gather(*(_refund_one(gateway, r) for r in rows[i:i + 20]))
        pending += sum(1 for ok in done if not ok)
    return pending


async def _close(deps: Deps, show_id: int, done: _Done) -> None:
    """After commit: queue, events, cache and the closed seat map. Each step logs its failure."""
    redis = deps.redis
    try:
        waiting = await queue.clear(redis, show_id)
    except Exception:
        log.exception("could not clear the queue of cancelled show %s", show_id)
        waiting = []
    waiters = [u for u in waiting if u not in done.notified_users]
    if waiters:
        await db.pool().execute(_NOTIFY_WAITERS, show_id, deps.settings.notification_channel,
                                waiters)
    if not done.already:
        if done.freed:
            await publish_seat_changes(redis, show_id,
                                       [(lbl, SeatStatus.FREE) for lbl in done.freed],
                                       len(done.freed))
        else:  # no seat changed, but the show did: move the version on for version-keyed caches
            try:
                await bump_version_above(redis, show_id, await current_version(redis, show_id))
            except Exception:
                log.exception("could not bump the seat-map version of show %s", show_id)
        await asyncio.gather(*(publish_reservation(redis, to_view(h)) for h in done.holds))
    await publish_queue_changed(redis, show_id)  # queue subscriptions re-read and end
    try:
        await redis.delete(bitmap_key(show_id))  # the next read rebuilds from Postgres
    except Exception:
        log.exception("could not drop the seat-map cache of show %s", show_id)
    await close_seat_map(redis, show_id)
    await schedule_notifications(deps.arq)


async def cancel_show(deps: Deps, gateway: PaymentGateway, show_id: int,
                      reason: str) -> ShowCancelledOutcome:
    """Raises UnknownShow or BadReason for bad input (the resolver codes them)."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON or not reason.isprintable():
        raise BadReason(f"reason must be 1-{MAX_REASON} printable characters")
    done = await db.serializable(
        lambda conn: _cancel(conn, show_id, reason, deps.settings.notification_channel)
    )
    pending = await refund_bookings(gateway, show_id)
    await _close(deps, show_id, done)
    return ShowCancelledOutcome(show_id, done.refunded_bookings, done.released_holds, pending)
