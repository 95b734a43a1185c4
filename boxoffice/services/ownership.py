"""The one ownership rule: a caller sees and acts on only their own reservations and bookings.

Someone else's answers exactly like a missing one (docs/contract.md: reads are null, mutations
`NotFound`, the `reservation` subscription `NOT_FOUND`), so nothing reveals which ids exist.
Every caller-facing lookup by id goes through here — the `reservation` and `booking` reads,
`confirm`, `cancelReservation`, the `reservation` subscription — and gets None for a missing
id and someone else's alike. Ids arrive parsed: the API edge turns a GraphQL ID into an int with
`boxoffice.ids.parse_id` and answers an unparseable one as it answers None here. What is not
looked up by id needs no rule: `myBookings`, queue places and waiting-room tickets are read by
the caller's own user id.
"""

from __future__ import annotations

from boxoffice.services.bookings import get_booking
from boxoffice.services.outcomes import BookingView, NotFoundOutcome, ReservationView
from boxoffice.services.reservations import get_reservation

# what confirm and cancelReservation answer for a reservation that is missing, someone else's,
# or named by an id that does not parse
NO_SUCH_RESERVATION = NotFoundOutcome("No such reservation")


async def own_reservation(user_id: int, reservation_id: int) -> ReservationView | None:
    """The caller's reservation `reservation_id`, else None."""
    view = await get_reservation(reservation_id)
    return view if view is not None and view.user_id == user_id else None


async def own_booking(user_id: int, booking_id: int) -> BookingView | None:
    """The caller's booking `booking_id`, with its tickets, else None."""
    view = await get_booking(booking_id)
    return view if view is not None and view.user_id == user_id else None
