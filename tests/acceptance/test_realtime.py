"""Subscriptions: seatMap (snapshot, then deltas with strictly increasing versions), queue,
reservation (owner only; someone else's looks like a missing one)."""

from __future__ import annotations

import pytest
from gql.transport.exceptions import TransportError, TransportQueryError

from tests.acceptance import ops
from tests.acceptance.conftest import SMALL_HALL, World
from tests.acceptance.support import subscribed
from tests.acceptance.test_booking import confirm, fill, reserve


def init(world: World, token: str | None = None) -> dict[str, str]:
    payload = {"apiKey": world.main.key}
    if token:
        payload["authorization"] = f"Bearer {token}"
    return payload


async def test_seat_map_snapshot_then_deltas_in_version_order(world: World) -> None:
    api, (a, b) = world.main, world.users(2)
    show_id = world.show()
    async with subscribed(api.server, init(world), ops.SEAT_MAP_SUB, {"showId": show_id}) as sub:
        first = (await sub.next())["seatMap"]
        assert first["showId"] == show_id and first["changes"] == []
        snapshot = first["snapshot"]
        assert snapshot["free"] == len(snapshot["seats"]) > 0 and snapshot["held"] == 0
        last = first["version"]
        r = await reserve(api, a, show_id, ["A-1", "A-2"])
        await reserve(api, b, show_id, ["B-5"])
        await confirm(api, a, r["id"], "acc-rt-1")
        seen: dict[str, str] = {}
        while seen != {"A-1": "BOOKED", "A-2": "BOOKED", "B-5": "HELD"}:
            event = (await sub.next(within=3.0))["seatMap"]
            assert event["version"] > last, (event, last)
            last = event["version"]
            if event["snapshot"] is not None:  # a resync is allowed; it replaces the map
                seen = {s["label"]: s["status"] for s in event["snapshot"]["seats"]
                        if s["status"] != "FREE"}
                assert event["changes"] == []
            for change in event["changes"]:
                if change["status"] == "FREE":
                    seen.pop(change["label"], None)
                else:
                    seen[change["label"]] = change["status"]


async def test_reservation_subscription_follows_its_status(world: World) -> None:
    api, (owner,) = world.main, world.users(1)
    show_id = world.show()
    r = await reserve(api, owner, show_id, ["C-1"])
    async with subscribed(api.server, init(world, owner), ops.RESERVATION_SUB,
                          {"id": r["id"]}) as sub:
        assert (await sub.next())["reservation"]["status"] == "HELD"
        await api(ops.CANCEL, {"id": r["id"]}, token=owner)
        event = (await sub.next(within=3.0))["reservation"]
        assert event == {"id": r["id"], "status": "CANCELLED", "seats": ["C-1"]}


async def first_outcome(world: World, token: str | None, reservation_id: str) -> str:
    try:
        async with subscribed(world.main.server, init(world, token), ops.RESERVATION_SUB,
                              {"id": reservation_id}) as sub:
            event = await sub.next(within=3.0)
            return f"event {event}"
    except TransportQueryError as exc:
        return f"error {(exc.errors or [{}])[0].get('extensions', {}).get('code')}"
    except (TransportError, TimeoutError) as exc:
        return f"{type(exc).__name__}"


async def test_someone_elses_reservation_subscription_looks_missing(world: World) -> None:
    owner, other = world.users(2)
    r = await reserve(world.main, owner, world.show(), ["C-2"])
    theirs = await first_outcome(world, other, r["id"])
    missing = await first_outcome(world, other, "987654321")
    assert theirs == missing, (theirs, missing)
    assert not theirs.startswith("event")


async def test_reservation_subscription_needs_a_bearer(world: World) -> None:
    (owner,) = world.users(1)
    r = await reserve(world.main, owner, world.show(), ["C-3"])
    with pytest.raises(TransportQueryError) as refused:
        async with subscribed(world.main.server, init(world), ops.RESERVATION_SUB,
                              {"id": r["id"]}) as sub:
            await sub.next()
    errors = refused.value.errors
    assert errors, f"refused without a GraphQL error: {refused.value!r}"
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_queue_subscription_announces_position_then_the_offer(world: World) -> None:
    api = world.main
    holders, (waiter,) = world.users(4), world.users(1)
    show_id = world.show(seats=SMALL_HALL)
    held = await fill(api, holders, show_id, [10, 10, 10, 10])
    queued = await reserve(api, waiter, show_id, ["A-1", "A-2"])
    assert queued["__typename"] == "Queued"
    async with subscribed(api.server, init(world, waiter), ops.QUEUE_SUB,
                          {"showId": show_id}) as sub:
        ticket = (await sub.next())["queue"]
        assert ticket["position"] == 1 and ticket["offer"] is None
        assert ticket["showId"] == show_id and ticket["seatsWanted"] == 2
        await api(ops.CANCEL, {"id": held[0]["id"]}, token=holders[0])
        while ticket["offer"] is None:
            ticket = (await sub.next(within=3.0))["queue"]
        assert ticket["offer"]["status"] == "HELD" and len(ticket["offer"]["seats"]) == 2
