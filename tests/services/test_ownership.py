"""The one ownership rule (boxoffice/services/ownership.py): the caller's own reservation or
booking, and None for someone else's exactly as for a missing id."""

from __future__ import annotations

from typing import Any

from boxoffice.auth import get_or_create_user
from boxoffice.services.ownership import own_booking, own_reservation
from tests.api.booking_ops import CANCEL, CONFIRM
from tests.api.test_my_bookings import book
from tests.factories import make_show

MISSING = "987654321"


async def test_only_the_owner_finds_their_reservation_and_booking(api: Any) -> None:
    show = await make_show(rows=1, per_row=4)
    booking_id = await book(api, await api.token("owner@example.com"), show.show_id, ["A-1"],
                            "own-1")
    owner = await get_or_create_user("owner@example.com")
    other = await get_or_create_user("other@example.com")
    booking = await own_booking(owner.id, int(booking_id))
    assert booking is not None and booking.user_id == owner.id
    reservation = await own_reservation(owner.id, booking.reservation_id)
    assert reservation is not None and reservation.status == "CONFIRMED"
    for rid in (booking.reservation_id, int(MISSING)):
        assert await own_reservation(other.id, rid) is None, rid
    for bid in (int(booking_id), int(MISSING)):
        assert await own_booking(other.id, bid) is None, bid
    # malformed ids never get here: the API edge parses them (tests/api/test_bad_ids.py)


async def test_mutations_on_someone_elses_hold_answer_as_for_a_missing_one(api: Any) -> None:
    show = await make_show(rows=1, per_row=4)
    owner, other = await api.token("owner@example.com"), await api.token("other@example.com")
    held = (await api("""mutation($s: ID!) { reserve(input: {showId: $s, seats: ["A-1"]}) {
                           ... on Reservation { id } } }""", {"s": str(show.show_id)},
                      token=owner))["reserve"]
    for rid in (held["id"], MISSING):
        cancel = await api(CANCEL, {"id": rid}, token=other)
        assert cancel == {"cancelReservation": {"__typename": "NotFound",
                                                "message": "No such reservation"}}, cancel
        pay = {"reservationId": rid, "paymentToken": "tok_visa", "idempotencyKey": f"k{rid}"}
        confirm = (await api(CONFIRM, {"input": pay}, token=other))["confirm"]
        assert (confirm["__typename"], confirm["message"]) == ("NotFound", "No such reservation")
    mine = await own_reservation((await get_or_create_user("owner@example.com")).id,
                                 int(held["id"]))
    assert mine is not None and mine.status == "HELD"  # untouched
