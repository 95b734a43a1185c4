"""A cancelled show's seat map is closed: live subscribers (on another process) get the freed
seats and then the end of the subscription; later subscribers get a snapshot and the end."""

from __future__ import annotations

import asyncio

from boxoffice.auth import create_api_key
from tests.api.booking_ops import RESERVE
from tests.api.ticketing import CANCEL_SHOW
from tests.factories import make_show
from tests.realtime.support import SEAT_MAP, graphql, subscribed

QUEUE_SUB = """subscription Q($showId: ID!) { queue(showId: $showId) { position } }"""


async def test_cancel_show_ends_seat_map_and_queue_subscriptions(servers, world):
    a, b = servers
    show = await make_show(rows=1, per_row=2)
    sid = str(show.show_id)
    admin = await create_api_key("ops", role="admin")
    held = await graphql(a.http, world.key, RESERVE,
                         {"input": {"showId": sid, "seats": ["A-1", "A-2"]}},
                         token=world.tokens[0])
    assert held["reserve"]["__typename"] == "Reservation"
    queued = await graphql(a.http, world.key, RESERVE, {"input": {"showId": sid,
                                                                  "seats": ["A-1"]}},
                           token=world.tokens[1])
    assert queued["reserve"]["__typename"] == "Queued"

    async with subscribed(b, world.init(), SEAT_MAP, {"showId": sid}) as seats, \
            subscribed(b, world.init(world.tokens[1]), QUEUE_SUB, {"showId": sid}) as waiting:
        first = (await seats.next())["seatMap"]
        assert first["snapshot"]["held"] == 2
        assert (await waiting.next())["queue"]["position"] == 1
        cancelled = await graphql(a.http, admin, CANCEL_SHOW, {"showId": sid, "reason": "Storm"})
        assert cancelled["cancelShow"]["releasedHolds"] == 1
        change = (await seats.next())["seatMap"]
        assert change["version"] == first["version"] + 1
        assert change["changes"] == [{"label": "A-1", "status": "FREE"},
                                     {"label": "A-2", "status": "FREE"}]
        await asyncio.wait_for(seats.done.wait(), 5)
        assert seats.error is None and seats.events.empty()
        await asyncio.wait_for(waiting.done.wait(), 5)
        assert waiting.error is None

    async with subscribed(b, world.init(), SEAT_MAP, {"showId": sid}) as late:
        snapshot = (await late.next())["seatMap"]["snapshot"]
        assert snapshot["free"] == 2 and snapshot["held"] == 0
        await asyncio.wait_for(late.done.wait(), 5)
        assert late.error is None


async def test_cancelling_a_show_without_holds_still_moves_its_version_and_ends(servers, world):
    a, b = servers
    show = await make_show(rows=1, per_row=2)
    sid = str(show.show_id)
    admin = await create_api_key("ops", role="admin")
    async with subscribed(b, world.init(), SEAT_MAP, {"showId": sid}) as seats:
        first = (await seats.next())["seatMap"]
        await graphql(a.http, admin, CANCEL_SHOW, {"showId": sid, "reason": "Storm"})
        bump = (await seats.next())["seatMap"]
        assert bump["version"] == first["version"] + 1 and bump["changes"] == []
        await asyncio.wait_for(seats.done.wait(), 5)
        assert seats.error is None
