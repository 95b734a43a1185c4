"""Booking tables. Every one carries `show` (the future shard key); money and tickets never
cascade on delete."""

from enum import StrEnum

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from models.catalog import CinemaSeat, Show


class SeatStatus(StrEnum):
    FREE = "FREE"
    HELD = "HELD"
    BOOKED = "BOOKED"


class ReservationStatus(StrEnum):
    HELD = "HELD"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    DECLINED = "DECLINED"
    REFUNDED = "REFUNDED"


class NotificationStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class ApiKeyRole(StrEnum):
    CLIENT = "client"  # apps: browse and book
    DOOR = "door"  # door scanners: checkIn
    ADMIN = "admin"  # operators: admin mutations (cancelShow)


class AppUser(Table, tablename="app_user"):
    id: Serial  # Piccolo adds the column; declared for type checkers
    email = Varchar(length=320, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ApiKey(Table, tablename="api_key"):
    """A client application's key. Only the SHA-256 of the key is stored."""

    id: Serial  # Piccolo adds the column; declared for type checkers
    name = Varchar(length=100)
    key_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked = Boolean(default=False)
    role = Varchar(length=10, choices=ApiKeyRole, default=ApiKeyRole.CLIENT)


class Reservation(Table, tablename="reservation"):
    id: Serial  # Piccolo adds the column; declared for type checkers
    show = ForeignKey(Show, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(AppUser, on_delete=OnDelete.restrict, null=False, index=True)
    status = Varchar(length=10, choices=ReservationStatus, default=ReservationStatus.HELD)
    seat_labels = Array(base_column=Varchar(length=10))
    amount = Integer()
    currency = Varchar(length=3)
    expires_at = Timestamptz()
    # while a payment is at the gateway the hold may outlive expires_at, up to this instant
    payment_pending_until = Timestamptz(null=True, default=None)
    is_offer = Boolean(default=False)
    session_id = Varchar(length=100, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ShowSeat(Table, tablename="show_seat"):
    """A seat of a show and its state. Label, row, number and price are copied from the hall and
    the show's price list at creation (immutable), so the hot path reads one table."""

    id: Serial  # Piccolo adds the column; declared for type checkers
    show = ForeignKey(Show, on_delete=OnDelete.restrict, null=False)
    cinema_seat = ForeignKey(CinemaSeat, on_delete=OnDelete.restrict, null=False)
    label = Varchar(length=10)
    row = Varchar(length=3)
    number = Integer()
    x = Integer()
    y = Integer()
    category = Varchar(length=50)
    price = Integer()
    status = Varchar(length=6, choices=SeatStatus, default=SeatStatus.FREE)
    reservation = ForeignKey(Reservation, on_delete=OnDelete.restrict, null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)

    unique_show_cinema_seat = Unique([show, cinema_seat])


class Payment(Table, tablename="payment"):
    id: Serial  # Piccolo adds the column; declared for type checkers
    show = ForeignKey(Show, on_delete=OnDelete.restrict, null=False)
    reservation = ForeignKey(Reservation, on_delete=OnDelete.restrict, null=False, index=True)
    user = ForeignKey(AppUser, on_delete=OnDelete.restrict, null=False)
    idempotency_key = Varchar(length=200)  # unique per user (unique_user_idempotency_key)
    amount = Integer()
    currency = Varchar(length=3)
    status = Varchar(length=10, choices=PaymentStatus, default=PaymentStatus.PENDING)
    gateway_charge_id = Varchar(length=100, null=True, default=None)
    decline_code = Varchar(length=100, null=True, default=None)
    message = Varchar(length=300, null=True, default=None)
    card_fingerprint = Varchar(length=64, default="")
    outcome = Varchar(length=30, null=True, default=None)  # the ConfirmResult type, for replays
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    # scoped like Stripe's: one user's key can neither collide with nor reveal another's.
    # Key first, laid out like the global unique index it replaces: with ("user", key) first,
    # concurrent confirms' SERIALIZABLE claims aborted each other past the retry bound more
    # often in tests/api/test_burst.py under load (noisy: 3 of 4 runs against 0-1 of 4)
    unique_user_idempotency_key = Unique([idempotency_key, user])


class Booking(Table, tablename="booking"):
    id: Serial  # Piccolo adds the column; declared for type checkers
    show = ForeignKey(Show, on_delete=OnDelete.restrict, null=False, index=True)
    reservation = ForeignKey(Reservation, on_delete=OnDelete.restrict, null=False, unique=True)
    user = ForeignKey(AppUser, on_delete=OnDelete.restrict, null=False, index=True)
    payment = ForeignKey(Payment, on_delete=OnDelete.restrict, null=False)
    amount = Integer()
    currency = Varchar(length=3)
    created_at = Timestamptz(default=TimestamptzNow())


class Ticket(Table, tablename="ticket"):
    id: Serial  # Piccolo adds the column; declared for type checkers
    show = ForeignKey(Show, on_delete=OnDelete.restrict, null=False)
    booking = ForeignKey(Booking, on_delete=OnDelete.restrict, null=False, index=True)
    show_seat = ForeignKey(ShowSeat, on_delete=OnDelete.restrict, null=False, unique=True)
    seat_label = Varchar(length=10)
    nonce = UUID()
    qr_payload = Varchar(length=500)
    used_at = Timestamptz(null=True, default=None)


class Notification(Table, tablename="notification"):
    """Outbox: written in the transaction of the event it announces, delivered by a worker."""

    id: Serial  # Piccolo adds the column; declared for type checkers
    user = ForeignKey(AppUser, on_delete=OnDelete.restrict, null=False, index=True)
    show = ForeignKey(Show, on_delete=OnDelete.restrict, null=True, default=None)
    kind = Varchar(length=30)
    channel = Varchar(length=20, default="email")
    payload = JSONB(default={})
    status = Varchar(length=10, default=NotificationStatus.PENDING)
    attempts = Integer(default=0)
    last_error = Varchar(length=500, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)



class ShowCancellation(Table, tablename="show_cancellation"):
    """The record of a cancelled show: why, and what cancelShow did (its answer on a retry)."""

    id: Serial  # Piccolo adds the column; declared for type checkers
    show = ForeignKey(Show, on_delete=OnDelete.restrict, null=False, unique=True)
    reason = Varchar(length=500)
    released_holds = Integer()
    refunded_bookings = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
