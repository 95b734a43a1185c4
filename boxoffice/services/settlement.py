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

from boxoffice import db
from boxoffice.auth import User
from boxoffice.payments.gateway import ChargeResult, PaymentGateway
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


async def _lock_pending(conn: asyncpg.Connection, payment_id: int) -> bool:
    status = await conn.fetchval("SELECT status FROM payment WHERE id = $1 FOR UPDATE",
                                 payment_id)
    return bool(status == "PENDING")


async def _book(conn: asyncpg.Connection, deps: Deps, claim: Claim, user: User,
                charge: ChargeResult) -> BookingView | _Settled | None:
    """HELD -> BOOKED with booking, payment and tickets; None when the hold is gone."""
    rid = claim.reservation_id
    res = await lock_reservation(conn, rid)  # reservation first, then payment: one lock order
    assert res is not None
    if not await _lock_pending(conn, claim.payment_id):
        return SETTLED
    if res["status"] != "HELD":
        return None
    labels = list(res["seat_labels"])
    seats = await conn.fetch(
        """SELECT id, label, status, reservation FROM show_seat
           WHERE show = $1 AND label = ANY($2::varchar[]) ORDER BY label FOR UPDATE""",
        res["show"], labels,
    )
    if len(seats) != len(labels) or any(
        s["status"] != "HELD" or s["reservation"] != rid for s in seats
    ):
        return None
    updated = await conn.execute(
        """UPDATE show_seat SET status = 'BOOKED', expires_at = NULL
           WHERE id = ANY($1::int[]) AND reservation = $2 AND status = 'HELD'""",
        [s["id"] for s in seats], rid,
    )
    if updated != f"UPDATE {len(seats)}":
        return None
    await conn.execute(
        """UPDATE reservation SET status = 'CONFIRMED', payment_pending_until = NULL,
               updated_at = now() WHERE id = $1""",
        rid,
    )
    await conn.execute(
        """UPDATE payment SET status = 'SUCCEEDED', gateway_charge_id = $2, outcome = 'Booking',
               updated_at = now() WHERE id = $1""",
        claim.payment_id, charge.charge_id,
    )
    booking_id = await conn.fetchval(
        """INSERT INTO booking (show, reservation, "user", payment, amount, currency, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING id""",
        res["show"], rid, user.id, claim.payment_id, claim.amount, claim.currency,
    )
    tickets = []
    for s in seats:
        nonce = uuid.uuid4()
        tickets.append((res["show"], booking_id, s["id"], s["label"], nonce,
                        sign_ticket(booking_id, res["show"], s["label"], nonce)))
    await conn.executemany(
        """INSERT INTO ticket (show, booking, show_seat, seat_label, nonce, qr_payload)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        tickets,
    )
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
    await conn.execute(
        """UPDATE payment SET status = 'DECLINED', decline_code = $2, message = $3,
               outcome = 'PaymentDeclined', updated_at = now() WHERE id = $1""",
        claim.payment_id, charge.decline_code, charge.message,
    )
    await conn.execute(
        "UPDATE reservation SET payment_pending_until = NULL WHERE id = $1",
        claim.reservation_id,
    )
    return True


async def stored_outcome(payment_id: int) -> ConfirmOutcome:
    """The result a settled payment gave; PaymentInterrupted when there is none (yet)."""
    p = await db.pool().fetchrow(
        "SELECT reservation, status, outcome, decline_code, message FROM payment WHERE id = $1",
        payment_id,
    )
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
                   .seat_changes(booking.show_id, [(t.seat, "BOOKED") for t in booking.tickets], 0)
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
        if await db.pool().fetchval("SELECT 1 FROM payment WHERE id = $1", claim.payment_id):
            return await stored_outcome(claim.payment_id)
        booking = None  # abandoned as "never charged", yet charged: give the money back
    if booking is not None:
        await _after_booking(deps, booking)
        return booking
    # paid for a hold that lapsed and whose seats may be someone else's: give the money back
    assert charge.charge_id is not None
    await gateway.refund(charge_id=charge.charge_id, idempotency_key=f"refund:{claim.key}")
    await db.pool().execute(
        """UPDATE payment SET status = 'REFUNDED', gateway_charge_id = $2,
               outcome = 'ReservationExpired', message = $3, updated_at = now()
           WHERE id = $1 AND status = 'PENDING'""",
        claim.payment_id, charge.charge_id, EXPIRED_MESSAGE,
    )
    return ReservationExpiredOutcome(claim.reservation_id, EXPIRED_MESSAGE)


async def abandon(claim: Claim) -> bool:
    """Nothing was charged: forget the claim (the key may be used again) and let the hold
    lapse on its own time. False when the payment was settled meanwhile."""
    async def go(conn: asyncpg.Connection) -> bool:
        await lock_reservation(conn, claim.reservation_id)
        if not await _lock_pending(conn, claim.payment_id):
            return False
        await conn.execute("DELETE FROM payment WHERE id = $1", claim.payment_id)
        await conn.execute(
            "UPDATE reservation SET payment_pending_until = NULL WHERE id = $1",
            claim.reservation_id,
        )
        return True

    return await db.serializable(go)


async def release_for_takeover(payment_id: int) -> None:
    """Best effort after a failure: let the next retry (or the reconciler) settle this payment
    at once instead of waiting out the in-flight window."""
    try:
        await db.pool().execute(
            """UPDATE payment SET updated_at = now() - interval '1 day'
               WHERE id = $1 AND status = 'PENDING'""",
            payment_id,
        )
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
