"""Booking types and the union results of reserve, confirm and cancel (contract names)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from schema.types.enums import ReservationStatus
from schema.types.waitingroom import NotAdmitted


@strawberry.input
class ReserveInput:
    show_id: strawberry.ID
    seats: list[str]
    session_id: str | None = None


@strawberry.input
class ConfirmInput:
    reservation_id: strawberry.ID
    payment_token: str
    idempotency_key: str


@strawberry.type
class Reservation:
    id: strawberry.ID
    show_id: strawberry.ID
    seats: list[str]
    status: ReservationStatus
    expires_at: datetime
    amount: int
    currency: str


@strawberry.type
class SeatsTaken:
    seats: list[str]
    alternatives: list[str]


@strawberry.type
class Queued:
    show_id: strawberry.ID
    position: int
    etr_seconds: int
    seats_wanted: int


@strawberry.type
class InvalidRequest:
    message: str
    field: str | None = None


@strawberry.type
class RateLimited:
    message: str
    retry_after_seconds: int


@strawberry.type
class Ticket:
    seat: str
    qr_payload: str
    qr_svg: str


@strawberry.type
class Booking:
    id: strawberry.ID
    reservation_id: strawberry.ID
    show_id: strawberry.ID
    amount: int
    currency: str
    tickets: list[Ticket]


@strawberry.type
class PaymentDeclined:
    message: str
    decline_code: str | None = None


@strawberry.type
class ReservationExpired:
    reservation_id: strawberry.ID
    message: str


@strawberry.type
class NotFound:
    message: str


@strawberry.type
class QueueTicket:
    show_id: strawberry.ID
    position: int
    etr_seconds: int
    seats_wanted: int
    offer: Reservation | None = None


@strawberry.type
class TicketVerification:
    """What a door scanner learns from a QR payload."""

    valid: bool
    status: str  # VALID | ALREADY_USED | FORGED | UNKNOWN
    seat: str | None = None
    show_id: strawberry.ID | None = None
    booking_id: strawberry.ID | None = None


ReserveResult = Annotated[
    Reservation | SeatsTaken | Queued | InvalidRequest | RateLimited | NotAdmitted,
    strawberry.union("ReserveResult"),
]
ConfirmResult = Annotated[
    Booking | PaymentDeclined | ReservationExpired | NotFound | InvalidRequest | RateLimited,
    strawberry.union("ConfirmResult"),
]
CancelResult = Annotated[Reservation | NotFound, strawberry.union("CancelResult")]
