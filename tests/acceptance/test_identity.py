"""Identity: the API key on everything, the bearer on user operations, someone else's object
answers exactly like a missing one, roles answer FORBIDDEN."""

from __future__ import annotations

from typing import Any

import pytest
from gql.transport.exceptions import TransportError, TransportQueryError

from tests.acceptance import ops
from tests.acceptance.conftest import World
from tests.acceptance.support import Api, codes, subscribed
from tests.acceptance.test_booking import confirm, reserve, statuses


def unauthenticated(status: int, body: dict[str, Any] | None) -> bool:
    if status == 401:
        return True
    return status < 500 and body is not None and "UNAUTHENTICATED" in codes(body) and not (
        body.get("data") or {}).get("reserve")


async def call(api: Api, query: str, variables: dict[str, Any] | None = None,
               token: str | None = None, key: Any = None) -> tuple[int, dict[str, Any] | None]:
    resp = await api.post(query, variables, token=token, key=key)
    try:
        body = resp.json()
    except ValueError:
        body = None
    return resp.status_code, body


@pytest.mark.parametrize("key", [None, "", "not-a-key", "bo_" + "x" * 40])
async def test_missing_or_wrong_key_is_unauthenticated(api: Api, key: str | None) -> None:
    status, body = await call(api, ops.CITIES, key=key)
    assert unauthenticated(status, body), (status, body)


async def test_without_a_key_a_mutation_executes_nothing(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    show_id = world.show()
    status, body = await call(api, ops.RESERVE, {"input": {"showId": show_id, "seats": ["A-1"]}},
                              token=fan, key="wrong-key")
    assert unauthenticated(status, body), (status, body)
    assert (await statuses(api, show_id))["A-1"] == "FREE"
    # the same user may still hold one reservation for this show: the refused call left none
    assert (await reserve(api, fan, show_id, ["A-2"]))["__typename"] == "Reservation"


USER_OPERATIONS = [
    (ops.RESERVE, {"input": {"showId": "1", "seats": ["A-1"]}}),
    (ops.CONFIRM, {"input": {"reservationId": "1", "paymentToken": "tok_visa",
                             "idempotencyKey": "k"}}),
    (ops.CANCEL, {"id": "1"}),
    (ops.LEAVE_QUEUE, {"showId": "1"}),
    (ops.RESERVATION, {"id": "1"}),
    (ops.BOOKING, {"id": "1"}),
    (ops.QUEUE_POSITION, {"showId": "1"}),
]


@pytest.mark.parametrize(("query", "variables"), USER_OPERATIONS,
                         ids=["reserve", "confirm", "cancelReservation", "leaveQueue",
                              "reservation", "booking", "queuePosition"])
@pytest.mark.parametrize("bearer", [None, "not-a-token"])
async def test_user_operations_need_a_bearer(api: Api, query: str, variables: dict,
                                             bearer: str | None) -> None:
    body = await api.raw(query, variables, token=bearer)
    assert codes(body) and codes(body)[0] == "UNAUTHENTICATED", body


async def test_my_bookings_needs_a_bearer(api: Api) -> None:
    body = await api.raw(ops.MY_BOOKINGS, {})
    assert codes(body) and codes(body)[0] == "UNAUTHENTICATED", body


async def test_someone_elses_reservation_and_booking_look_missing(world: World) -> None:
    api, (owner, other) = world.main, world.users(2)
    show_id = world.show()
    held = await reserve(api, owner, show_id, ["A-1"])
    to_book = await reserve(api, owner, world.show(), ["A-2"])
    booking = await confirm(api, owner, to_book["id"], "acc-owner-1")
    missing = "987654321"

    for query, variables, field in (
            (ops.RESERVATION, {"id": held["id"]}, "reservation"),
            (ops.BOOKING, {"id": booking["id"]}, "booking")):
        theirs = await api.raw(query, variables, token=other)
        absent = await api.raw(query, {"id": missing}, token=other)
        assert theirs == absent == {"data": {field: None}}, (theirs, absent)

    theirs = (await api(ops.CANCEL, {"id": held["id"]}, token=other))["cancelReservation"]
    absent = (await api(ops.CANCEL, {"id": missing}, token=other))["cancelReservation"]
    assert theirs["__typename"] == absent["__typename"] == "NotFound"
    assert theirs["message"].replace(held["id"], "X") == absent["message"].replace(missing, "X")

    variables = {"reservationId": held["id"], "paymentToken": "tok_visa", "idempotencyKey": "o"}
    theirs = (await api(ops.CONFIRM, {"input": variables}, token=other))["confirm"]
    variables = {**variables, "reservationId": missing}
    absent = (await api(ops.CONFIRM, {"input": variables}, token=other))["confirm"]
    assert theirs["__typename"] == absent["__typename"] == "NotFound"
    # and nothing happened to the owner's hold
    mine = (await api(ops.RESERVATION, {"id": held["id"]}, token=owner))["reservation"]
    assert mine["status"] == "HELD"


async def test_browse_needs_the_key_only(api: Api, world: World) -> None:
    show_id = world.shows[-1]["showId"]
    for query, variables in ((ops.CITIES, {}), (ops.MOVIES, {}),
                             (ops.CINEMAS, {"city": "Delhi"}),
                             (ops.SEARCH, {"input": {"first": 1}}),
                             (ops.SHOW, {"id": show_id}), (ops.SEAT_MAP, {"showId": show_id})):
        body = await api.raw(query, variables)
        assert not body.get("errors"), body


async def test_websocket_without_a_key_is_refused(world: World) -> None:
    show_id = world.shows[-1]["showId"]
    with pytest.raises((TransportError, TransportQueryError, OSError)):
        async with subscribed(world.main.server, {}, ops.SEAT_MAP_SUB,
                              {"showId": show_id}) as sub:
            await sub.next(within=5)
    with pytest.raises((TransportError, TransportQueryError, OSError)):
        async with subscribed(world.main.server, {"apiKey": "wrong"}, ops.SEAT_MAP_SUB,
                              {"showId": show_id}) as sub:
            await sub.next(within=5)


async def test_websocket_with_a_key_gets_the_seat_map(world: World) -> None:
    show_id = world.shows[-1]["showId"]
    async with subscribed(world.main.server, {"apiKey": world.main.key}, ops.SEAT_MAP_SUB,
                          {"showId": show_id}) as sub:
        first = (await sub.next())["seatMap"]
        assert first["snapshot"] is not None and first["showId"] == show_id
