"""Reading reservations, and the one place held seats go back: release_hold.

`release_hold` runs inside a caller's SERIALIZABLE transaction (cancel, expiry). It locks the
seats in label order, frees them only where still HELD by that reservation, and marks the
reservation (the statement lives in boxoffice.services.seatlock with the other seat locks).
Handing freed seats to the waiting queue happens right after it, in the same
transaction (boxoffice.services.offers.release_and_offer), so a freed seat is never FREE in
between for someone who merely refreshed. Callers go through release_and_offer.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from boxoffice import db
from boxoffice.services import seatlock
from boxoffice.services.outcomes import ReservationView
from models.booking import ReservationStatus

_COLUMNS = seatlock.RESERVATION_COLUMNS
# raw asyncpg: the first read of confirm and cancel, and their transactions' reservation lock
_RESERVATION = f"SELECT {_COLUMNS} FROM reservation WHERE id = $1"
_LOCK_RESERVATION = f"""SELECT {_COLUMNS}, payment_pending_until FROM reservation
WHERE id = $1 FOR UPDATE"""


def to_view(row: asyncpg.Record) -> ReservationView:
    return ReservationView(
        id=row["id"], show_id=row["show"], user_id=row["user"], seats=tuple(row["seat_labels"]),
        status=row["status"], expires_at=row["expires_at"], amount=row["amount"],
        currency=row["currency"], is_offer=row["is_offer"],
    )


async def get_reservation(reservation_id: int,
                          conn: asyncpg.Connection | None = None) -> ReservationView | None:
    row = await (conn or db.pool()).fetchrow(_RESERVATION, reservation_id)
    return to_view(row) if row else None


async def lock_reservation(conn: asyncpg.Connection, reservation_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(_LOCK_RESERVATION, reservation_id)


@dataclass(frozen=True)
class Released:
    reservation: ReservationView
    freed: tuple[str, ...]  # labels that went HELD -> FREE


# due: past expires_at, and no payment in flight past its grace (boxoffice.services.confirm)
_LOCK_DUE = f"""SELECT {_COLUMNS}, expires_at <= now() AND (payment_pending_until IS NULL
                       OR payment_pending_until <= now()) AS due
                FROM reservation WHERE id = $1 FOR UPDATE"""


async def release_hold(conn: asyncpg.Connection, reservation_id: int, new_status: str,
                       *, only_if_due: bool = False) -> Released | None:
    """HELD -> `new_status` (CANCELLED/EXPIRED), its seats HELD -> FREE. No-op unless HELD.

    None when there is no such reservation, or with `only_if_due` when it is not a HELD
    reservation that is due to expire (the expiry path's idempotency).
    """
    res = await conn.fetchrow(_LOCK_DUE, reservation_id)
    if res is None:
        return None
    if res["status"] != ReservationStatus.HELD:
        return None if only_if_due else Released(to_view(res), ())
    if only_if_due and not res["due"]:
        return None
    row = await conn.fetchrow(seatlock.RELEASE_SQL, res["show"], list(res["seat_labels"]),
                              reservation_id, new_status)
    assert row is not None
    return Released(to_view(row), tuple(row["freed"]))
