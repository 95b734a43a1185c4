"""confirm_reservation: pay for a hold and turn it into a booking, exactly once.

1. claim (SERIALIZABLE): the hold must be live; a PENDING payment row is inserted under the
   unique idempotency key (a concurrent duplicate loses here and waits, briefly, for the
   winner's result), and the hold is marked in flight so expiry cannot take it (bounded by
   `payment_grace_seconds`);
2. charge at the gateway, outside any transaction or row lock, bounded by
   `payment_gateway_timeout_seconds`;
3. settle (boxoffice.services.settlement): HELD -> BOOKED with Booking, Tickets and an outbox
   notification in one transaction; a hold that lapsed meanwhile is refunded
   (ReservationExpired). An unknown outcome (timeout, 5xx) is looked up at the gateway.
The same idempotency key always returns the stored result and never charges twice; a retry
never waits long (TRY_AGAIN while the first attempt is in flight, then it takes over), and the
worker's reconciler settles whatever a crash left PENDING (boxoffice.services.reconcile).
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg

from boxoffice import db, metrics, rediskeys
from boxoffice.auth import User
from boxoffice.payments.gateway import PaymentGateway
from boxoffice.services import ratelimit
from boxoffice.services.bookings import get_booking
from boxoffice.services.deps import Deps
from boxoffice.services.outcomes import (
    ConfirmOutcome,
    InvalidOutcome,
    NotFoundOutcome,
    RateLimitedOutcome,
    ReservationExpiredOutcome,
)
from boxoffice.services.ownership import NO_SUCH_RESERVATION, own_reservation
from boxoffice.services.reservations import lock_reservation
from boxoffice.services.settlement import (
    EXPIRED_MESSAGE,
    Claim,
    PaymentInterrupted,
    apply_charge,
    gateway_key,
    release_for_takeover,
    resolve_unknown,
    stored_outcome,
    takeover_after_seconds,
)
from models.booking import PaymentStatus, ReservationStatus

__all__ = ["EXPIRED_MESSAGE", "confirm_reservation"]

log = logging.getLogger(__name__)

# how long a retry waits for an attempt in flight before answering TRY_AGAIN
REPLAY_WAIT_SECONDS = 2.0


class _Duplicate(Exception):
    pass


class _Early(Exception):
    def __init__(self, outcome: ConfirmOutcome) -> None:
        self.outcome = outcome


# confirm is a measured hot path (the claim's SERIALIZABLE transaction): raw asyncpg, each
# statement prepared against the schema by tests/test_sql_prepares.py
_KEY_USED = 'SELECT 1 FROM payment WHERE "user" = $2 AND idempotency_key = $1'
# compared with the database's clock, the one every expiry is written with
_LIVE = "SELECT $1::timestamptz > now() OR coalesce($2::timestamptz > now(), false)"
_IN_FLIGHT = "SELECT coalesce($1::timestamptz > now(), false)"
_INSERT_PAYMENT = f"""INSERT INTO payment (show, reservation, "user", idempotency_key, amount,
    currency, status, card_fingerprint, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, '{PaymentStatus.PENDING}', $7, now(), now()) RETURNING id"""
_MARK_IN_FLIGHT = """UPDATE reservation
SET payment_pending_until = now() + make_interval(secs => $2), updated_at = now() WHERE id = $1"""
_PAYMENT_BY_KEY = """SELECT id, reservation, "user", status, outcome, amount, currency,
    card_fingerprint FROM payment WHERE "user" = $2 AND idempotency_key = $1"""
_TAKE_OVER = f"""UPDATE payment SET updated_at = now()
WHERE id = $1 AND status = '{PaymentStatus.PENDING}'
  AND updated_at < now() - make_interval(secs => $2) RETURNING id"""


async def _claim(conn: asyncpg.Connection, rid: int, user: User, key: str, fingerprint: str,
                 grace: int) -> Claim:
    res = await lock_reservation(conn, rid)
    assert res is not None
    if await conn.fetchval(_KEY_USED, key, user.id):
        raise _Duplicate()  # a concurrent duplicate of this very request won the race
    if res["status"] == ReservationStatus.CONFIRMED:
        booking = await get_booking(rid, conn, by_reservation=True)
        raise _Early(booking or NotFoundOutcome("No booking"))
    live = await conn.fetchval(_LIVE, res["expires_at"], res["payment_pending_until"])
    if res["status"] != ReservationStatus.HELD or not live:
        raise _Early(ReservationExpiredOutcome(rid, "This reservation has expired"))
    in_flight = await conn.fetchval(_IN_FLIGHT, res["payment_pending_until"])
    if in_flight:  # another key is paying for this hold right now: never charge twice
        raise _Early(InvalidOutcome("A payment for this reservation is already in progress",
                                    "reservationId"))
    try:
        payment_id = await conn.fetchval(
            _INSERT_PAYMENT, res["show"], rid, user.id, key, res["amount"], res["currency"],
            fingerprint,
        )
    except asyncpg.UniqueViolationError as exc:
        raise _Duplicate() from exc
    await conn.execute(_MARK_IN_FLIGHT, rid, grace)
    return Claim(payment_id, rid, res["amount"], res["currency"], gateway_key(user.id, key))


async def _settle(deps: Deps, gateway: PaymentGateway, user: User, claim: Claim,
                  token: str) -> ConfirmOutcome:
    try:
        charge = await asyncio.wait_for(
            gateway.charge(amount=claim.amount, currency=claim.currency, token=token,
                           idempotency_key=claim.key),
            deps.settings.payment_gateway_timeout_seconds,
        )
    except Exception as exc:  # timeout, 5xx, lost answer: the outcome is unknown
        log.warning("payment %s: gateway charge failed (%s: %s); looking it up",
                    claim.payment_id, type(exc).__name__, exc)
        return await resolve_unknown(deps, gateway, claim, user)
    try:
        return await apply_charge(deps, gateway, claim, user, charge)
    except Exception:
        await release_for_takeover(claim.payment_id)  # a retry settles it at once
        raise


async def _replay(deps: Deps, gateway: PaymentGateway, rid: int, user: User, key: str,
                  token: str) -> ConfirmOutcome:
    """The stored result for an idempotency key. While the first attempt is in flight, wait a
    little (REPLAY_WAIT_SECONDS), then answer TRY_AGAIN; an attempt that died
    or failed is taken over and settled here (the gateway returns the same charge for the same
    key, so this never charges twice)."""
    s = deps.settings
    deadline = time.monotonic() + min(REPLAY_WAIT_SECONDS, s.payment_gateway_timeout_seconds)
    while True:
        p = await db.pool().fetchrow(_PAYMENT_BY_KEY, key, user.id)
        if p is None:  # abandoned meanwhile: nothing was charged
            raise PaymentInterrupted("The payment did not go through; please retry")
        if p["reservation"] != rid or p["card_fingerprint"] != gateway.fingerprint(token):
            # Stripe's rule: a key names one request; reusing it with other parameters is a
            # client bug, never a silent replay of the first answer
            return InvalidOutcome("This idempotencyKey was used with another reservation or "
                                  "payment token", "idempotencyKey")
        if p["outcome"] is not None:
            return await stored_outcome(p["id"])
        taken = await db.pool().fetchval(_TAKE_OVER, p["id"], takeover_after_seconds(s))
        if taken:
            return await _settle(deps, gateway, user, Claim(
                p["id"], rid, p["amount"], p["currency"], gateway_key(user.id, key)), token)
        if time.monotonic() > deadline:
            raise PaymentInterrupted("A payment with this idempotencyKey is still in progress; "
                                     "retry in a few seconds")
        await asyncio.sleep(0.05)


def _check_input(payment_token: str, idempotency_key: str) -> InvalidOutcome | None:
    """The checks that need no I/O; they answer first, whatever the reservation id."""
    if not payment_token or len(payment_token) > 200:
        return InvalidOutcome("A payment token is required", "paymentToken")
    if not idempotency_key or len(idempotency_key) > 200 or not idempotency_key.isprintable():
        return InvalidOutcome("idempotencyKey must be 1-200 printable characters",
                              "idempotencyKey")
    return None


@metrics.booking("confirm")
async def confirm_unknown_reservation(payment_token: str,
                                      idempotency_key: str) -> ConfirmOutcome:
    """The answer to a reservation id the API edge could not parse: the input checks, then
    the answer for a missing reservation, counted like any other confirm."""
    return _check_input(payment_token, idempotency_key) or NO_SUCH_RESERVATION


@metrics.booking("confirm")
async def confirm_reservation(deps: Deps, gateway: PaymentGateway, user: User,
                              reservation_id: int, payment_token: str,
                              idempotency_key: str) -> ConfirmOutcome:
    s = deps.settings
    refused = _check_input(payment_token, idempotency_key)
    if refused is not None:
        return refused
    reservation = await own_reservation(user.id, reservation_id)
    if reservation is None:
        return NO_SUCH_RESERVATION
    rid = reservation.id

    if await db.pool().fetchval(_KEY_USED, idempotency_key, user.id):
        return await _replay(deps, gateway, rid, user, idempotency_key, payment_token)

    fingerprint = gateway.fingerprint(payment_token)
    if s.rate_limits_enabled:
        wait = await ratelimit.hit(deps.redis, rediskeys.confirm_limit(fingerprint),
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
    return await _settle(deps, gateway, user, claim, payment_token)
