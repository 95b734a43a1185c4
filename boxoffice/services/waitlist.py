"""The caller-facing side of the waiting queue: position, ETR, the current offer, leaving."""

from __future__ import annotations

from boxoffice import db
from boxoffice.services import queue
from boxoffice.services.deps import Deps
from boxoffice.services.outcomes import QueuedOutcome
from boxoffice.services.reservations import to_view
from boxoffice.services.seatevents import publish_queue_changed
from models.booking import ReservationStatus


async def queue_ticket(deps: Deps, show_id: int, user_id: int) -> QueuedOutcome | None:
    """The waiter's ticket; a waiter holding a live offer keeps one with `offer` set."""
    offer_row = await db.pool().fetchrow(
        f"""SELECT id, show, "user", status, seat_labels, expires_at, amount, currency, is_offer
           FROM reservation WHERE show = $1 AND "user" = $2 
             AND status = '{ReservationStatus.HELD}' AND is_offer""",
        show_id, user_id,
    )
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
