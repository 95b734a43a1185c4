"""The waitingRoom subscription over a real websocket (uvicorn process, gql client)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError

from boxoffice import db
from boxoffice.services import waitingroom as room
from tests.api.booking_ops import operation
from tests.factories import make_show
from tests.realtime.support import graphql, subscribed

ROOM_SUB = operation("WaitingRoomSubscription")
JOIN = operation("JoinWaitingRoom")


async def test_the_subscription_tells_the_place_then_the_admission(servers, world):
    a, b = servers
    show = await make_show(rows=1, per_row=4)
    await db.pool().execute(
        "UPDATE show SET on_sale_at = now() + interval '1 hour' WHERE id = $1", show.show_id)
    fan, other = world.tokens[0], world.tokens[1]
    variables = {"showId": str(show.show_id)}
    await graphql(b.http, world.key, JOIN, variables, token=other)
    async with subscribed(a, world.init(fan), ROOM_SUB, variables) as sub:
        first = (await sub.next())["waitingRoom"]
        # subscribing joined the room: the draw now has two fans
        assert (first["position"], first["admitted"], first["admittedUntil"]) == (2, False, None)
        assert first["etrSeconds"] > 3000
        # the sale opens (no worker runs here: the subscription itself moves the line)
        await db.pool().execute(
            "UPDATE show SET on_sale_at = now() WHERE id = $1", show.show_id)
        events: list[dict[str, Any]] = []
        while not events or not events[-1]["admitted"]:
            events.append((await sub.next(within=20.0))["waitingRoom"])
        assert all(e["position"] >= 1 and not e["admitted"] for e in events[:-1])
        last = events[-1]
        assert last["position"] == 0 and last["etrSeconds"] == 0
        assert last["admittedUntil"] is not None
        await asyncio.wait_for(sub.done.wait(), 5)  # the admission ends the subscription


async def test_the_subscription_needs_a_user(servers, world):
    a, _ = servers
    show = await make_show(rows=1, per_row=2)
    async with subscribed(a, world.init(), ROOM_SUB, {"showId": str(show.show_id)}) as sub:
        with pytest.raises(TransportQueryError) as anonymous:
            await sub.next()
        assert anonymous.value.errors is not None
        assert anonymous.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_after_a_redis_wipe_the_subscription_puts_its_fan_back(servers, world, redis):
    a, _ = servers
    show = await make_show(rows=1, per_row=2)
    await db.pool().execute(
        "UPDATE show SET on_sale_at = now() + interval '1 hour' WHERE id = $1", show.show_id)
    fan = world.tokens[0]
    async with subscribed(a, world.init(fan), ROOM_SUB, {"showId": str(show.show_id)}) as sub:
        assert (await sub.next())["waitingRoom"]["position"] == 1
        await redis.flushdb()  # this test run's own Redis database
        line = room.line_key(show.show_id)
        deadline = asyncio.get_running_loop().time() + 20
        while await redis.zcard(line) == 0:  # the next re-read rejoins (within ~5 s)
            assert asyncio.get_running_loop().time() < deadline, "the fan was not put back"
            await asyncio.sleep(0.1)
        assert not sub.done.is_set() and sub.error is None
