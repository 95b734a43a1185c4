"""checkIn: a door scan. The signature and kid are checked first (offline, like a scanner),
then Postgres records the first scan.

One UPDATE guarded by `used_at IS NULL` decides: of two concurrent scans of one ticket exactly
one sets `used_at` (the other waits for the row lock, re-checks, and finds it set). A ticket of a
cancelled show or a refunded booking is refused even though its signature is valid.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from boxoffice import db
from boxoffice.services.tickets import TicketRejected, verify_ticket
from models.booking import PaymentStatus
from models.catalog import ShowStatus


@dataclass(frozen=True)
class CheckedInOutcome:
    booking_id: int
    show_id: int
    seat: str


@dataclass(frozen=True)
class AlreadyCheckedInOutcome:
    booking_id: int
    seat: str
    checked_in_at: datetime


@dataclass(frozen=True)
class InvalidTicketOutcome:
    message: str


CheckInOutcome = CheckedInOutcome | AlreadyCheckedInOutcome | InvalidTicketOutcome

_CHECK_IN = f"""
WITH t AS (
    SELECT t.id, s.status AS show_status, p.status AS payment_status
    FROM ticket t
    JOIN show s ON s.id = t.show
    JOIN booking b ON b.id = t.booking
    JOIN payment p ON p.id = b.payment
    WHERE t.booking = $1 AND t.show = $2 AND t.seat_label = $3 AND t.nonce = $4
), used AS (
    UPDATE ticket SET used_at = now()
    FROM t
    WHERE ticket.id = t.id AND ticket.used_at IS NULL
      AND t.show_status = '{ShowStatus.SCHEDULED}'
      AND t.payment_status = '{PaymentStatus.SUCCEEDED}'
    RETURNING ticket.id
)
SELECT t.id, t.show_status, t.payment_status, EXISTS (SELECT 1 FROM used) AS now_used FROM t
"""
_USED_AT = "SELECT used_at FROM ticket WHERE id = $1"


async def check_in(qr_payload: str) -> CheckInOutcome:
    claims = verify_ticket(qr_payload)
    if isinstance(claims, TicketRejected):
        return InvalidTicketOutcome(claims.message)
    row = await db.pool().fetchrow(_CHECK_IN, claims.booking_id, claims.show_id, claims.seat,
                                   uuid.UUID(hex=claims.nonce))
    if row is None:
        return InvalidTicketOutcome("No such ticket")
    if row["show_status"] != ShowStatus.SCHEDULED:
        return InvalidTicketOutcome("This show has been cancelled")
    if row["payment_status"] != PaymentStatus.SUCCEEDED:
        return InvalidTicketOutcome("This booking has been refunded")
    if row["now_used"]:
        return CheckedInOutcome(claims.booking_id, claims.show_id, claims.seat)
    # a new statement sees the scan that won (its snapshot may have predated that commit)
    used_at = await db.pool().fetchval(_USED_AT, row["id"])
    return AlreadyCheckedInOutcome(claims.booking_id, claims.seat, used_at)
