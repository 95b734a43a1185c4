"""What each subscription streams, as plain values: resolvers only map them to schema types.

Every feed subscribes through the hub *before* reading the state it starts from, so nothing
published in between is missed; an event older than that state is recognised (by version, or
by re-reading) and skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from redis.asyncio import Redis

from boxoffice.events import queue_channel, reservation_channel, seats_channel
from boxoffice.realtime.hub import Hub
from boxoffice.realtime.local import RESYNC
from boxoffice.services.deps import Deps
from boxoffice.services.outcomes import QueuedOutcome, ReservationView
from boxoffice.services.ownership import own_reservation
from boxoffice.services.seatcache import SeatMapSnapshot, get_seat_map
from boxoffice.services.seatevents import bump_version_above
from boxoffice.services.showclosed import is_closed_message, seat_map_closed
from boxoffice.services.waitlist import queue_ticket
from models.booking import ReservationStatus

FINAL_STATUSES = frozenset({ReservationStatus.CONFIRMED, ReservationStatus.CANCELLED,
                            ReservationStatus.EXPIRED})


class UnknownShow(LookupError):
    pass


class UnknownReservation(LookupError):
    """Missing or someone else's: the two answer alike (boxoffice.services.ownership)."""


@dataclass(frozen=True)
class SeatMapUpdate:
    show_id: int
    version: int
    snapshot: SeatMapSnapshot | None  # set on the first update and after every resync
    changes: tuple[tuple[str, str], ...] = ()


async def _snapshot(redis: Redis, show_id: int, after: int | None) -> SeatMapUpdate:
    """A snapshot update whose version is greater than `after` (the last version sent)."""
    for _ in range(3):
        view = await get_seat_map(redis, show_id)
        if view is None:
            raise UnknownShow(show_id)
        if after is None or view.version > after:
            return SeatMapUpdate(show_id, view.version, view)
        # nothing changed since the last event (e.g. a reconnect): move the version on, once
        # for all resyncing subscribers, so versions stay strictly increasing for the client
        await bump_version_above(redis, show_id, after)
    raise RuntimeError(f"show {show_id}: version did not advance past {after}")


async def seat_map_updates(hub: Hub, redis: Redis,
                           show_id: int) -> AsyncGenerator[SeatMapUpdate, None]:
    """A snapshot, then deltas numbered last+1, last+2, ...; a snapshot again after any gap,
    overflow or upstream loss. Ends when the show is cancelled (services/showclosed.py)."""
    async with hub.subscribe(seats_channel(show_id)) as inbox:
        update = await _snapshot(redis, show_id, None)
        yield update
        last = update.version
        # a cancelled show's map is closed: end after what is already in the inbox
        closed = await seat_map_closed(redis, show_id)
        while True:
            if closed and inbox.empty():
                return
            item = await inbox.get()
            if is_closed_message(item):
                return
            if item is RESYNC:
                # rendering a snapshot costs ~1,800 GraphQL fields: after a reconnect, spread
                # this process's subscribers out rather than render them all at once
                await asyncio.sleep(hub.resync_delay())
                update = await _snapshot(redis, show_id, last)
                closed = closed or await seat_map_closed(redis, show_id)  # maybe lost meanwhile
            else:
                version = int(item["version"])  # type: ignore[index]
                if version <= last:
                    continue  # already part of the snapshot we sent
                if version == last + 1:
                    changes = tuple((c["label"], c["status"]) for c in item["changes"])  # type: ignore[index]
                    update = SeatMapUpdate(show_id, version, None, changes)
                else:
                    # a lost event: the cache already includes this one, so the snapshot's
                    # version is at least `version`
                    update = await _snapshot(redis, show_id, last)
            yield update
            last = update.version


async def queue_updates(hub: Hub, deps: Deps, show_id: int,
                        user_id: int) -> AsyncGenerator[QueuedOutcome, None]:
    """The caller's queue ticket now and whenever it changes; ends when they are no longer
    waiting (left, confirmed their offer, or the offer lapsed)."""
    async with hub.subscribe(queue_channel(show_id)) as inbox:
        last: QueuedOutcome | None = None
        while True:
            ticket = await queue_ticket(deps, show_id, user_id)
            if ticket is None:
                return
            if ticket != last:
                yield ticket
                last = ticket
            await inbox.get()
            inbox.drain()  # a burst of "queue changed" needs one re-read, not one each


async def reservation_updates(hub: Hub, reservation_id: int,
                              user_id: int) -> AsyncGenerator[ReservationView, None]:
    """The reservation as it is now, then each change of it, until a final status."""

    async def current() -> ReservationView:
        view = await own_reservation(user_id, reservation_id)
        if view is None:
            raise UnknownReservation(reservation_id)
        return view

    # the channel carries the show's hash tag: read the reservation once to learn its show
    show_id = (await current()).show_id
    async with hub.subscribe(reservation_channel(show_id, reservation_id)) as inbox:
        last: ReservationView | None = None
        while True:
            # Postgres is the truth; an event only says "look again" (read after subscribing)
            view = await current()
            if view != last:
                yield view
                last = view
            if view.status in FINAL_STATUSES:
                return
            await inbox.get()
            inbox.drain()
