"""myBookings: the caller's bookings, newest first, bounded, owner only."""

from __future__ import annotations

from tests.api.booking_ops import CONFIRM, RESERVE, operation
from tests.factories import make_show

MY_BOOKINGS = operation("MyBookings")


async def book(api, token: str, show_id: int, seats: list[str], key: str) -> str:
    held = (await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}},
                      token=token))["reserve"]
    assert held["__typename"] == "Reservation", held
    booked = (await api(CONFIRM, {"input": {"reservationId": held["id"], "paymentToken": "tok_visa",
                                            "idempotencyKey": key}}, token=token))["confirm"]
    assert booked["__typename"] == "Booking", booked
    return booked["id"]  # type: ignore[no-any-return]


async def test_my_bookings_are_mine_newest_first(api):
    shows = [await make_show(rows=1, per_row=4, name=f"S{i}") for i in range(3)]
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    assert (await api(MY_BOOKINGS, token=alice))["myBookings"] == []
    mine = [await book(api, alice, s.show_id, ["A-1", "A-2"], f"a{i}")
            for i, s in enumerate(shows)]
    theirs = await book(api, bob, shows[0].show_id, ["A-3"], "b0")
    listed = (await api(MY_BOOKINGS, token=alice))["myBookings"]
    assert [b["id"] for b in listed] == list(reversed(mine))
    assert theirs not in {b["id"] for b in listed}
    assert [t["seat"] for t in listed[0]["tickets"]] == ["A-1", "A-2"]
    assert listed[0]["showId"] == str(shows[2].show_id) and listed[0]["amount"] == 40000
    assert all(t["qrPayload"] and t["qrSvg"].startswith("<svg") for t in listed[0]["tickets"])
    two = (await api(MY_BOOKINGS, {"first": 2}, token=alice))["myBookings"]
    assert [b["id"] for b in two] == list(reversed(mine))[:2]
    assert [b["id"] for b in (await api(MY_BOOKINGS, token=bob))["myBookings"]] == [theirs]


async def test_my_bookings_needs_a_user_and_a_bounded_first(api):
    anonymous = await api.raw(MY_BOOKINGS)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    alice = await api.token("alice@example.com")
    for first in (0, -1, 101):
        bad = await api.raw(MY_BOOKINGS, {"first": first}, token=alice)
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", first
    assert (await api(MY_BOOKINGS, {"first": 100}, token=alice))["myBookings"] == []
