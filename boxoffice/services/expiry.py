"""Hold expiry: the rules the expiry job and the sweeper call.

A hold lapses at `expires_at`, unless a payment is in flight for it (then at
`payment_pending_until`, a bounded grace). Expiring is idempotent: a reservation that is no
longer HELD, or not yet due, is left alone.
"""

from __future__ import annotations

from boxoffice import db
from boxoffice.services.deps import Deps
from boxoffice.services.reservations import Released, release_hold
from boxoffice.services.seatevents import publish_reservation, publish_seat_changes

_DUE = """status = 'HELD' AND expires_at <= now()
          AND (payment_pending_until IS NULL OR payment_pending_until <= now())"""


async def expire_reservation(deps: Deps, reservation_id: int) -> Released | None:
    """Expire one reservation if it is due; returns what was released, or None."""

    async def run(conn):  # type: ignore[no-untyped-def]
        due = await conn.fetchval(f"SELECT 1 FROM reservation WHERE id = $1 AND {_DUE}",
                                  reservation_id)
        if not due:
            return None
        return await release_hold(conn, reservation_id, "EXPIRED")

    released: Released | None = await db.serializable(run)
    if released is not None and released.freed:
        await publish_seat_changes(deps.redis, released.reservation.show_id,
                                   [(lbl, "FREE") for lbl in released.freed], len(released.freed))
    if released is not None and released.reservation.status == "EXPIRED":
        await publish_reservation(deps.redis, released.reservation)
    return released


async def overdue_reservation_ids(limit: int = 500) -> list[int]:
    rows = await db.pool().fetch(
        f"SELECT id FROM reservation WHERE {_DUE} ORDER BY expires_at LIMIT $1", limit
    )
    return [r["id"] for r in rows]


async def expire_overdue(deps: Deps, limit: int = 500) -> int:
    """The sweeper: expire every overdue hold (after a crash, a lost job, a flushed Redis)."""
    count = 0
    for rid in await overdue_reservation_ids(limit):
        if await expire_reservation(deps, rid) is not None:
            count += 1
    return count
