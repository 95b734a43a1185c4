"""The caller-facing side of the waiting queue: position, ETR, the current offer, leaving."""

from __future__ import annotations

from boxoffice.services import queue
from boxoffice.services.deps import Deps
from boxoffice.services.outcomes import QueuedOutcome
from boxoffice.services.reservations import to_view
from boxoffice.services.seatevents import publish_queue_changed
from models.booking import Reservation, ReservationStatus


async def queue_ticket(deps: Deps, show_id: int, user_id: int) -> QueuedOutcome | None:
    """The waiter's ticket; a waiter holding a live offer keeps one with `offer` set."""
    r = Reservation
    offer_row = await (
        r.select(r.id, r.show, r.user, r.status, r.seat_labels, r.expires_at, r.amount,
                 r.currency, r.is_offer)
        .where((r.show == show_id) & (r.user == user_id) & (r.status == ReservationStatus.HELD)
               & (r.is_offer == True))  # noqa: E712
        .first())
    place = await queue.position(deps.redis, show_id, user_id)
    if offer_row is not None:
        pos, wants = place or (1, len(offer_row["seat_labels"]))
        return QueuedOutcome(show_id, pos, 0, wants, to_view(offer_row))
    if place is None:
        return None
    pos, wants = place
    etr = await queue.estimate_wait_seconds(deps.redis, show_id, user_id, wants,
                                            deps.settings.offer_seconds)
    return QueuedOutcome(show_id, pos, etr, wants)


async def leave_queue(deps: Deps, show_id: int, user_id: int) -> bool:
    left = await queue.leave(deps.redis, show_id, user_id)
    if left:
        await publish_queue_changed(deps.redis, show_id)
    return left
