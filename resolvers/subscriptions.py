"""Subscriptions: parse, check who may listen, stream a realtime feed as schema types.

The feeds (boxoffice/realtime/feeds.py) own ordering, resync and fan-out; this module only maps
their values. Objects built for one event are shared by every local subscriber of that show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from inspect import isawaitable
from typing import Any

import strawberry
from cachetools import LRUCache
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

from boxoffice.http.wsnext import CURRENT_SINK
from boxoffice.ids import parse_id
from boxoffice.lrucache import bounded
from boxoffice.realtime import feeds
from boxoffice.services.catalog import SeatMapSnapshot
from boxoffice.state import AppState
from resolvers.booking import reservation_type
from schema.context import Context
from schema.errors import NOT_FOUND, coded, show_id_arg
from schema.permissions import require_user
from schema.types import booking as t
from schema.types.catalog import SeatMap
from schema.types.enums import SeatStatus
from schema.types.realtime import SeatChange, SeatMapEvent

# last mapped snapshot / delta per show: with N local subscribers an event is mapped once
_SNAPSHOTS: LRUCache[int, tuple[SeatMapSnapshot, SeatMapEvent]] = bounded(5_000)
_DELTAS: LRUCache[int, tuple[feeds.SeatMapUpdate, SeatMapEvent]] = bounded(5_000)


def _state(info: Info[Context, None]) -> AppState:
    return info.context.state


def _event(u: feeds.SeatMapUpdate) -> SeatMapEvent:
    """The schema object for an update; the same object for every subscriber of the show, which
    is what lets SharedEventExecution execute it once."""
    sid = strawberry.ID(str(u.show_id))
    if u.snapshot is not None:
        memo = _SNAPSHOTS.get(u.show_id)
        if memo is None or memo[0] is not u.snapshot:
            event = SeatMapEvent(show_id=sid, version=u.version,
                                 snapshot=SeatMap.from_snapshot(u.snapshot), changes=[])
            memo = (u.snapshot, event)
            _SNAPSHOTS[u.show_id] = memo
        return memo[1]
    delta = _DELTAS.get(u.show_id)
    if delta is None or delta[0] != u:  # equal version *and* changes (ids recur in tests)
        changes = [SeatChange(label=lbl, status=SeatStatus(st)) for lbl, st in u.changes]
        delta = (u, SeatMapEvent(show_id=sid, version=u.version, snapshot=None,
                                 changes=changes))
        _DELTAS[u.show_id] = delta
    return delta[1]


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    """Executes a seat-map event once for every local subscriber with the same document.

    graphql-core runs the selection set of a subscription once per event *per subscriber*; a
    snapshot is ~1,800 fields (~20 ms), so a thousand subscribers resyncing would cost 20 s of
    event loop. A SeatMapEvent is the same object for every subscriber of a show (see
    `_event`) and depends on no user, so the result for (event, parsed document, variables)
    is computed once and shared. ParserCache hands every identical query text the same
    document, so clients sending the same operation share; others simply execute their own.
    Queue and reservation events are per user and are never shared.
    """

    def execute_operation(self, serially: bool | None = None) -> Any:
        payload = self.root_value
        if not isinstance(payload, SeatMapEvent):
            return super().execute_operation(serially)
        variables = tuple(sorted((k, repr(v)) for k, v in self.variable_values.coerced.items()))
        key = (id(payload), id(self.operation), variables)
        hit = _RESULTS.get(key)
        # identity checks: ids are only unique while the objects live, the memo keeps them
        if hit is not None and hit[0] is payload and hit[1] is self.operation:
            return hit[2]
        result = super().execute_operation(serially)
        if isawaitable(result):
            result = asyncio.ensure_future(result)  # awaited by every sharing subscriber
        # an LRU: clearing everything made subscribers of the event being fanned out right now
        # miss and render it again
        _RESULTS[key] = (payload, self.operation, result)
        return result


_ResultKey = tuple[int, int, tuple[tuple[str, str], ...]]  # (event id, document id, variables)
_RESULTS: LRUCache[_ResultKey, tuple[Any, Any, Any]] = bounded(256)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The show's seat map: a full snapshot first, then changes in version order; "
        "a fresh snapshot after any gap."
    )
    async def seat_map(self, info: Info[Context, None],
                       show_id: strawberry.ID) -> AsyncGenerator[SeatMapEvent, None]:
        sid = show_id_arg(show_id)
        state = _state(info)
        sink = CURRENT_SINK.get()  # over graphql-transport-ws (boxoffice/http/wsnext.py)
        try:
            async with aclosing(feeds.seat_map_updates(state.realtime.hub, state.redis,
                                                       sid)) as updates:
                first = True
                async for update in updates:
                    event = _event(update)
                    # an event another subscriber of this document already got is written
                    # as those bytes; the first one of each goes the ordinary way
                    if not first and sink is not None and await sink.send(event):
                        continue
                    if sink is not None:
                        sink.pending = event
                    first = False
                    yield event
        except feeds.UnknownShow:
            raise coded(f"no show {sid}", NOT_FOUND, field="showId") from None

    @strawberry.subscription(
        description="The caller's place in the show's queue: now, and on every change "
        "(position, ETR, the offer when their turn comes). Ends when they stop waiting."
    )
    async def queue(self, info: Info[Context, None],
                    show_id: strawberry.ID) -> AsyncGenerator[t.QueueTicket, None]:
        user = require_user(info)
        sid = show_id_arg(show_id)
        state = _state(info)
        async with aclosing(feeds.queue_updates(state.realtime.hub, state.deps, sid,
                                                user.id)) as tickets:
            async for v in tickets:
                yield t.QueueTicket(
                    show_id=strawberry.ID(str(v.show_id)), position=v.position,
                    etr_seconds=v.etr_seconds, seats_wanted=v.seats_wanted,
                    offer=reservation_type(v.offer) if v.offer else None,
                )

    @strawberry.subscription(
        description="The caller's reservation as it is now, then each status change, "
        "until it is CONFIRMED, CANCELLED or EXPIRED (owner only)."
    )
    async def reservation(self, info: Info[Context, None],
                          id: strawberry.ID) -> AsyncGenerator[t.Reservation, None]:
        user = require_user(info)
        rid = parse_id(id)
        if rid is None:
            raise coded("no such reservation", NOT_FOUND, field="id")
        try:
            async with aclosing(feeds.reservation_updates(_state(info).realtime.hub, rid,
                                                          user.id)) as views:
                async for view in views:
                    yield reservation_type(view)
        except feeds.UnknownReservation:  # missing or someone else's
            raise coded("no such reservation", NOT_FOUND, field="id") from None
