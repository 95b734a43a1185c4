"""Reading bookings with their tickets."""

from __future__ import annotations

import asyncpg

from boxoffice import db
from boxoffice.services.outcomes import BookingView, TicketView
from models.booking import Booking, Ticket

# get_booking ends confirm's hot transaction (the booking it answers with): raw asyncpg
_BOOKING = 'SELECT id, reservation, show, "user", amount, currency FROM booking WHERE id = $1'
_BOOKING_OF_RESERVATION = """SELECT id, reservation, show, "user", amount, currency
FROM booking WHERE reservation = $1"""
_TICKETS = "SELECT seat_label, qr_payload FROM ticket WHERE booking = $1 ORDER BY seat_label"


async def get_booking(booking_id: int, conn: asyncpg.Connection | None = None,
                      *, by_reservation: bool = False) -> BookingView | None:
    c = conn or db.pool()
    row = await c.fetchrow(_BOOKING_OF_RESERVATION if by_reservation else _BOOKING, booking_id)
    if row is None:
        return None
    tickets = await c.fetch(_TICKETS, row["id"])
    return BookingView(
        id=row["id"], reservation_id=row["reservation"], show_id=row["show"], user_id=row["user"],
        amount=row["amount"], currency=row["currency"],
        tickets=tuple(TicketView(t["seat_label"], t["qr_payload"]) for t in tickets),
    )


MAX_MY_BOOKINGS = 100


async def list_bookings(user_id: int, first: int) -> list[BookingView]:
    """The user's bookings, newest first (ties by id), at most `first` (the caller bounds it);
    two statements whatever the count."""
    b, tk = Booking, Ticket
    rows = await (b.select(b.id, b.reservation, b.show, b.user, b.amount, b.currency)
                  .where(b.user == user_id)
                  .order_by(b.created_at, b.id, ascending=False).limit(first))
    if not rows:
        return []
    tickets = await (tk.select(tk.booking, tk.seat_label, tk.qr_payload)
                     .where(tk.booking.is_in([r["id"] for r in rows]))
                     .order_by(tk.booking, tk.seat_label))
    by_booking: dict[int, list[TicketView]] = {}
    for t in tickets:
        by_booking.setdefault(t["booking"], []).append(TicketView(t["seat_label"], t["qr_payload"]))
    return [
        BookingView(id=r["id"], reservation_id=r["reservation"], show_id=r["show"],
                    user_id=r["user"], amount=r["amount"], currency=r["currency"],
                    tickets=tuple(by_booking.get(r["id"], ())))
        for r in rows
    ]
