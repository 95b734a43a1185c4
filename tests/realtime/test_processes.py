"""Subscriptions across two real uvicorn processes sharing Postgres and Redis (gql client).

A subscriber on process A must see what is reserved through process B's HTTP endpoint within a
second, numbered without gaps; after a lost event or a severed Redis connection it must get a
fresh snapshot and carry on.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from gql.transport.exceptions import TransportQueryError

from boxoffice.services.seatcache import version_key
from tests.api.booking_ops import CANCEL, RESERVE
from tests.factories import make_show
from tests.realtime.support import SEAT_MAP, Server, World, graphql, sever_hub, subscribed

RESERVATION_SUB = """subscription R($id: ID!) { reservation(id: $id) { id status seats } }"""
QUEUE_SUB = """subscription Q($showId: ID!) { queue(showId: $showId) {
  position seatsWanted etrSeconds offer { id seats status } } }"""


async def reserve(server: Server, w: World, token: str, show_id: int,
                  seats: list[str]) -> dict[str, object]:
    data = await graphql(server.http, w.key, RESERVE,
                         {"input": {"showId": str(show_id), "seats": seats}}, token=token)
    return data["reserve"]  # type: ignore[no-any-return]


async def test_a_reserve_through_b_reaches_a_subscriber_on_a_within_a_second(servers, world):
    a, b = servers
    show = await make_show(rows=4, per_row=5)
    async with subscribed(a, world.init(), SEAT_MAP, {"showId": str(show.show_id)}) as sub:
        first = (await sub.next())["seatMap"]
        assert first["changes"] == [] and first["snapshot"]["free"] == 20
        assert first["snapshot"]["version"] == first["version"]
        last = first["version"]
        for token, seats in zip(world.tokens, [["A-1", "A-2"], ["B-3"], ["C-1", "C-2", "C-3"]],
                                strict=False):
            started = time.monotonic()
            r = await reserve(b, world, token, show.show_id, seats)
            assert r["__typename"] == "Reservation"
            event = (await sub.next(within=1.0))["seatMap"]
            assert time.monotonic() - started < 1.0
            assert event["version"] == last + 1 and event["snapshot"] is None
            assert sorted(c["label"] for c in event["changes"]) == sorted(seats)
            assert {c["status"] for c in event["changes"]} == {"HELD"}
            last = event["version"]


async def test_a_lost_event_gets_the_subscriber_a_fresh_snapshot(servers, world, redis):
    a, b = servers
    show = await make_show(rows=2, per_row=5)
    async with subscribed(a, world.init(), SEAT_MAP, {"showId": str(show.show_id)}) as sub:
        last = (await sub.next())["seatMap"]["version"]
        await redis.incr(version_key(show.show_id))  # a version nobody will ever receive
        await reserve(b, world, world.tokens[0], show.show_id, ["A-4"])
        event = (await sub.next(within=2.0))["seatMap"]
        assert event["snapshot"] is not None and event["changes"] == []
        assert event["version"] == last + 2
        held = {s["label"] for s in event["snapshot"]["seats"] if s["status"] == "HELD"}
        assert held == {"A-4"}
        await reserve(b, world, world.tokens[1], show.show_id, ["B-1"])
        event = (await sub.next(within=1.0))["seatMap"]
        assert event["version"] == last + 3 and event["changes"] == [
            {"label": "B-1", "status": "HELD"}]


async def test_a_severed_redis_connection_recovers_with_a_fresh_snapshot(servers, world, redis):
    a, b = servers
    show = await make_show(rows=2, per_row=5)
    async with subscribed(a, world.init(), SEAT_MAP, {"showId": str(show.show_id)}) as sub:
        last = (await sub.next())["seatMap"]["version"]
        assert await sever_hub(redis, a.proc.pid) >= 1
        event = (await sub.next(within=5.0))["seatMap"]
        assert event["snapshot"] is not None and event["version"] > last
        last = event["version"]
        await reserve(b, world, world.tokens[0], show.show_id, ["A-1"])
        event = (await sub.next(within=1.0))["seatMap"]
        assert event["version"] == last + 1 and event["changes"] == [
            {"label": "A-1", "status": "HELD"}]


async def test_reservation_subscription_is_for_its_owner_and_follows_its_status(servers, world):
    a, b = servers
    show = await make_show(rows=2, per_row=5)
    owner, other = world.tokens[0], world.tokens[1]
    r = await reserve(b, world, owner, show.show_id, ["A-1", "A-2"])
    variables = {"id": r["id"]}
    async with subscribed(a, world.init(other), RESERVATION_SUB, variables) as sub:
        with pytest.raises(TransportQueryError) as forbidden:
            await sub.next()
        assert forbidden.value.errors is not None
        # someone else's reservation answers exactly like a missing one
        assert forbidden.value.errors[0]["extensions"]["code"] == "NOT_FOUND"
    async with subscribed(a, world.init(), RESERVATION_SUB, variables) as sub:
        with pytest.raises(TransportQueryError) as anonymous:
            await sub.next()
        assert anonymous.value.errors is not None
        assert anonymous.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    async with subscribed(a, world.init(owner), RESERVATION_SUB, variables) as sub:
        assert (await sub.next())["reservation"]["status"] == "HELD"
        await graphql(b.http, world.key, CANCEL, {"id": r["id"]}, token=owner)
        event = (await sub.next(within=1.0))["reservation"]
        assert event == {"id": r["id"], "status": "CANCELLED", "seats": ["A-1", "A-2"]}
        await asyncio.wait_for(sub.done.wait(), 2)  # a final status ends the subscription


async def test_queue_subscription_announces_the_offer(servers, world):
    a, b = servers
    show = await make_show(rows=1, per_row=2)
    holder, waiter = world.tokens[0], world.tokens[1]
    held = await reserve(b, world, holder, show.show_id, ["A-1", "A-2"])
    queued = await reserve(b, world, waiter, show.show_id, ["A-1"])
    assert queued["__typename"] == "Queued" and queued["position"] == 1
    async with subscribed(a, world.init(waiter), QUEUE_SUB,
                          {"showId": str(show.show_id)}) as sub:
        ticket = (await sub.next())["queue"]
        assert ticket["position"] == 1 and ticket["offer"] is None
        await graphql(b.http, world.key, CANCEL, {"id": held["id"]}, token=holder)
        ticket = (await sub.next(within=2.0))["queue"]
        assert ticket["offer"] is not None and ticket["offer"]["status"] == "HELD"
        assert len(ticket["offer"]["seats"]) == 1
