"""The one ownership rule: a caller sees and acts on only their own reservations and bookings.

Someone else's answers exactly like a missing one (docs/contract.md: reads are null, mutations
`NotFound`, the `reservation` subscription `NOT_FOUND`), so nothing reveals which ids exist.
Every caller-facing lookup by id goes through here — the `reservation` and `booking` reads,
`confirm`, `cancelReservation`, the `reservation` subscription — and gets None for a bad id, a
missing one and someone else's alike. What is not looked up by id needs no rule: `myBookings`,
queue places and waiting-room tickets are read by the caller's own user id.
"""

from __future__ import annotations

from boxoffice.ids import parse_id
from boxoffice.services.bookings import get_booking
from boxoffice.services.outcomes import BookingView, ReservationView
from boxoffice.services.reservations import get_reservation


async def own_reservation(user_id: int, raw_id: object) -> ReservationView | None:
    """The caller's reservation `raw_id` (a GraphQL ID or an int), else None."""
    rid = parse_id(raw_id)
    view = await get_reservation(rid) if rid is not None else None
    return view if view is not None and view.user_id == user_id else None


async def own_booking(user_id: int, raw_id: object) -> BookingView | None:
    """The caller's booking `raw_id` (a GraphQL ID or an int), with its tickets, else None."""
    bid = parse_id(raw_id)
    view = await get_booking(bid) if bid is not None else None
    return view if view is not None and view.user_id == user_id else None
