"""Hold expiry: the rules the expiry job and the sweeper call.

A hold lapses at `expires_at`, unless a payment is in flight for it (then at
`payment_pending_until`, a bounded grace). Expiring is idempotent: a reservation that is no
longer HELD, or not yet due, is left alone. What a lapsed hold frees goes to the waiting queue
in the same transaction (boxoffice.services.offers); offers lapse through this same path.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from boxoffice import db, metrics
from boxoffice.services.deps import Deps
from boxoffice.services.offers import Handover, announce, read_waiters, release_and_offer
from models.booking import ReservationStatus

log = logging.getLogger(__name__)

_DUE = f"""status = '{ReservationStatus.HELD}' AND expires_at <= now()
          AND (payment_pending_until IS NULL OR payment_pending_until <= now())"""
_DUE_SHOW = f"SELECT show FROM reservation WHERE id = $1 AND {_DUE}"
_OVERDUE = f"SELECT id, show FROM reservation WHERE {_DUE} ORDER BY expires_at LIMIT $1"


@metrics.booking("expiry")
async def expire_reservation(deps: Deps, reservation_id: int,
                             show_id: int | None = None) -> Handover | None:
    """Expire one reservation if it is due; returns what was released and offered, or None.

    `show_id`, when the caller knows it (the sweeper), saves the first read.
    """
    if show_id is None:
        # a cheap read first: most expiry jobs of paid or cancelled holds end here, and the
        # show is needed to read its waiters before (never inside) the transaction
        show_id = await db.pool().fetchval(_DUE_SHOW, reservation_id)
        if show_id is None:
            return None
    waiters = await read_waiters(deps.redis, show_id)
    # due is checked again under the row lock: a payment may have claimed the hold meanwhile
    handover = await db.serializable(
        lambda conn: release_and_offer(conn, deps.settings, reservation_id,
                                       ReservationStatus.EXPIRED, waiters, only_if_due=True)
    )
    if handover is None:
        return None
    await announce(deps, handover)
    return handover


async def overdue_reservations(limit: int = 500) -> list[tuple[int, int]]:
    """(reservation id, show id) of overdue holds, the longest overdue first."""
    rows = await db.pool().fetch(_OVERDUE, limit)
    return [(r["id"], r["show"]) for r in rows]


async def overdue_reservation_ids(limit: int = 500) -> list[int]:
    return [rid for rid, _ in await overdue_reservations(limit)]


async def _expire_show(deps: Deps, show_id: int, rids: list[int],
                       sem: asyncio.Semaphore) -> int:
    # one show's holds one after another: in parallel they would only conflict over the
    # show's seats (offers read them all) and burn serialization retries
    count = 0
    async with sem:
        for rid in rids:
            try:
                if await expire_reservation(deps, rid, show_id) is not None:
                    count += 1
            except db.Busy:
                log.warning("reservation %s: contention, left for the next sweep", rid)
            except Exception:
                log.exception("reservation %s could not be expired", rid)
    return count


async def expire_overdue(deps: Deps, limit: int = 500, concurrency: int = 8) -> int:
    """The sweeper: expire every overdue hold (after a crash, a lost job, a flushed Redis).

    Rebuilds purely from Postgres. Shows are swept in parallel, each show's holds in order.
    """
    total = 0
    sem = asyncio.Semaphore(concurrency)
    while True:
        batch = await overdue_reservations(limit)
        by_show: dict[int, list[int]] = defaultdict(list)
        for rid, show_id in batch:
            by_show[show_id].append(rid)
        done = sum(await asyncio.gather(*(_expire_show(deps, show_id, rids, sem)
                                          for show_id, rids in by_show.items())))
        total += done
        # a short batch was everything; no progress means the rest is stuck for now
        if len(batch) < limit or done == 0:
            return total
