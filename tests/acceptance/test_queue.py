"""Queue and offers: freed seats go to the longest waiter whose seatsWanted fits, straight
from the lapsed hold (never FREE in between); unclaimed offers pass to the next waiter."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.acceptance import ops
from tests.acceptance.conftest import FAST_SECONDS, SMALL_HALL, World
from tests.acceptance.support import Api, eventually
from tests.acceptance.test_booking import confirm, fill, reserve


async def ticket(api: Api, token: str, show_id: str) -> dict[str, Any] | None:
    data = await api(ops.QUEUE_POSITION, {"showId": show_id}, token=token)
    return data["queuePosition"]  # type: ignore[no-any-return]


async def test_freed_seats_go_to_the_longest_waiter_who_fits(world: World) -> None:
    api = world.main
    holders, (big, small) = world.users(5), world.users(2)
    show_id = world.show(seats=SMALL_HALL)
    held = await fill(api, holders, show_id, [10, 10, 10, 9, 1])
    assert (await reserve(api, big, show_id, ["A-1", "A-2", "A-3"]))["position"] == 1
    assert (await reserve(api, small, show_id, ["A-1"]))["position"] == 2

    one = held[4]
    assert (await api(ops.CANCEL, {"id": one["id"]}, token=holders[4]))[
        "cancelReservation"]["status"] == "CANCELLED"

    async def small_offered() -> dict[str, Any] | None:
        t = await ticket(api, small, show_id)
        return t if t and t["offer"] else None

    offered = await eventually(small_offered, within=2.0)
    assert offered, await ticket(api, small, show_id)
    offer = offered["offer"]
    assert offer["status"] == "HELD" and offer["seats"] == one["seats"]
    assert offer["showId"] == show_id
    # the freed seat went straight to the waiter: never FREE for someone who refreshed
    seat_map = (await api(ops.SEAT_MAP, {"showId": show_id}))["seatMap"]
    assert seat_map["free"] == 0
    big_ticket = await ticket(api, big, show_id)
    assert big_ticket is not None and big_ticket["offer"] is None and big_ticket["position"] == 1

    booking = await confirm(api, small, offer["id"], "acc-offer-small")
    assert booking["__typename"] == "Booking" and booking["showId"] == show_id
    assert await ticket(api, small, show_id) is None  # the ticket lasts until they confirm

    nine = held[3]
    await api(ops.CANCEL, {"id": nine["id"]}, token=holders[3])

    async def big_offered() -> dict[str, Any] | None:
        t = await ticket(api, big, show_id)
        return t if t and t["offer"] else None

    got = await eventually(big_offered, within=2.0)
    assert got and len(got["offer"]["seats"]) == 3
    assert set(got["offer"]["seats"]) <= set(nine["seats"])


async def test_an_unclaimed_offer_passes_to_the_next_waiter(world: World) -> None:
    api = world.fast  # holds and offers last FAST_SECONDS
    holders, waiters = world.users(5), world.users(6)
    show_id = world.show(seats=SMALL_HALL)
    held = await asyncio.gather(*(reserve(api, token, show_id, [f"{row}-{n}" for n in range(1, 9)])
                                  for token, row in zip(holders, "ABCDE", strict=True)))
    assert all(r["__typename"] == "Reservation" for r in held), held
    wanted = [f"A-{n}" for n in range(1, 9)]
    for position, waiter in enumerate(waiters, start=1):
        q = await reserve(api, waiter, show_id, wanted)
        assert q["__typename"] == "Queued" and q["position"] == position, q

    async def offered(token: str) -> bool:
        t = await ticket(api, token, show_id)
        return bool(t and t["offer"] and t["offer"]["status"] == "HELD")

    # the holds lapse: the first five waiters get the seats, the sixth keeps waiting
    assert await eventually(lambda: offered(waiters[4]), within=FAST_SECONDS + 6, every=0.25)
    for w in waiters[:5]:
        assert await offered(w)
    sixth = await ticket(api, waiters[5], show_id)
    assert sixth is not None and sixth["offer"] is None
    # nobody claims: the offers lapse and the sixth waiter gets one
    assert await eventually(lambda: offered(waiters[5]), within=FAST_SECONDS + 6, every=0.25)
