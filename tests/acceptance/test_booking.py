"""reserve (all or nothing, SeatsTaken, Queued, the 10-seat cap), confirm, cancel, expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.acceptance import ops
from tests.acceptance.conftest import FAST_SECONDS, SMALL_HALL, World
from tests.acceptance.support import Api, eventually


async def reserve(api: Api, token: str, show_id: str, seats: list[str]) -> dict[str, Any]:
    data = await api(ops.RESERVE, {"input": {"showId": show_id, "seats": seats}}, token=token)
    return data["reserve"]  # type: ignore[no-any-return]


async def confirm(api: Api, token: str, reservation_id: str, key: str,
                  card: str = "tok_visa") -> dict[str, Any]:
    data = await api(ops.CONFIRM, {"input": {"reservationId": reservation_id,
                                             "paymentToken": card, "idempotencyKey": key}},
                     token=token)
    return data["confirm"]  # type: ignore[no-any-return]


async def statuses(api: Api, show_id: str) -> dict[str, str]:
    seat_map = (await api(ops.SEAT_MAP, {"showId": show_id}))["seatMap"]
    return {s["label"]: s["status"] for s in seat_map["seats"]}


async def seat_map_shows(api: Api, show_id: str, expected: dict[str, str]) -> bool:
    """`seatMap` shows `expected` within 1 s (the contract's bound after a mutation's answer)."""

    async def check() -> bool:
        now = await statuses(api, show_id)
        return all(now[label] == status for label, status in expected.items())

    return bool(await eventually(check, within=1.0, every=0.05))


def labels(n: int, rows: str = "ABCDE", per_row: int = 8) -> list[str]:
    return [f"{r}-{i}" for r in rows for i in range(1, per_row + 1)][:n]


async def fill(api: Api, tokens: list[str], show_id: str, sizes: list[int]) -> list[dict]:
    """Hold the first sum(sizes) seats of a small hall, one reservation per size."""
    everything = labels(sum(sizes))
    held, start = [], 0
    for token, size in zip(tokens, sizes, strict=True):
        r = await reserve(api, token, show_id, everything[start:start + size])
        assert r["__typename"] == "Reservation", r
        held.append(r)
        start += size
    return held


async def test_reserve_holds_every_seat_with_amount_and_expiry(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    show_id = world.show(seats=200)
    prices = {s["label"]: s["price"] for s in
              (await api(ops.SEAT_MAP, {"showId": show_id}))["seatMap"]["seats"]}
    before = datetime.now(UTC)
    r = await reserve(api, fan, show_id, ["J-12", "J-13", "A-1"])
    assert r["__typename"] == "Reservation"
    assert r["showId"] == show_id and sorted(r["seats"]) == ["A-1", "J-12", "J-13"]
    assert r["status"] == "HELD" and r["currency"] == "INR"
    assert r["amount"] == prices["J-12"] + prices["J-13"] + prices["A-1"]
    expires = datetime.fromisoformat(r["expiresAt"])
    assert expires.tzinfo is not None
    assert timedelta(seconds=290) < expires - before < timedelta(seconds=310)
    assert await seat_map_shows(api, show_id, {"J-12": "HELD", "J-13": "HELD", "A-1": "HELD"})
    again = (await api(ops.RESERVATION, {"id": r["id"]}, token=fan))["reservation"]
    assert again == {k: r[k] for k in again}

    async def show_counts_the_hold() -> bool:
        show = (await api(ops.SHOW, {"id": show_id}))["show"]
        return bool(show["availableSeats"] == 197 and show["totalSeats"] == 200)

    assert await eventually(show_counts_the_hold, within=3.0, every=0.25)  # ~2 s stale at most


async def test_reserve_is_all_or_nothing_and_offers_alternatives_of_the_same_count(
        world: World) -> None:
    api, (first, second) = world.main, world.users(2)
    show_id = world.show()
    assert (await reserve(api, first, show_id, ["E-5"]))["__typename"] == "Reservation"
    taken = await reserve(api, second, show_id, ["E-4", "E-5", "E-6"])
    assert taken["__typename"] == "SeatsTaken"
    assert taken["seats"] == ["E-5"]
    alternatives = taken["alternatives"]
    assert len(alternatives) == 3 == len(set(alternatives))
    now = await statuses(api, show_id)
    assert all(now[label] == "FREE" for label in alternatives)
    assert now["E-4"] == "FREE" and now["E-6"] == "FREE"  # nothing held by the refused request
    # a nearly empty hall has three adjacent seats in one row: "adjacent where possible"
    rows = {label.split("-")[0] for label in alternatives}
    numbers = sorted(int(label.split("-")[1]) for label in alternatives)
    assert len(rows) == 1 and numbers == list(range(numbers[0], numbers[0] + 3)), alternatives
    took = await reserve(api, second, show_id, alternatives)
    assert took["__typename"] == "Reservation" and sorted(took["seats"]) == sorted(alternatives)


async def test_ten_seats_is_the_cap(world: World) -> None:
    api, (fan, other) = world.main, world.users(2)
    show_id = world.show(seats=200)
    eleven = await api.raw(ops.RESERVE, {"input": {"showId": show_id,
                                                   "seats": [f"B-{i}" for i in range(1, 12)]}},
                           token=fan)
    refused(eleven)
    assert all(s == "FREE" for s in (await statuses(api, show_id)).values())
    ten = await reserve(api, other, show_id, [f"B-{i}" for i in range(1, 11)])
    assert ten["__typename"] == "Reservation" and len(ten["seats"]) == 10


def refused(body: dict[str, Any]) -> None:
    """A request the contract calls bad: InvalidRequest, or a coded BAD_USER_INPUT/NOT_FOUND."""
    if body.get("errors"):
        assert body["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "NOT_FOUND"}, body
    else:
        assert body["data"]["reserve"]["__typename"] == "InvalidRequest", body


async def test_bad_seat_lists_are_refused_and_hold_nothing(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    show_id = world.show()
    for seats in ([], ["C-1", "C-1"], ["C-1", "Z-99"], ["C-1", "nonsense"], ["C-0"]):
        body = await api.raw(ops.RESERVE, {"input": {"showId": show_id, "seats": seats}},
                             token=fan)
        refused(body)
    assert all(s == "FREE" for s in (await statuses(api, show_id)).values())


async def test_reserve_on_an_unknown_show_is_refused(world: World) -> None:
    (fan,) = world.users(1)
    for show_id in ("987654321", "not-an-id"):
        body = await world.main.raw(ops.RESERVE, {"input": {"showId": show_id,
                                                            "seats": ["A-1"]}}, token=fan)
        refused(body)


async def test_sold_out_queues_first_come_first_served(world: World) -> None:
    api = world.main
    holders, waiters = world.users(4), world.users(2)
    show_id = world.show(seats=SMALL_HALL)
    await fill(api, holders, show_id, [10, 10, 10, 10])
    first = await reserve(api, waiters[0], show_id, ["A-1", "A-2"])
    assert first["__typename"] == "Queued"
    assert first["showId"] == show_id and first["position"] == 1 and first["seatsWanted"] == 2
    assert first["etrSeconds"] >= 0
    second = await reserve(api, waiters[1], show_id, ["C-3"])
    assert second["__typename"] == "Queued" and second["position"] == 2
    ticket = (await api(ops.QUEUE_POSITION, {"showId": show_id}, token=waiters[1]))
    ticket = ticket["queuePosition"]
    assert ticket["position"] == 2 and ticket["seatsWanted"] == 1 and ticket["offer"] is None
    assert await api(ops.LEAVE_QUEUE, {"showId": show_id}, token=waiters[0]) == {
        "leaveQueue": True}
    assert (await api(ops.QUEUE_POSITION, {"showId": show_id},
                      token=waiters[0]))["queuePosition"] is None
    ticket = (await api(ops.QUEUE_POSITION, {"showId": show_id}, token=waiters[1]))
    assert ticket["queuePosition"]["position"] == 1


async def test_seats_taken_not_queued_while_enough_seats_are_free(world: World) -> None:
    api = world.main
    holders, (late,) = world.users(4), world.users(1)
    show_id = world.show(seats=SMALL_HALL)
    await fill(api, holders, show_id, [10, 10, 10, 8])  # E-7, E-8 stay free
    r = await reserve(api, late, show_id, ["A-1", "A-2"])
    assert r["__typename"] == "SeatsTaken"
    assert sorted(r["alternatives"]) == ["E-7", "E-8"]
    r = await reserve(api, late, show_id, ["A-1", "A-2", "A-3"])
    assert r["__typename"] == "Queued" and r["seatsWanted"] == 3


async def test_confirm_books_with_tickets_and_the_seat_map_says_booked(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    show_id = world.show()
    r = await reserve(api, fan, show_id, ["A-1", "A-2"])
    booking = await confirm(api, fan, r["id"], "acc-order-1")
    assert booking["__typename"] == "Booking"
    assert booking["reservationId"] == r["id"] and booking["showId"] == show_id
    assert booking["amount"] == r["amount"] and booking["currency"] == r["currency"]
    assert sorted(t["seat"] for t in booking["tickets"]) == ["A-1", "A-2"]
    assert all(t["qrPayload"] and "<svg" in t["qrSvg"] for t in booking["tickets"])
    assert await seat_map_shows(api, show_id, {"A-1": "BOOKED", "A-2": "BOOKED"})
    status = (await api(ops.RESERVATION, {"id": r["id"]}, token=fan))["reservation"]["status"]
    assert status == "CONFIRMED"
    read = (await api(ops.BOOKING, {"id": booking["id"]}, token=fan))["booking"]
    assert read["id"] == booking["id"] and read["amount"] == booking["amount"]


async def test_confirm_replays_the_same_result_for_the_same_idempotency_key(
        world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    show_id = world.show()
    r = await reserve(api, fan, show_id, ["A-7"])
    results = await asyncio.gather(*(confirm(api, fan, r["id"], "acc-replay") for _ in range(3)))
    results.append(await confirm(api, fan, r["id"], "acc-replay"))
    assert all(x["__typename"] == "Booking" for x in results), results
    assert len({x["id"] for x in results}) == 1
    assert len({t["qrPayload"] for x in results for t in x["tickets"]}) == 1


async def test_a_declined_card_books_nothing_and_replays_the_decline(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    show_id = world.show()
    r = await reserve(api, fan, show_id, ["B-3"])
    declined = await confirm(api, fan, r["id"], "acc-declined", card="tok_chargeDeclined")
    assert declined["__typename"] == "PaymentDeclined" and declined["message"]
    assert await confirm(api, fan, r["id"], "acc-declined", card="tok_chargeDeclined") == declined
    assert (await statuses(api, show_id))["B-3"] != "BOOKED"
    status = (await api(ops.RESERVATION, {"id": r["id"]}, token=fan))["reservation"]["status"]
    assert status != "CONFIRMED"


async def test_cancel_frees_the_seats(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    show_id = world.show()
    r = await reserve(api, fan, show_id, ["D-7", "D-8"])
    assert await seat_map_shows(api, show_id, {"D-7": "HELD", "D-8": "HELD"})
    cancelled = (await api(ops.CANCEL, {"id": r["id"]}, token=fan))["cancelReservation"]
    assert cancelled["__typename"] == "Reservation" and cancelled["status"] == "CANCELLED"
    assert cancelled["id"] == r["id"]
    assert await seat_map_shows(api, show_id, {"D-7": "FREE", "D-8": "FREE"})
    status = (await api(ops.RESERVATION, {"id": r["id"]}, token=fan))["reservation"]["status"]
    assert status == "CANCELLED"


async def test_a_lapsed_hold_expires_and_confirm_answers_reservation_expired(
        world: World) -> None:
    api, (fan,) = world.fast, world.users(1)
    show_id = world.show()
    r = await reserve(api, fan, show_id, ["C-4", "C-5"])
    assert r["__typename"] == "Reservation"

    async def expired() -> bool:
        got = (await api(ops.RESERVATION, {"id": r["id"]}, token=fan))["reservation"]
        return bool(got["status"] == "EXPIRED")

    assert await eventually(expired, within=FAST_SECONDS + 6, every=0.25)
    assert await seat_map_shows(api, show_id, {"C-4": "FREE", "C-5": "FREE"})
    late = await confirm(api, fan, r["id"], "acc-late")
    assert late["__typename"] == "ReservationExpired" and late["reservationId"] == r["id"]
