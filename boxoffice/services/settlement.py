"""Settling a claimed payment once the gateway's answer is known — by confirm, by a retry with
the same idempotency key, or by the reconciler (boxoffice.services.reconcile).

Several of them may settle the same payment (a retry taking over, the reconciler): every
settlement locks the payment row and acts only while it is still PENDING, so exactly one wins
and the others return the stored result. The gateway is idempotent per key, so asking it again
never charges twice; refunds are idempotent per key too.

An unknown outcome (timeout, 5xx, lost answer) is resolved by looking the charge up under its
idempotency key: found, it is settled like any answer; not found, nothing was charged, and the
claim is abandoned (the payment row goes, the hold's in-flight mark is cleared) so the client
may simply retry.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

import asyncpg
from piccolo.querystring import QueryString

from boxoffice import db
from boxoffice.auth import User
from boxoffice.payments.gateway import ChargeResult, PaymentGateway
from boxoffice.services import seatlock
from boxoffice.services.aftercommit import AfterCommit
from boxoffice.services.bookings import get_booking
from boxoffice.services.deps import Deps
from boxoffice.services.outbox import add_notification
from boxoffice.services.outcomes import (
    BookingView,
    ConfirmOutcome,
    PaymentDeclinedOutcome,
    ReservationExpiredOutcome,
)
from boxoffice.services.reservations import get_reservation, lock_reservation
from boxoffice.services.tickets import sign_ticket
from boxoffice.settings import Settings
from models.booking import Payment, PaymentStatus, Reservation, ReservationStatus, SeatStatus

log = logging.getLogger(__name__)

EXPIRED_MESSAGE = "This reservation is no longer held; any charge has been refunded"


def gateway_key(user_id: int, idempotency_key: str) -> str:
    """The key the gateway sees: clients' idempotency keys are scoped per user (as Stripe scopes
    them per account), so two users' "k1" must be two charges at the gateway too."""
    return f"u{user_id}:{idempotency_key}"


def takeover_after_seconds(settings: Settings) -> float:
    """How long a PENDING payment may still be someone's attempt in flight: its charge and its
    lookup are each bounded by the gateway timeout. Older, a retry or the reconciler takes it
    over (a failed attempt hands it over at once: release_for_takeover)."""
    return 2 * settings.payment_gateway_timeout_seconds + 1


class PaymentInterrupted(db.Busy):
    """The payment's outcome could not be settled now; nothing is lost: retry (TRY_AGAIN)."""


class NotCharged(PaymentInterrupted):
    """The gateway has no charge under this key: the claim was abandoned, the key is free."""


@dataclass(frozen=True)
class Claim:
    payment_id: int
    reservation_id: int
    amount: int
    currency: str
    key: str  # the gateway idempotency key


class _Settled:
    """Someone else settled (or abandoned) this payment first."""


SETTLED = _Settled()


_NOW = QueryString("now()")  # the database's clock, as every other write of updated_at

# confirm's hot path (inside its SERIALIZABLE transaction) stays raw asyncpg: see docs/stack.md
_LOCK_PAYMENT = "SELECT status FROM payment WHERE id = $1 FOR UPDATE"
_CONFIRM_RESERVATION = f"""UPDATE reservation SET status = '{ReservationStatus.CONFIRMED}',
    payment_pending_until = NULL, updated_at = now() WHERE id = $1"""
_PAYMENT_SUCCEEDED = f"""UPDATE payment SET status = '{PaymentStatus.SUCCEEDED}',
    gateway_charge_id = $2, outcome = 'Booking', updated_at = now() WHERE id = $1"""
_INSERT_BOOKING = """INSERT INTO booking (show, reservation, "user", payment, amount, currency,
    created_at) VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING id"""
_INSERT_TICKET = """INSERT INTO ticket (show, booking, show_seat, seat_label, nonce, qr_payload)
    VALUES ($1, $2, $3, $4, $5, $6)"""


async def _lock_pending(conn: asyncpg.Connection, payment_id: int) -> bool:
    status = await conn.fetchval(_LOCK_PAYMENT, payment_id)
    return bool(status == PaymentStatus.PENDING)


async def _book(conn: asyncpg.Connection, deps: Deps, claim: Claim, user: User,
                charge: ChargeResult) -> BookingView | _Settled | None:
    """HELD -> BOOKED with booking, payment and tickets; None when the hold is gone."""
    rid = claim.reservation_id
    res = await lock_reservation(conn, rid)  # reservation first, then payment: one lock order
    assert res is not None
    if not await _lock_pending(conn, claim.payment_id):
        return SETTLED
    if res["status"] != ReservationStatus.HELD:
        return None
    labels = list(res["seat_labels"])
    seats = await seatlock.lock_seats(conn, res["show"], labels)
    if len(seats) != len(labels) or any(
        s["status"] != SeatStatus.HELD or s["reservation"] != rid for s in seats
    ):
        return None
    updated = await conn.execute(seatlock.BOOK_SEATS, [s["id"] for s in seats], rid)
    if updated != f"UPDATE {len(seats)}":
        return None
    await conn.execute(_CONFIRM_RESERVATION, rid)
    await conn.execute(_PAYMENT_SUCCEEDED, claim.payment_id, charge.charge_id)
    booking_id = await conn.fetchval(
        _INSERT_BOOKING, res["show"], rid, user.id, claim.payment_id, claim.amount, claim.currency,
    )
    tickets = []
    for s in seats:
        nonce = uuid.uuid4()
        tickets.append((res["show"], booking_id, s["id"], s["label"], nonce,
                        sign_ticket(booking_id, res["show"], s["label"], nonce)))
    await conn.executemany(_INSERT_TICKET, tickets)
    await add_notification(
        conn, user_id=user.id, show_id=res["show"], kind="BOOKING_CONFIRMED",
        channel=deps.settings.notification_channel,
        payload={"bookingId": booking_id, "reservationId": rid, "seats": labels,
                 "amount": claim.amount, "currency": claim.currency, "email": user.email,
                 "tickets": [{"seat": t[3], "qrPayload": t[5]} for t in tickets]},
    )
    return await get_booking(booking_id, conn)


async def _decline(conn: asyncpg.Connection, claim: Claim, charge: ChargeResult) -> bool:
    await lock_reservation(conn, claim.reservation_id)
    if not await _lock_pending(conn, claim.payment_id):
        return False
    # cold path: Piccolo's query builder, run on this transaction's connection (Piccolo picks
    # up the transaction db.serializable opened)
    await Payment.update({
        Payment.status: PaymentStatus.DECLINED, Payment.decline_code: charge.decline_code,
        Payment.message: charge.message, Payment.outcome: "PaymentDeclined",
        Payment.updated_at: _NOW,
    }).where(Payment.id == claim.payment_id)
    await _clear_in_flight(claim.reservation_id)
    return True


async def _clear_in_flight(reservation_id: int) -> None:
    await Reservation.update({Reservation.payment_pending_until: None}).where(
        Reservation.id == reservation_id)


async def stored_outcome(payment_id: int) -> ConfirmOutcome:
    """The result a settled payment gave; PaymentInterrupted when there is none (yet)."""
    p = await Payment.select(
        Payment.reservation, Payment.status, Payment.outcome, Payment.decline_code,
        Payment.message,
    ).where(Payment.id == payment_id).first()
    if p is None or p["outcome"] is None:
        raise PaymentInterrupted("This payment did not complete; please retry")
    if p["outcome"] == "Booking":
        booking = await get_booking(p["reservation"], by_reservation=True)
        if booking is None:
            raise PaymentInterrupted("This payment did not complete; please retry")
        return booking
    if p["outcome"] == "PaymentDeclined":
        return PaymentDeclinedOutcome(p["message"] or "Payment declined", p["decline_code"])
    return ReservationExpiredOutcome(p["reservation"], p["message"] or EXPIRED_MESSAGE)


async def _after_booking(deps: Deps, booking: BookingView) -> None:
    """After commit, best effort: a failure here never undoes the booking (caches and
    subscribers resync from Postgres; the sweeper ignores a CONFIRMED reservation)."""
    try:
        # one Redis round trip: seat event, expiry job dropped (a stale one no-ops), the outbox
        # nudge and the reservation event
        effects = (AfterCommit(deps.redis)
                   .seat_changes(booking.show_id,
                                 [(t.seat, SeatStatus.BOOKED) for t in booking.tickets], 0)
                   .drop_expiry(booking.reservation_id)
                   .nudge_notifications())
        confirmed = await get_reservation(booking.reservation_id)
        if confirmed is not None:
            effects.reservation(confirmed)
        await effects.run()
    except Exception:
        log.exception("after-commit effects of booking %s failed", booking.id)


async def apply_charge(deps: Deps, gateway: PaymentGateway, claim: Claim, user: User,
                       charge: ChargeResult) -> ConfirmOutcome:
    """Settle a claim with the gateway's answer: book, decline, or refund a lapsed hold."""
    if not charge.ok:
        if not await db.serializable(lambda conn: _decline(conn, claim, charge)):
            return await stored_outcome(claim.payment_id)
        return PaymentDeclinedOutcome(charge.message or "Payment declined", charge.decline_code)

    booking = await db.serializable(lambda conn: _book(conn, deps, claim, user, charge))
    if isinstance(booking, _Settled):
        if await Payment.exists().where(Payment.id == claim.payment_id):
            return await stored_outcome(claim.payment_id)
        booking = None  # abandoned as "never charged", yet charged: give the money back
    if booking is not None:
        await _after_booking(deps, booking)
        return booking
    # paid for a hold that lapsed and whose seats may be someone else's: give the money back
    assert charge.charge_id is not None
    await gateway.refund(charge_id=charge.charge_id, idempotency_key=f"refund:{claim.key}")
    await Payment.update({
        Payment.status: PaymentStatus.REFUNDED, Payment.gateway_charge_id: charge.charge_id,
        Payment.outcome: "ReservationExpired", Payment.message: EXPIRED_MESSAGE,
        Payment.updated_at: _NOW,
    }).where((Payment.id == claim.payment_id) & (Payment.status == PaymentStatus.PENDING))
    return ReservationExpiredOutcome(claim.reservation_id, EXPIRED_MESSAGE)


async def abandon(claim: Claim) -> bool:
    """Nothing was charged: forget the claim (the key may be used again) and let the hold
    lapse on its own time. False when the payment was settled meanwhile."""
    async def go(conn: asyncpg.Connection) -> bool:
        await lock_reservation(conn, claim.reservation_id)
        if not await _lock_pending(conn, claim.payment_id):
            return False
        await Payment.delete().where(Payment.id == claim.payment_id)
        await _clear_in_flight(claim.reservation_id)
        return True

    return await db.serializable(go)


async def release_for_takeover(payment_id: int) -> None:
    """Best effort after a failure: let the next retry (or the reconciler) settle this payment
    at once instead of waiting out the in-flight window."""
    try:
        await Payment.update({Payment.updated_at: QueryString("now() - interval '1 day'")}).where(
            (Payment.id == payment_id) & (Payment.status == PaymentStatus.PENDING))
    except Exception:
        log.warning("payment %s stays PENDING for the reconciler", payment_id)


async def resolve_unknown(deps: Deps, gateway: PaymentGateway, claim: Claim,
                          user: User) -> ConfirmOutcome:
    """The charge's outcome is unknown: ask the gateway under the idempotency key."""
    try:
        found = await asyncio.wait_for(gateway.find_charge(claim.key),
                                       deps.settings.payment_gateway_timeout_seconds)
    except Exception as exc:
        await release_for_takeover(claim.payment_id)
        raise PaymentInterrupted("The payment provider is not answering; please retry") from exc
    if found is not None:
        return await apply_charge(deps, gateway, claim, user, found)
    if await abandon(claim):
        raise NotCharged("The payment did not go through and nothing was charged; "
                                 "please retry")
    return await stored_outcome(claim.payment_id)
