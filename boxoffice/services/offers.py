"""Offers: seats that come back go to the longest waiter whose request fits, in the very
transaction that frees them.

Every release (a hold or offer that lapses, a cancel) runs:
1. before the transaction: read the show's waiters from Redis (`read_waiters`). No Redis call
   happens inside the transaction: Redis cannot roll back with it, and a retried transaction
   must have no outside effects;
2. in the caller's SERIALIZABLE transaction (`release_and_offer`): release the hold, then walk
   the waiters in arrival order; each one whose seatsWanted fits the show's FREE seats gets an
   offer, a HELD reservation (`is_offer`, OFFER_SECONDS long, best seats by `choose_seats`) with
   its OFFER_MADE outbox row. A freed seat goes HELD (lapsed) -> HELD (offer) in one commit, so
   it is never FREE for someone who merely refreshed. Waiters that do not fit keep their place
   (skip-ahead); a waiter who already holds a live reservation for the show is skipped (the
   partial unique index `reservation_one_live_per_user_show`, via ON CONFLICT DO NOTHING);
3. after commit (`announce`): drop served waiters from the queue, publish seat, reservation and
   queue events, schedule the offers' expiry jobs, nudge the notification sender.

Several workers at once: there is no per-show owner. Seats are locked FOR UPDATE in label
order, writes carry `status = 'FREE'` (both in boxoffice.services.seatlock, shared with
reserve), and the transaction is SERIALIZABLE: two workers that pick the same seats for two
offers conflict, one fails with a serialization error and `db.serializable` reruns it on
fresh data, where those seats are no longer FREE. The waiter list may be stale by then; that
only costs an offer that lapses and passes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import asyncpg
from redis.asyncio import Redis

from boxoffice import db
from boxoffice.services import queue, seatlock
from boxoffice.services.alternatives import choose_seats
from boxoffice.services.deps import Deps
from boxoffice.services.jobs import schedule_expiry, schedule_notifications
from boxoffice.services.outcomes import ReservationView
from boxoffice.services.queue import Waiter
from boxoffice.services.reservations import Released, release_hold
from boxoffice.services.seatevents import (
    publish_queue_changed,
    publish_reservation,
    publish_seat_changes,
)
from boxoffice.settings import Settings
from models.booking import ReservationStatus, SeatStatus
from models.catalog import ShowStatus

log = logging.getLogger(__name__)

# bounds one transaction's work; waiters beyond it are served by the next release or by the
# worker's periodic queue pass (workers/queue.py)
MAX_OFFERS_PER_TRANSACTION = 50
MAX_WAITERS_READ = 1000
_OFFER_LOCK = 7301  # advisory lock class of make_offers (pg_advisory_xact_lock(class, show))


@dataclass(frozen=True)
class Handover:
    """What one transaction did: the released hold (if any) and the offers made."""

    show_id: int
    released: Released | None
    offers: tuple[ReservationView, ...] = ()


async def read_waiters(redis: Redis, show_id: int) -> list[Waiter]:
    """The show's waiters in arrival order; empty when Redis is unavailable.

    Seat state never depends on Redis: without the queue, seats simply go back to FREE.
    """
    try:
        return await queue.waiters(redis, show_id, MAX_WAITERS_READ)
    except Exception:
        log.exception("could not read the queue of show %s; releasing without offers", show_id)
        return []


async def _offer(conn: asyncpg.Connection, settings: Settings, show_id: int, currency: str,
                 user_id: int, labels: list[str]) -> ReservationView | None:
    """Hold `labels` for `user_id` as an offer; None when the user already holds seats (or,
    under READ COMMITTED, the show was cancelled since `make_offers` read it)."""
    seats = await seatlock.lock_seats(conn, show_id, labels)
    # chosen from a plain read: under SERIALIZABLE a change since then is a serialization
    # failure; under READ COMMITTED it shows here, and the transaction is retried all the same
    if seatlock.missing(seats, labels) or seatlock.not_free(seats):
        raise db.Conflict(f"offer seats of show {show_id} changed before their locks")
    row = await seatlock.insert_hold(
        conn, show_id=show_id, user_id=user_id, labels=labels, seats=seats, currency=currency,
        seconds=settings.offer_seconds, channel=settings.notification_channel, offer=True,
    )
    if row is None:  # reservation_one_live_per_user_show: this waiter holds seats already
        return None
    if row["updated"] != len(labels):
        raise RuntimeError(f"offer {row['id']} held {row['updated']} of {len(labels)} seats")
    return ReservationView(
        id=row["id"], show_id=show_id, user_id=user_id, seats=tuple(labels),
        status=ReservationStatus.HELD, expires_at=row["expires_at"],
        amount=sum(s["price"] for s in seats), currency=currency, is_offer=True,
    )


# the show's currency, and whether it still takes holds (under the offer lock, see below)
_UPCOMING = f"""SELECT currency, starts_at > now() AND status = '{ShowStatus.SCHEDULED}' AS upcoming
FROM show WHERE id = $1"""
_COUNT_FREE = f"SELECT count(*) FROM show_seat WHERE show = $1 AND status = '{SeatStatus.FREE}'"
_ADVISORY_LOCK = "SELECT pg_advisory_xact_lock($1, $2)"


async def make_offers(conn: asyncpg.Connection, settings: Settings, show_id: int,
                      waiters: Sequence[Waiter]) -> list[ReservationView]:
    """Inside a transaction: offer the show's FREE seats to waiters, first come first served,
    skipping those whose request does not fit."""
    if not waiters:
        return []
    # one offer-maker per show at a time: under READ COMMITTED the seat read below then sees
    # every release committed before it, so two releases at once cannot each see too few FREE
    # seats and leave a waiter who fits unserved (SERIALIZABLE would abort one of them instead)
    await conn.execute(_ADVISORY_LOCK, _OFFER_LOCK, show_id)
    show = await conn.fetchrow(_UPCOMING, show_id)
    if show is None or not show["upcoming"]:
        return []
    seats = await seatlock.seat_positions(conn, show_id)
    free = sum(1 for s in seats if s.free)
    offers: list[ReservationView] = []
    for waiter in waiters:
        if free == 0 or len(offers) >= MAX_OFFERS_PER_TRANSACTION:
            break
        if not 0 < waiter.seats_wanted <= free:
            continue  # skip-ahead: a bigger request keeps its place for a bigger return
        labels = sorted(choose_seats(seats, waiter.seats_wanted))
        view = await _offer(conn, settings, show_id, show["currency"], waiter.user_id, labels)
        if view is None:
            continue
        offers.append(view)
        taken = set(labels)
        seats = [replace(s, free=False) if s.label in taken else s for s in seats]
        free -= len(labels)
    return offers


async def release_and_offer(conn: asyncpg.Connection, settings: Settings, reservation_id: int,
                            new_status: str, waiters: Sequence[Waiter], *,
                            only_if_due: bool = False) -> Handover | None:
    """Inside a transaction: release a hold and hand what it freed to the waiters.

    None when nothing was released (see `release_hold`)."""
    released = await release_hold(conn, reservation_id, new_status, only_if_due=only_if_due)
    if released is None:
        return None
    show_id = released.reservation.show_id
    if not released.freed:
        return Handover(show_id, released)
    offers = await make_offers(conn, settings, show_id, waiters)
    return Handover(show_id, released, tuple(offers))


async def _leave_queue(deps: Deps, show_id: int, user_id: int) -> None:
    try:
        await queue.leave(deps.redis, show_id, user_id)
    except Exception:  # the waiter is skipped while the offer lives (one live hold per user)
        log.exception("could not remove served waiter %s from show %s's queue", user_id, show_id)


async def announce(deps: Deps, handover: Handover) -> None:
    """After commit: queue bookkeeping, events, expiry jobs and the notification nudge."""
    released, offers = handover.released, handover.offers
    freed = set(released.freed) if released else set()
    offered = {label for o in offers for label in o.seats}
    # a seat that went from the lapsed hold straight into an offer stays HELD: no event
    changes = [(lbl, SeatStatus.FREE) for lbl in sorted(freed - offered)]
    changes += [(lbl, SeatStatus.HELD) for lbl in sorted(offered - freed)]
    effects = [publish_seat_changes(deps.redis, handover.show_id, changes,
                                    len(freed) - len(offered))]
    if released is not None:
        effects.append(publish_reservation(deps.redis, released.reservation))
    for offer in offers:
        effects.append(_leave_queue(deps, handover.show_id, offer.user_id))
        effects.append(publish_reservation(deps.redis, offer))
        effects.append(schedule_expiry(deps.arq, offer.id, offer.expires_at))
    await asyncio.gather(*effects)
    if offers:
        # after the leaves, so every subscriber re-reads positions without the served waiters
        await publish_queue_changed(deps.redis, handover.show_id)
        await schedule_notifications(deps.arq)


async def offer_free_seats(deps: Deps, show_id: int) -> Handover:
    """Serve waiters from seats that are FREE now, without a release.

    The safety net for seats freed while the queue could not be read (Redis down, a crash
    between commit and announce): the worker runs it periodically for shows with waiters.
    """
    waiters = await read_waiters(deps.redis, show_id)
    if not waiters:
        return Handover(show_id, None)
    # cheap check first, outside any transaction: most passes find nothing that fits
    free = await db.pool().fetchval(_COUNT_FREE, show_id)
    if free < min(w.seats_wanted for w in waiters):
        return Handover(show_id, None)
    offers = await db.serializable(
        lambda conn: make_offers(conn, deps.settings, show_id, waiters)
    )
    handover = Handover(show_id, None, tuple(offers))
    if offers:
        await announce(deps, handover)
    return handover
