"""confirm_reservation: pay for a hold and turn it into a booking, exactly once.

1. claim (SERIALIZABLE): the hold must be live; a PENDING payment row is inserted under the
   unique idempotency key (a concurrent duplicate loses here and waits for the winner's
   result), and the hold is marked in flight so expiry cannot take it (bounded by
   `payment_grace_seconds`);
2. charge at the gateway, outside any transaction or row lock;
3. settle (SERIALIZABLE): HELD -> BOOKED, reservation CONFIRMED, Booking, Tickets, Payment and an
   outbox notification in one transaction. If the hold lapsed and its seats went elsewhere
   meanwhile, the charge is refunded and the answer is ReservationExpired.
The same idempotency key always returns the stored result and never charges twice.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import asyncpg

from boxoffice import db
from boxoffice.auth import User
from boxoffice.payments.gateway import ChargeResult, PaymentGateway
from boxoffice.services import ratelimit
from boxoffice.services.bookings import get_booking
from boxoffice.services.deps import Deps
from boxoffice.services.jobs import cancel_expiry, schedule_notifications
from boxoffice.services.outbox import add_notification
from boxoffice.services.outcomes import (
    BookingView,
    ConfirmOutcome,
    InvalidOutcome,
    NotFoundOutcome,
    PaymentDeclinedOutcome,
    RateLimitedOutcome,
    ReservationExpiredOutcome,
)
from boxoffice.services.reservations import get_reservation, lock_reservation
from boxoffice.services.reserve import parse_id
from boxoffice.services.seatevents import publish_reservation, publish_seat_changes
from boxoffice.services.tickets import sign_ticket

EXPIRED_MESSAGE = "This reservation is no longer held; any charge has been refunded"


@dataclass(frozen=True)
class _Claim:
    payment_id: int
    amount: int
    currency: str


class _Duplicate(Exception):
    pass


class _Early(Exception):
    def __init__(self, outcome: ConfirmOutcome) -> None:
        self.outcome = outcome


async def _claim(conn: asyncpg.Connection, rid: int, user: User, key: str, fingerprint: str,
                 grace: int) -> _Claim:
    res = await lock_reservation(conn, rid)
    assert res is not None
    if await conn.fetchval(
        'SELECT 1 FROM payment WHERE "user" = $2 AND idempotency_key = $1', key, user.id
    ):
        raise _Duplicate()  # a concurrent duplicate of this very request won the race
    if res["status"] == "CONFIRMED":
        booking = await get_booking(rid, conn, by_reservation=True)
        raise _Early(booking or NotFoundOutcome("No booking"))
    live = await conn.fetchval(
        "SELECT $1::timestamptz > now() OR coalesce($2::timestamptz > now(), false)",
        res["expires_at"], res["payment_pending_until"],
    )
    if res["status"] != "HELD" or not live:
        raise _Early(ReservationExpiredOutcome(rid, "This reservation has expired"))
    in_flight = await conn.fetchval("SELECT coalesce($1::timestamptz > now(), false)",
                                    res["payment_pending_until"])
    if in_flight:  # another key is paying for this hold right now: never charge twice
        raise _Early(InvalidOutcome("A payment for this reservation is already in progress",
                                    "reservationId"))
    try:
        payment_id = await conn.fetchval(
            """INSERT INTO payment (show, reservation, "user", idempotency_key, amount, currency,
                   status, card_fingerprint, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, now(), now()) RETURNING id""",
            res["show"], rid, user.id, key, res["amount"], res["currency"], fingerprint,
        )
    except asyncpg.UniqueViolationError as exc:
        raise _Duplicate() from exc
    await conn.execute(
        """UPDATE reservation SET payment_pending_until = now() + make_interval(secs => $2),
               updated_at = now() WHERE id = $1""",
        rid, grace,
    )
    return _Claim(payment_id, res["amount"], res["currency"])


async def _book(conn: asyncpg.Connection, deps: Deps, rid: int, user: User, claim: _Claim,
                charge: ChargeResult) -> BookingView | None:
    """HELD -> BOOKED with booking, payment and tickets; None when the hold is gone."""
    res = await lock_reservation(conn, rid)
    assert res is not None
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


async def _settle(deps: Deps, gateway: PaymentGateway, rid: int, user: User, claim: _Claim,
                  token: str, key: str) -> ConfirmOutcome:
    charge = await gateway.charge(amount=claim.amount, currency=claim.currency, token=token,
                                  idempotency_key=key)
    if not charge.ok:
        async def decline(conn: asyncpg.Connection) -> None:
            await conn.execute(
                """UPDATE payment SET status = 'DECLINED', decline_code = $2, message = $3,
                       outcome = 'PaymentDeclined', updated_at = now() WHERE id = $1""",
                claim.payment_id, charge.decline_code, charge.message,
            )
            await conn.execute(
                "UPDATE reservation SET payment_pending_until = NULL WHERE id = $1", rid
            )
        await db.serializable(decline)
        return PaymentDeclinedOutcome(charge.message or "Payment declined", charge.decline_code)

    booking = await db.serializable(lambda conn: _book(conn, deps, rid, user, claim, charge))
    if booking is not None:
        await publish_seat_changes(deps.redis, booking.show_id,
                                   [(t.seat, "BOOKED") for t in booking.tickets], 0)
        await cancel_expiry(deps.arq, rid)
        await schedule_notifications(deps.arq)
        confirmed = await get_reservation(rid)
        if confirmed is not None:
            await publish_reservation(deps.redis, confirmed)
        return booking
    # paid for a hold that lapsed and whose seats may be someone else's: give the money back
    assert charge.charge_id is not None
    await gateway.refund(charge_id=charge.charge_id, idempotency_key=f"refund:{key}")
    await db.pool().execute(
        """UPDATE payment SET status = 'REFUNDED', gateway_charge_id = $2,
               outcome = 'ReservationExpired', message = $3, updated_at = now() WHERE id = $1""",
        claim.payment_id, charge.charge_id, EXPIRED_MESSAGE,
    )
    return ReservationExpiredOutcome(rid, EXPIRED_MESSAGE)


async def _replay(deps: Deps, gateway: PaymentGateway, rid: int, user: User, key: str,
                  token: str) -> ConfirmOutcome:
    """The stored result for an idempotency key, waiting while the first attempt is in flight."""
    grace = deps.settings.payment_grace_seconds
    for _ in range(int(grace / 0.05) + 1):
        p = await db.pool().fetchrow(
            """SELECT id, reservation, "user", status, outcome, decline_code, message, amount,
                   currency, card_fingerprint,
                   updated_at < now() - make_interval(secs => $2) AS stale
               FROM payment WHERE "user" = $3 AND idempotency_key = $1""",
            key, grace, user.id,
        )
        if p is None:
            return NotFoundOutcome("No such payment")
        if p["reservation"] != rid or p["card_fingerprint"] != gateway.fingerprint(token):
            # Stripe's rule: a key names one request; reusing it with other parameters is a
            # client bug, never a silent replay of the first answer
            return InvalidOutcome("This idempotencyKey was used with another reservation or "
                                  "payment token", "idempotencyKey")
        if p["outcome"] == "Booking":
            return await get_booking(rid, by_reservation=True) or NotFoundOutcome("No booking")
        if p["outcome"] == "PaymentDeclined":
            return PaymentDeclinedOutcome(p["message"] or "Payment declined", p["decline_code"])
        if p["outcome"] == "ReservationExpired":
            return ReservationExpiredOutcome(rid, p["message"] or EXPIRED_MESSAGE)
        if p["stale"]:
            # the first attempt died between charge and settle: take it over (the gateway
            # returns the same charge for the same key, so this never charges twice)
            taken = await db.pool().fetchval(
                """UPDATE payment SET updated_at = now() WHERE id = $1 AND status = 'PENDING'
                   RETURNING id""",
                p["id"],
            )
            if taken:
                return await _settle(deps, gateway, rid, user,
                                     _Claim(p["id"], p["amount"], p["currency"]), token, key)
        await asyncio.sleep(0.05)
    return InvalidOutcome("A payment with this idempotencyKey is still in progress; retry",
                          "idempotencyKey")


async def confirm_reservation(deps: Deps, gateway: PaymentGateway, user: User,
                              reservation_id_raw: str, payment_token: str,
                              idempotency_key: str) -> ConfirmOutcome:
    s = deps.settings
    rid = parse_id(reservation_id_raw)
    if not payment_token or len(payment_token) > 200:
        return InvalidOutcome("A payment token is required", "paymentToken")
    if not idempotency_key or len(idempotency_key) > 200 or not idempotency_key.isprintable():
        return InvalidOutcome("idempotencyKey must be 1-200 printable characters",
                              "idempotencyKey")
    reservation = await get_reservation(rid) if rid else None
    if rid is None or reservation is None or reservation.user_id != user.id:
        return NotFoundOutcome("No such reservation")  # someone else's == missing

    if await db.pool().fetchval(
        'SELECT 1 FROM payment WHERE "user" = $2 AND idempotency_key = $1',
        idempotency_key, user.id,
    ):
        return await _replay(deps, gateway, rid, user, idempotency_key, payment_token)

    fingerprint = gateway.fingerprint(payment_token)
    if s.rate_limits_enabled:
        wait = await ratelimit.hit(deps.redis, f"rl:confirm:card:{fingerprint}",
                                   s.confirm_limit_per_card, s.confirm_window_seconds)
        if wait:
            return RateLimitedOutcome("Too many payment attempts with this card", wait)

    try:
        claim = await db.serializable(
            lambda conn: _claim(conn, rid, user, idempotency_key, fingerprint,
                                s.payment_grace_seconds)
        )
    except _Early as early:
        return early.outcome
    except _Duplicate:
        return await _replay(deps, gateway, rid, user, idempotency_key, payment_token)
    return await _settle(deps, gateway, rid, user, claim, payment_token, idempotency_key)
