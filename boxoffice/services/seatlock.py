"""The seat-lock statement and the hold CTE: the one home of the SQL every seat change goes through.

reserve (boxoffice.services.reserve) and queue offers (boxoffice.services.offers) hold seats,
settlement books them, release_hold frees them. Each of them locks and writes seats with the
statements below, so the three safeguards against double-booking are written once:
1. `FOR UPDATE` on the requested seats in label order: a fixed order, so overlapping requests
   queue behind each other instead of deadlocking;
2. every write guarded by the state it expects (`AND status = FREE` on a hold, HELD and
   the reservation on a booking or release), its row count checked by the caller;
3. UNIQUE (show, cinema_seat) and the status CHECKs in the database (migrations/).

Raw asyncpg SQL on purpose: these run on the measured hot paths (benchmarks/reserve.py,
benchmarks/reserve_cancel.py). Status values come from the StrEnums in models/booking.py, and
every statement here is prepared against the migrated schema by tests/test_sql_prepares.py, so
a column rename fails that test rather than a request.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from boxoffice.services.alternatives import SeatPos
from models.booking import NotificationStatus, ReservationStatus, SeatStatus
from models.catalog import ShowStatus

FREE, HELD, BOOKED = SeatStatus.FREE, SeatStatus.HELD, SeatStatus.BOOKED

# $1 show, $2 labels: ORDER BY sits below FOR UPDATE, so rows are locked in label order
_LOCK_TAIL = """WHERE ss.show = $1 AND ss.label = ANY($2::varchar[])
ORDER BY ss.label FOR UPDATE OF ss"""
_SEAT_COLUMNS = "ss.id, ss.label, ss.status, ss.price, ss.reservation"

LOCK_SEATS = f"SELECT {_SEAT_COLUMNS} FROM show_seat ss {_LOCK_TAIL}"

# every seat of a show, in the same label order (cancelShow: no hold can be half-made meanwhile)
LOCK_SHOW_SEATS = "SELECT 1 FROM show_seat WHERE show = $1 ORDER BY label FOR UPDATE"

# reserve reads the show's status in the same round trip (the show row is read, not locked)
LOCK_SEATS_AND_SHOW = f"""SELECT {_SEAT_COLUMNS}, sh.status AS show_status
FROM show_seat ss JOIN show sh ON sh.id = ss.show {_LOCK_TAIL}"""


# every seat of a show with its place and whether it is FREE, unlocked: what `choose_seats`
# picks alternatives and offers from
SEAT_POSITIONS = "SELECT label, row, x, y, status FROM show_seat WHERE show = $1"


async def seat_positions(source: asyncpg.Connection | asyncpg.Pool,
                         show_id: int) -> list[SeatPos]:
    rows = await source.fetch(SEAT_POSITIONS, show_id)
    return [SeatPos(r["label"], r["row"], r["x"], r["y"], r["status"] == FREE) for r in rows]


async def lock_seats(conn: asyncpg.Connection, show_id: int, labels: Sequence[str], *,
                     with_show_status: bool = False) -> list[asyncpg.Record]:
    """Lock a show's seats by label, in label order. Labels must be sorted and distinct.

    Rows carry id, label, status, price, reservation (and show_status when asked). A label
    with no seat has no row: compare with `missing()`."""
    sql = LOCK_SEATS_AND_SHOW if with_show_status else LOCK_SEATS
    return await conn.fetch(sql, show_id, list(labels))


def missing(seats: Sequence[asyncpg.Record], labels: Sequence[str]) -> list[str]:
    found = {s["label"] for s in seats}
    return [lbl for lbl in labels if lbl not in found]


def not_free(seats: Sequence[asyncpg.Record]) -> list[str]:
    return [s["label"] for s in seats if s["status"] != FREE]


def _hold_sql(*, offer: bool) -> str:
    """The hold CTE: reservation, seats HELD and outbox row in one round trip.

    $1 show, $2 user, $3 labels, $4 amount, $5 currency, $6 hold seconds, $7 session id,
    $8 seat ids, $9 notification channel, and for a reserve $10 the user's email.
    A reserve that meets the user's live hold fails with UniqueViolationError
    (reservation_one_live_per_user_show); an offer returns no row instead (ON CONFLICT).
    """
    kind = "OFFER_MADE" if offer else "HOLD_CREATED"
    # an offer's user is a waiter whose email the caller does not have: read it here
    email = "(SELECT email FROM app_user WHERE id = $2)" if offer else "$10::text"
    on_conflict = (f"""ON CONFLICT (show, "user") WHERE status = '{ReservationStatus.HELD}'
    DO NOTHING""" if offer else "")
    return f"""
WITH r AS (
    INSERT INTO reservation (show, "user", status, seat_labels, amount, currency, expires_at,
                             is_offer, session_id, created_at, updated_at)
    SELECT $1, $2, '{ReservationStatus.HELD}', $3::varchar[], $4, $5,
           now() + make_interval(secs => $6), {str(offer).lower()}, $7, now(), now()
    -- re-read in this statement: under READ COMMITTED the seat locks above may have waited for
    -- a cancelShow whose status change the earlier statement's join could not see
    WHERE EXISTS (SELECT 1 FROM show WHERE id = $1 AND status = '{ShowStatus.SCHEDULED}')
    {on_conflict}
    RETURNING id, expires_at
), seats AS (
    UPDATE show_seat SET status = '{HELD}', reservation = r.id, expires_at = r.expires_at
    FROM r WHERE show_seat.id = ANY($8::int[]) AND show_seat.status = '{FREE}'
    RETURNING show_seat.id
), outbox AS (
    INSERT INTO notification ("user", show, kind, channel, payload, status, attempts, created_at)
    SELECT $2, $1, '{kind}', $9, jsonb_build_object(
               'reservationId', r.id, 'seats', to_jsonb($3::varchar[]), 'amount', $4,
               'currency', $5::text, 'expiresAt', r.expires_at, 'email', {email}),
           '{NotificationStatus.PENDING}', 0, now()
    FROM r
)
SELECT r.id, r.expires_at, (SELECT count(*) FROM seats) AS updated FROM r
"""


HOLD_SQL = _hold_sql(offer=False)
OFFER_SQL = _hold_sql(offer=True)


async def insert_hold(conn: asyncpg.Connection, *, show_id: int, user_id: int,
                      labels: Sequence[str], seats: Sequence[asyncpg.Record], currency: str,
                      seconds: int, channel: str, session_id: str | None = None,
                      email: str | None = None, offer: bool = False) -> asyncpg.Record | None:
    """Hold the locked, FREE `seats` (from `lock_seats`) for a user, in one statement.

    Returns id, expires_at and `updated` (the seats that went FREE -> HELD: the caller checks
    it equals len(seats)); None when the show is no longer SCHEDULED, or for an offer when
    the user already holds seats for the show."""
    amount = sum(s["price"] for s in seats)
    args: list[object] = [show_id, user_id, list(labels), amount, currency, seconds, session_id,
                          [s["id"] for s in seats], channel]
    if offer:
        return await conn.fetchrow(OFFER_SQL, *args)
    return await conn.fetchrow(HOLD_SQL, *args, email)


# Seats HELD by the reservation -> BOOKED ($1 seat ids, $2 reservation): confirm's settlement
BOOK_SEATS = f"""UPDATE show_seat SET status = '{BOOKED}', expires_at = NULL
WHERE id = ANY($1::int[]) AND reservation = $2 AND status = '{HELD}'"""

# Seats locked in label order (the LockRows node sits above the sort), freed only where still
# HELD by this reservation, and the reservation marked: one round trip instead of three.
# $1 show, $2 labels, $3 reservation, $4 the reservation's new status; returns the reservation
# row (`RESERVATION_COLUMNS`) and `freed`, the labels that went HELD -> FREE.
RESERVATION_COLUMNS = """id, show, "user", status, seat_labels, expires_at, amount, currency,
is_offer"""
RELEASE_SQL = f"""
WITH locked AS (
    SELECT id FROM show_seat WHERE show = $1 AND label = ANY($2::varchar[])
    ORDER BY label FOR UPDATE
), freed AS (
    UPDATE show_seat s SET status = '{FREE}', reservation = NULL, expires_at = NULL
    FROM locked WHERE s.id = locked.id AND s.reservation = $3 AND s.status = '{HELD}'
    RETURNING s.label
), r AS (
    UPDATE reservation SET status = $4, updated_at = now() WHERE id = $3
    RETURNING {RESERVATION_COLUMNS}
)
SELECT r.*, ARRAY(SELECT label FROM freed ORDER BY label) AS freed FROM r
"""
