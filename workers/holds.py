"""Seat-state jobs: a hold's expiry at its `expires_at`, the sweeper, the FREE-seat counters.

The deferred `expire_hold` job makes expiry punctual; the sweeper makes it certain: it rebuilds
from Postgres alone, so a lost job, a flushed Redis or a worker that was down never leaves a
seat stuck. Both call the same idempotent service (boxoffice.services.expiry).
"""

from __future__ import annotations

import logging
from typing import Any

from arq import Retry

from boxoffice import db
from boxoffice.logs import set_reservation
from boxoffice.services.expiry import expire_overdue, expire_reservation
from models.booking import SeatStatus
from workers.context import Ctx, deps_of

log = logging.getLogger(__name__)

async def expire_hold(ctx: Ctx, reservation_id: int) -> str:
    """Fires at the hold's expires_at (job id `expire:{id}`): HELD -> EXPIRED if still due."""
    set_reservation(reservation_id)  # in this job's log records
    try:
        handover = await expire_reservation(deps_of(ctx), reservation_id)
    except db.Busy as exc:
        # contention past the transaction's own retries: try again shortly (the sweeper would
        # get it within seconds anyway)
        raise Retry(defer=0.2) from exc
    if handover is None:
        return "not due"  # paid, cancelled, already expired, or a payment is in flight
    log.info("hold expired; %s offer(s) to the queue", len(handover.offers))
    return f"expired, {len(handover.offers)} offer(s)"


async def sweep_expired_holds(ctx: Ctx) -> int:
    """Cron, every 2 s, and once at worker start: expire every overdue hold."""
    lock = ctx["sweep_lock"]
    if lock.locked():  # the previous sweep is still busy with a large backlog
        return 0
    async with lock:
        count = await expire_overdue(deps_of(ctx))
    if count:
        log.info("sweeper expired %s overdue hold(s)", count)
    return count


# show.free_seats is adjusted after each commit (boxoffice.services.seatevents); a process that
# dies between commit and that update leaves it off. Recount, write only where it differs.
_RECONCILE = f"""
UPDATE show s SET free_seats = c.free
FROM (SELECT ss.show, count(*) FILTER (WHERE ss.status = '{SeatStatus.FREE}') AS free
      FROM show_seat ss WHERE ss.show IN ({{shows}}) GROUP BY ss.show) c
WHERE s.id = c.show AND s.free_seats <> c.free
"""
_RECENT = ("SELECT DISTINCT show FROM reservation "
           "WHERE updated_at > now() - make_interval(secs => $1)")
_UPCOMING = "SELECT id FROM show WHERE starts_at > now() - interval '6 hours'"


async def _reconcile(shows_sql: str, *args: Any) -> int:
    status = await db.pool().execute(_RECONCILE.format(shows=shows_sql), *args)
    fixed = int(status.split()[-1])
    if fixed:
        # usually a benign race with an in-flight after-commit delta; a crash leaves a real one
        log.info("free-seat counters corrected for %s show(s)", fixed)
    return fixed


async def reconcile_free_seats(ctx: Ctx, window_seconds: int = 60) -> int:
    """Cron, every 10 s: recount FREE seats of shows whose reservations changed recently."""
    return await _reconcile(_RECENT, window_seconds)


async def reconcile_all_free_seats(ctx: Ctx) -> int:
    """Cron, at start and every 10 minutes: recount every show that has not ended."""
    return await _reconcile(_UPCOMING)
