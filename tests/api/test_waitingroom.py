"""The on-sale waiting room and the Show on-sale fields through the GraphQL API."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from boxoffice import db
from boxoffice.services import waitingroom as room
from tests.api.booking_ops import RESERVE, operation
from tests.factories import make_show

JOIN = operation("JoinWaitingRoom")
SHOW = operation("Show")


def slow_admission(app: Any, seconds: int = 600) -> None:
    """One admission at opening, then none for ages: deterministic tests."""
    state = app.state.boxoffice
    state.settings = replace(state.settings, admission_rate=0.001, admission_seconds=seconds)


async def on_sale(show_id: int, at: str) -> None:
    await db.pool().execute(
        "UPDATE show SET on_sale_at = now() + $2::text::interval WHERE id = $1", show_id, at)
    room.clear_room_shows()


async def join(api, token: str, show_id: int) -> dict[str, Any]:
    return (await api(JOIN, {"showId": str(show_id)}, token=token))["joinWaitingRoom"]


async def reserve(api, token: str, show_id: int, seats: list[str]) -> dict[str, Any]:
    data = await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}}, token=token)
    return data["reserve"]  # type: ignore[no-any-return]


async def test_before_on_sale_reserve_is_refused_and_fans_join_the_room(api, app):
    slow_admission(app)
    show = await make_show(rows=1, per_row=4)
    await on_sale(show.show_id, "1 hour")
    fan = await api.token("fan@example.com")
    refused = await reserve(api, fan, show.show_id, ["A-1"])
    assert refused["__typename"] == "InvalidRequest" and refused["field"] == "showId"
    assert "open at" in refused["message"]
    ticket = await join(api, fan, show.show_id)
    assert ticket["showId"] == str(show.show_id)
    assert (ticket["position"], ticket["admitted"], ticket["admittedUntil"]) == (1, False, None)
    assert ticket["etrSeconds"] >= 3500
    assert await join(api, fan, show.show_id) == ticket  # idempotent
    data = await api(SHOW, {"id": str(show.show_id)})
    opens = datetime.fromisoformat(data["show"]["onSaleAt"])
    assert opens.tzinfo is not None and data["show"]["status"] == "SCHEDULED"


async def test_only_admitted_fans_reserve_once_on_sale(api, app):
    slow_admission(app)
    show = await make_show(rows=1, per_row=6)
    await on_sale(show.show_id, "1 hour")
    a, b = await api.token("a@example.com"), await api.token("b@example.com")
    await join(api, a, show.show_id)
    await join(api, b, show.show_id)
    await on_sale(show.show_id, "-1 millisecond")
    tickets = {t: await join(api, t, show.show_id) for t in (a, b)}
    admitted = [t for t, v in tickets.items() if v["admitted"]]
    assert len(admitted) == 1  # the opening token; the rate is tiny
    lucky = admitted[0]
    waiting = b if lucky == a else a
    assert tickets[lucky]["position"] == 0 and tickets[lucky]["admittedUntil"] is not None
    assert tickets[waiting]["position"] == 1 and tickets[waiting]["admittedUntil"] is None

    refused = await reserve(api, waiting, show.show_id, ["A-1"])
    assert refused == {"__typename": "NotAdmitted", "showId": str(show.show_id),
                       "position": 1, "etrSeconds": refused["etrSeconds"]}
    held = await reserve(api, lucky, show.show_id, ["A-1", "A-2"])
    assert held["__typename"] == "Reservation" and held["status"] == "HELD"

    # a fan who never joined is joined at the back by their reserve
    stranger = await api.token("stranger@example.com")
    late = await reserve(api, stranger, show.show_id, ["A-5"])
    assert late["__typename"] == "NotAdmitted" and late["position"] == 2
    assert (await join(api, stranger, show.show_id))["position"] == 2
    free = await db.pool().fetchval(
        "SELECT count(*) FROM show_seat WHERE show = $1 AND status = 'FREE'", show.show_id)
    assert free == 4  # only the admitted fan's hold


async def test_a_show_without_on_sale_at_is_on_sale_now(api, app):
    show = await make_show(rows=1, per_row=2)
    fan = await api.token("fan@example.com")
    ticket = await join(api, fan, show.show_id)
    assert (ticket["position"], ticket["admitted"], ticket["admittedUntil"]) == (0, True, None)
    assert (await reserve(api, fan, show.show_id, ["A-1"]))["__typename"] == "Reservation"
    data = await api(SHOW, {"id": str(show.show_id)})
    assert data["show"]["onSaleAt"] is None and data["show"]["status"] == "SCHEDULED"


async def test_join_errors_are_coded(api, app):
    show = await make_show(rows=1, per_row=2)
    fan = await api.token("fan@example.com")
    anonymous = await api.raw(JOIN, {"showId": str(show.show_id)})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    unknown = await api.raw(JOIN, {"showId": "424242"}, token=fan)
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    bad = await api.raw(JOIN, {"showId": "x"}, token=fan)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    await db.pool().execute("UPDATE show SET status = 'CANCELLED' WHERE id = $1", show.show_id)
    room.clear_room_shows()
    cancelled = await api.raw(JOIN, {"showId": str(show.show_id)}, token=fan)
    assert cancelled["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    data = await api(SHOW, {"id": str(show.show_id)})
    assert data["show"]["status"] == "CANCELLED"
