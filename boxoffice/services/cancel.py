"""cancel_reservation: owner only, HELD -> CANCELLED and seats FREE; idempotent. Another
user's reservation answers NotFound, exactly like a missing one (boxoffice.services.ownership).

A confirmed reservation is returned unchanged: cancelling never releases a booked seat. The
freed seats go to the waiting queue in the same transaction (boxoffice.services.offers), so a
cancel hands seats to waiters exactly like an expiry does."""

from __future__ import annotations

from boxoffice import db, metrics
from boxoffice.auth import User
from boxoffice.services.deps import Deps
from boxoffice.services.jobs import cancel_expiry
from boxoffice.services.offers import announce, read_waiters, release_and_offer
from boxoffice.services.outcomes import CancelOutcome
from boxoffice.services.ownership import NO_SUCH_RESERVATION, own_reservation
from models.booking import ReservationStatus


@metrics.booking("cancel")
async def cancel_reservation(deps: Deps, user: User, reservation_id: int) -> CancelOutcome:
    existing = await own_reservation(user.id, reservation_id)
    if existing is None:
        return NO_SUCH_RESERVATION
    rid = existing.id
    if existing.status != ReservationStatus.HELD:
        return existing
    waiters = await read_waiters(deps.redis, existing.show_id)  # before, never inside, the txn
    handover = await db.serializable(
        lambda conn: release_and_offer(conn, deps.settings, rid, ReservationStatus.CANCELLED,
                                       waiters)
    )
    assert handover is not None and handover.released is not None
    if handover.released.freed:
        await cancel_expiry(deps.arq, rid)
    await announce(deps, handover)
    return handover.released.reservation


@metrics.booking("cancel")
async def cancel_unknown_reservation() -> CancelOutcome:
    """The answer to a reservation id the API edge could not parse: the one for a missing
    reservation, counted like any other cancel."""
    return NO_SUCH_RESERVATION
