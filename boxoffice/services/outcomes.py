"""Frozen outcome values the booking services return; resolvers map them to schema types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ReservationView:
    id: int
    show_id: int
    user_id: int
    seats: tuple[str, ...]
    status: str
    expires_at: datetime
    amount: int
    currency: str
    is_offer: bool = False


@dataclass(frozen=True)
class SeatsTakenOutcome:
    seats: tuple[str, ...]
    alternatives: tuple[str, ...]


@dataclass(frozen=True)
class QueuedOutcome:
    show_id: int
    position: int
    etr_seconds: int
    seats_wanted: int
    offer: ReservationView | None = None


@dataclass(frozen=True)
class InvalidOutcome:
    message: str
    field: str | None = None


@dataclass(frozen=True)
class RateLimitedOutcome:
    message: str
    retry_after_seconds: int


@dataclass(frozen=True)
class TicketView:
    seat: str
    qr_payload: str


@dataclass(frozen=True)
class BookingView:
    id: int
    reservation_id: int
    show_id: int
    user_id: int
    amount: int
    currency: str
    tickets: tuple[TicketView, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PaymentDeclinedOutcome:
    message: str
    decline_code: str | None


@dataclass(frozen=True)
class ReservationExpiredOutcome:
    reservation_id: int
    message: str


@dataclass(frozen=True)
class NotFoundOutcome:
    message: str


ReserveOutcome = (
    ReservationView | SeatsTakenOutcome | QueuedOutcome | InvalidOutcome | RateLimitedOutcome
)
ConfirmOutcome = (
    BookingView
    | PaymentDeclinedOutcome
    | ReservationExpiredOutcome
    | NotFoundOutcome
    | InvalidOutcome
    | RateLimitedOutcome
)
CancelOutcome = ReservationView | NotFoundOutcome
