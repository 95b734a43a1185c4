"""Show.onSaleAt/status, myBookings newest first, minAdjacentSeats, the on-sale waiting room."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.acceptance import ops
from tests.acceptance.conftest import World
from tests.acceptance.support import Api, cli, eventually, subscribed
from tests.acceptance.test_booking import confirm, reserve
from tests.acceptance.test_import import catalog, imported, write


async def test_show_status_and_on_sale_at(world: World) -> None:
    show_id = world.show()
    show = (await world.main(ops.SHOW_STATUS, {"id": show_id}))["show"]
    assert show == {"id": show_id, "onSaleAt": None, "status": "SCHEDULED"}
    await world.main(ops.CANCEL_SHOW, {"showId": show_id, "reason": "status check"},
                     key=world.admin_key)
    show = (await world.main(ops.SHOW_STATUS, {"id": show_id}))["show"]
    assert show["status"] == "CANCELLED"


async def test_my_bookings_newest_first(world: World) -> None:
    api, (fan, other) = world.main, world.users(2)
    ids = []
    for n, show_id in enumerate((world.show(), world.show(),
                                 world.show())):
        r = await reserve(api, fan, show_id, [f"C-{n + 1}"])
        ids.append((await confirm(api, fan, r["id"], f"acc-mine-{n}"))["id"])
    mine = (await api(ops.MY_BOOKINGS, {}, token=fan))["myBookings"]
    assert [b["id"] for b in mine] == ids[::-1]
    assert [b["id"] for b in (await api(ops.MY_BOOKINGS, {"first": 2}, token=fan))[
        "myBookings"]] == ids[::-1][:2]
    assert (await api(ops.MY_BOOKINGS, {}, token=other))["myBookings"] == []


async def adjacent_search(api: Api, n: int, **more: Any) -> dict[str, Any]:
    found = await api(ops.SEARCH, {"input": {"city": "Bangalore", "minAdjacentSeats": n,
                                             "first": 100, **more}})
    return found["search"]  # type: ignore[no-any-return]


async def test_min_adjacent_seats_filters_shows(world: World) -> None:
    api = world.main
    # the demo's only rows of 9+ seats side by side are at PVR Forum (an aisle splits 20)
    wide = await adjacent_search(api, 9)
    assert wide["edges"]
    assert {e["node"]["cinema"]["name"] for e in wide["edges"]} == {"PVR Forum"}
    none = await adjacent_search(api, 21)
    assert none["totalCount"] == 0 and none["edges"] == []
    some = await adjacent_search(api, 2)
    everything = (await api(ops.SEARCH, {"input": {"city": "Bangalore",
                                                   "first": 100}}))["search"]
    assert 0 < some["totalCount"] <= everything["totalCount"]


async def test_min_adjacent_seats_follows_holds(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    show_id = world.show(seats=50, city="Bangalore")  # PVR Forum Screen 2: 5 rows of 10
    forum = {"postalCode": "560095", "radiusKm": 1.0}
    found = await adjacent_search(api, 10, **forum)
    assert show_id in {e["node"]["showId"] for e in found["edges"]}
    held = await reserve(api, fan, show_id, [f"{row}-5" for row in "ABCDE"])
    assert held["__typename"] == "Reservation"

    async def gone() -> bool:
        found = await adjacent_search(api, 6, **forum)
        return show_id not in {e["node"]["showId"] for e in found["edges"]}

    assert await eventually(gone, within=4.0, every=0.25)  # "may be ~2 s stale"
    found = await adjacent_search(api, 5, **forum)
    assert show_id in {e["node"]["showId"] for e in found["edges"]}


async def wait_until(instant: datetime) -> None:
    await asyncio.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))


async def test_waiting_room_before_and_at_the_on_sale(world: World, tmp_path: Path) -> None:
    api = world.main  # ADMISSION_RATE=1: one fan a second, the room stays full a while
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    on_sale = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=12)
    content = catalog(starts, on_sale)
    for entry in content["shows"]:
        entry["id"] += "-room"
    done = cli("import", str(write(tmp_path, "room.json", content)))
    assert done.returncode == 0, done.stderr[-2000:]
    show_id = imported(done.stdout)["acc-s2-room"]
    show = (await api(ops.SHOW_STATUS, {"id": show_id}))["show"]
    assert datetime.fromisoformat(show["onSaleAt"]) == on_sale and show["status"] == "SCHEDULED"

    fans, (outsider, watcher) = world.users(6), world.users(2)
    early = await api.raw(ops.RESERVE_ROOM, {"input": {"showId": show_id, "seats": ["A-1"]}},
                          token=fans[0])
    assert early["data"]["reserve"]["__typename"] == "InvalidRequest", early
    tickets: list[dict[str, Any]] = []
    for fan in [*fans, watcher]:
        t = (await api(ops.JOIN_ROOM, {"showId": show_id}, token=fan))["joinWaitingRoom"]
        assert t["showId"] == show_id and t["admitted"] is False and t["admittedUntil"] is None
        tickets.append(t)
    # idempotent: the caller's current ticket, not a second place (the lottery has not run,
    # so the place may be reported differently; it is one of the 7 who joined)
    again = (await api(ops.JOIN_ROOM, {"showId": show_id}, token=fans[0]))["joinWaitingRoom"]
    assert again["admitted"] is False and 1 <= again["position"] <= len(tickets)
    assert again["showId"] == show_id

    async with subscribed(api.server, {"apiKey": api.key, "authorization": f"Bearer {watcher}"},
                          ops.WAITING_ROOM_SUB, {"showId": show_id}) as sub:
        first = (await sub.next())["waitingRoom"]
        assert first["showId"] == show_id and first["admitted"] is False
        await wait_until(on_sale + timedelta(seconds=0.3))
        refused = await api.raw(ops.RESERVE_ROOM, {"input": {"showId": show_id,
                                                             "seats": ["B-1"]}}, token=outsider)
        if refused["data"]["reserve"]["__typename"] != "NotAdmitted":
            now = [(await api(ops.JOIN_ROOM, {"showId": show_id}, token=f))["joinWaitingRoom"]
                   for f in fans]
            raise AssertionError(f"{refused} {datetime.now(UTC)} {on_sale} {now}")
        assert refused["data"]["reserve"]["showId"] == show_id
        # after the lottery everybody has a place 1..7; one fan a second is admitted
        event = first
        deadline = time.monotonic() + 20
        while not event["admitted"] and time.monotonic() < deadline:
            event = (await sub.next(within=deadline - time.monotonic()))["waitingRoom"]
        assert event["admitted"] is True and event["position"] == 0
        until = datetime.fromisoformat(event["admittedUntil"])
        assert timedelta(seconds=590) < until - datetime.now(UTC) < timedelta(
            seconds=610)
    got = await api.raw(ops.RESERVE_ROOM, {"input": {"showId": show_id, "seats": ["B-2"]}},
                        token=watcher)
    assert got["data"]["reserve"]["__typename"] == "Reservation", got
    for fan in fans:
        t = (await api(ops.JOIN_ROOM, {"showId": show_id}, token=fan))["joinWaitingRoom"]
        assert t["admitted"] == (t["position"] == 0)
