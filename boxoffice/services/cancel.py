"""cancel_reservation: owner only, HELD -> CANCELLED and seats FREE; idempotent.

A confirmed reservation is returned unchanged: cancelling never releases a booked seat."""

from __future__ import annotations

from boxoffice import db
from boxoffice.auth import User
from boxoffice.services.deps import Deps
from boxoffice.services.jobs import cancel_expiry
from boxoffice.services.outcomes import CancelOutcome, ForbiddenOutcome, NotFoundOutcome
from boxoffice.services.reservations import get_reservation, release_hold
from boxoffice.services.reserve import parse_id
from boxoffice.services.seatevents import publish_reservation, publish_seat_changes


async def cancel_reservation(deps: Deps, user: User, reservation_id_raw: str) -> CancelOutcome:
    rid = parse_id(reservation_id_raw)
    existing = await get_reservation(rid) if rid else None
    if rid is None or existing is None:
        return NotFoundOutcome("No such reservation")
    if existing.user_id != user.id:
        return ForbiddenOutcome()
    if existing.status != "HELD":
        return existing
    released = await db.serializable(lambda conn: release_hold(conn, rid, "CANCELLED"))
    assert released is not None
    if released.freed:
        await publish_seat_changes(deps.redis, existing.show_id,
                                   [(lbl, "FREE") for lbl in released.freed], len(released.freed))
        await cancel_expiry(deps.arq, rid)
    await publish_reservation(deps.redis, released.reservation)
    return released.reservation
