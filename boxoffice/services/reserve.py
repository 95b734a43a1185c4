"""reserve_seats: all-or-nothing holds, three independent safeguards against double-booking.

1. `SELECT … FOR UPDATE` on the requested seats in label order (no deadlocks between overlapping
   requests) inside a SERIALIZABLE transaction (boxoffice.db.serializable, retried, bounded);
2. `UPDATE … WHERE … AND status = 'FREE'` with the row count checked;
(both statements live in boxoffice.services.seatlock, shared with queue offers and confirm)
3. UNIQUE (show, cinema_seat) and CHECKs in the database.
The transaction touches only this show's rows and talks to nothing but Postgres. The show row is
only read (never written) here, so concurrent holds on one show do not conflict on it; the FREE
counter is adjusted after commit (boxoffice.services.seatevents).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from boxoffice import db, metrics, rediskeys
from boxoffice.auth import User
from boxoffice.echo import clip
from boxoffice.services import queue, ratelimit, seatlock
from boxoffice.services.aftercommit import AfterCommit
from boxoffice.services.alternatives import choose_seats, target_of
from boxoffice.services.deps import Deps
from boxoffice.services.outcomes import (
    InvalidOutcome,
    QueuedOutcome,
    RateLimitedOutcome,
    ReservationView,
    ReserveOutcome,
    SeatsTakenOutcome,
)
from boxoffice.services.reservations import to_view
from boxoffice.services.seatevents import publish_queue_changed
from boxoffice.services.showmeta import show_meta
from models.booking import ReservationStatus, SeatStatus
from models.catalog import ShowStatus

LABEL_RE = re.compile(r"^[A-Z]{1,3}-[1-9][0-9]{0,2}$")
UNKNOWN_SHOW = InvalidOutcome("Unknown show", "showId")  # missing, or an id that does not parse

# The caller's own live hold of exactly these seats (one live hold per user and show, enforced
# by reservation_one_live_per_user_show): after a failover cut COMMIT, whether it survived.
_OWN_HOLD = f"""SELECT {seatlock.RESERVATION_COLUMNS} FROM reservation
WHERE "user" = $1 AND show = $2 AND status = '{ReservationStatus.HELD}' AND NOT is_offer
  AND seat_labels = $3::varchar[]"""


class _Taken(Exception):
    """Rolls the transaction back when a requested seat is not FREE."""

    def __init__(self, taken: list[str]) -> None:
        self.taken = taken


class _Unknown(Exception):
    def __init__(self, labels: list[str]) -> None:
        self.labels = labels


class _AlreadyHolding(Exception):
    pass


class _ShowCancelled(Exception):
    pass


@dataclass(frozen=True)
class _Held:
    reservation: ReservationView


def validate_labels(seats: Sequence[str], max_seats: int) -> InvalidOutcome | list[str]:
    if not seats:
        return InvalidOutcome("Choose at least one seat", "seats")
    if len(seats) > max_seats:
        return InvalidOutcome(f"At most {max_seats} seats per reservation", "seats")
    labels = [s.strip().upper() for s in seats]
    bad = [s for s in labels if not LABEL_RE.match(s)]
    if bad:
        shown = ", ".join(clip(b) for b in bad[:3])
        return InvalidOutcome(f"Not a seat label: {shown} (expected e.g. J-12)",
                              "seats")
    if len(set(labels)) != len(labels):
        return InvalidOutcome("Seats must be distinct", "seats")
    return sorted(labels)  # the fixed lock order


async def _hold(conn: asyncpg.Connection, deps: Deps, user: User, show_id: int,
                currency: str, labels: list[str], session_id: str | None) -> _Held:
    # the show's status is read here and again inside the hold statement (READ COMMITTED: a
    # cancelShow may commit while this statement waits for the seat locks)
    seats = await seatlock.lock_seats(conn, show_id, labels, with_show_status=True)
    if seats and seats[0]["show_status"] != ShowStatus.SCHEDULED:
        raise _ShowCancelled()
    unknown = seatlock.missing(seats, labels)
    if unknown:
        raise _Unknown(unknown)
    taken = seatlock.not_free(seats)
    if taken:
        raise _Taken(taken)
    try:
        # reservation, seats and outbox row in one round trip; the seat UPDATE keeps the
        # FREE guard and its row count is checked below
        res = await seatlock.insert_hold(
            conn, show_id=show_id, user_id=user.id, labels=labels, seats=seats,
            currency=currency, seconds=deps.settings.hold_seconds,
            channel=deps.settings.notification_channel, session_id=session_id,
            email=user.email,
        )
    except asyncpg.UniqueViolationError as exc:  # reservation_one_live_per_user_show
        raise _AlreadyHolding() from exc
    if res is None:  # the show was cancelled while this hold waited for its seat locks
        raise _ShowCancelled()
    if res["updated"] != len(seats):  # cannot happen under the row locks; never half-hold
        raise _Taken(labels)
    return _Held(ReservationView(
        id=res["id"], show_id=show_id, user_id=user.id, seats=tuple(labels),
        status=ReservationStatus.HELD, expires_at=res["expires_at"],
        amount=sum(s["price"] for s in seats), currency=currency,
    ))


@metrics.booking("reserve")
async def reserve_unknown_show() -> ReserveOutcome:
    """The answer to a show id the API edge could not parse: the one for an unknown show,
    counted like any other reserve."""
    return UNKNOWN_SHOW


@metrics.booking("reserve")
async def reserve_seats(deps: Deps, user: User, show_id: int, seats: Sequence[str],
                        session_id: str | None = None) -> ReserveOutcome:
    """Hold `seats` of a show for `user`, all or nothing. Called by the `reserve` resolver
    (resolvers/booking.py) after the waiting room's admission check; returns a frozen outcome
    the resolver maps to a ReserveResult member."""
    s = deps.settings
    # 1. input checks that need no I/O: a bad request costs no query
    checked = validate_labels(seats, s.max_seats_per_reservation)
    if isinstance(checked, InvalidOutcome):
        return checked
    labels = checked
    if session_id is not None and len(session_id) > 100:
        return InvalidOutcome("sessionId is too long", "sessionId")

    # 2. the show's immutable facts, cached in process (start time and currency)
    show = await show_meta(show_id)
    if show is None:
        return UNKNOWN_SHOW
    if show.starts_at <= datetime.now(UTC):
        return InvalidOutcome("This show has already started", "showId")

    # 3. before the transaction, never inside it: Redis cannot roll back with Postgres
    if s.rate_limits_enabled:
        wait = await ratelimit.hit(deps.redis, rediskeys.reserve_limit(user.id),
                                   s.reserve_limit_per_user, s.reserve_window_seconds)
        if wait:
            return RateLimitedOutcome("Too many reservation attempts", wait)

    # 4. the transaction (retried on serialization failures, so _hold has no outside effects):
    # lock the seats in label order, hold them with the FREE guard (services/seatlock.py)
    try:
        held = await db.serializable(
            lambda conn: _hold(conn, deps, user, show_id, show.currency, labels, session_id)
        )
    except _Unknown as exc:
        return InvalidOutcome(f"No such seat in this show: {', '.join(exc.labels[:5])}", "seats")
    except _ShowCancelled:
        return InvalidOutcome("This show has been cancelled", "showId")
    except _AlreadyHolding:
        return InvalidOutcome(
            "You already hold seats for this show: confirm or cancel that reservation first",
            "showId",
        )
    except _Taken as exc:
        return await _unavailable(deps, user, show_id, labels, exc.taken)
    except db.CommitOutcomeUnknown:
        # a failover cut the COMMIT: the primary now serving says whether the hold survived.
        # Found: it is this reserve's (the caller's one live hold of exactly these seats), and
        # gets its after-commit effects below. Not found: nothing was held, and the error
        # answers TRY_AGAIN, true to "nothing changed" (a failed lookup answers it too).
        row = await db.pool().fetchrow(_OWN_HOLD, user.id, show_id, labels)
        if row is None:
            raise
        held = _Held(to_view(row))

    view = held.reservation
    # 5. after commit, in one Redis round trip (each effect logs its own failure). The
    # HOLD_CREATED outbox row is picked up by the worker's outbox poll, not nudged per hold.
    await (AfterCommit(deps.redis)
           .seat_changes(show_id, [(lbl, SeatStatus.HELD) for lbl in labels], -len(labels))
           .reservation(view)
           .expiry(view.id, view.expires_at)
           .run())
    return view


async def _unavailable(deps: Deps, user: User, show_id: int, labels: list[str],
                       taken: list[str]) -> SeatsTakenOutcome | QueuedOutcome:
    """SeatsTaken with alternatives while enough seats are FREE; else join the queue."""
    seats = await seatlock.seat_positions(db.pool(), show_id)
    n = len(labels)
    if sum(1 for x in seats if x.free) >= n:
        alternatives = choose_seats(seats, n, target_of(seats, labels))
        return SeatsTakenOutcome(tuple(taken), tuple(alternatives))
    position = await queue.join(deps.redis, show_id, user.id, n)
    await publish_queue_changed(deps.redis, show_id)
    etr = await queue.estimate_wait_seconds(deps.redis, show_id, user.id, n,
                                            deps.settings.offer_seconds)
    return QueuedOutcome(show_id=show_id, position=position, etr_seconds=etr, seats_wanted=n)
