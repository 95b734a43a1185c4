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


MAX_MY_BOOKINGS = 100


async def list_bookings(user_id: int, first: int) -> list[BookingView]:
    """The user's bookings, newest first (ties by id), at most `first` (the caller bounds it);
    two statements whatever the count."""
    p = db.pool()
    rows = await p.fetch(
        """SELECT id, reservation, show, "user", amount, currency FROM booking
           WHERE "user" = $1 ORDER BY created_at DESC, id DESC LIMIT $2""",
        user_id, first,
    )
    if not rows:
        return []
    tickets = await p.fetch(
        """SELECT booking, seat_label, qr_payload FROM ticket WHERE booking = ANY($1::int[])
           ORDER BY booking, seat_label""",
        [r["id"] for r in rows],
    )
    by_booking: dict[int, list[TicketView]] = {}
    for t in tickets:
        by_booking.setdefault(t["booking"], []).append(TicketView(t["seat_label"], t["qr_payload"]))
    return [
        BookingView(id=r["id"], reservation_id=r["reservation"], show_id=r["show"],
                    user_id=r["user"], amount=r["amount"], currency=r["currency"],
                    tickets=tuple(by_booking.get(r["id"], ())))
        for r in rows
    ]
