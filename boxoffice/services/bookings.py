"""Reading bookings with their tickets."""

from __future__ import annotations

import asyncpg

from boxoffice import db
from boxoffice.services.outcomes import BookingView, TicketView


async def get_booking(booking_id: int, conn: asyncpg.Connection | None = None,
                      *, by_reservation: bool = False) -> BookingView | None:
    c = conn or db.pool()
    column = "reservation" if by_reservation else "id"
    row = await c.fetchrow(
        f"""SELECT id, reservation, show, "user", amount, currency FROM booking
            WHERE {column} = $1""",
        booking_id,
    )
    if row is None:
        return None
    tickets = await c.fetch(
        "SELECT seat_label, qr_payload FROM ticket WHERE booking = $1 ORDER BY seat_label",
        row["id"],
    )
    return BookingView(
        id=row["id"], reservation_id=row["reservation"], show_id=row["show"], user_id=row["user"],
        amount=row["amount"], currency=row["currency"],
        tickets=tuple(TicketView(t["seat_label"], t["qr_payload"]) for t in tickets),
    )
