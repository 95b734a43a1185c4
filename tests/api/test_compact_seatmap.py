"""The compact seat map: a layout kept by the client, statuses as one character a seat."""

from __future__ import annotations

from typing import Any

from tests.api.booking_ops import RESERVE, operation
from tests.factories import make_show

SEAT_MAP = operation("SeatMap")
LAYOUT = operation("SeatLayout")
STATUSES = operation("SeatStatuses")
SHOW_MAP = """query ShowMap($id: ID!) {
  show(id: $id) { seatMap { layoutVersion statusString } } }"""


async def test_layout_and_status_string_match_the_full_map(api: Any) -> None:
    show = await make_show(rows=3, per_row=7)
    sid = {"showId": str(show.show_id)}
    token = await api.token("fan@example.com")
    held = await api(RESERVE, {"input": {"showId": str(show.show_id),
                                         "seats": ["B-3", "B-4"]}}, token=token)
    assert held["reserve"]["__typename"] == "Reservation"

    layout = (await api(LAYOUT, sid))["seatLayout"]
    full = (await api(SEAT_MAP, sid))["seatMap"]
    compact = (await api(STATUSES, sid))["seatMap"]
    assert layout["showId"] == str(show.show_id) and layout["currency"] == "INR"
    assert [s["label"] for s in layout["seats"]] == [s["label"] for s in full["seats"]]
    for kept, seat in zip(layout["seats"], full["seats"], strict=True):
        assert {k: seat[k] for k in kept} == kept  # same positions, categories, prices
    assert compact["layoutVersion"] == layout["layoutVersion"]
    assert len(layout["layoutVersion"]) == 16
    assert compact["version"] == full["version"]
    assert compact["statusString"] == "".join(s["status"][0] for s in full["seats"])
    assert compact["statusString"].count("H") == 2 and compact["held"] == 2
    assert compact["statusString"][layout["seats"].index(
        next(s for s in layout["seats"] if s["label"] == "B-3"))] == "H"
    nested = (await api(SHOW_MAP, {"id": str(show.show_id)}))["show"]["seatMap"]
    assert nested == {"layoutVersion": layout["layoutVersion"],
                      "statusString": compact["statusString"]}

    # statuses change, the layout (and its version) does not
    await api(RESERVE, {"input": {"showId": str(show.show_id), "seats": ["A-1"]}},
              token=await api.token("other@example.com"))
    again = (await api(STATUSES, sid))["seatMap"]
    assert again["layoutVersion"] == layout["layoutVersion"]


async def test_layout_version_names_the_layout(api: Any) -> None:
    a, b = await make_show(rows=2, per_row=5, name="A"), await make_show(rows=2, per_row=5,
                                                                          name="B")
    c = await make_show(rows=2, per_row=5, price=25000, name="C")
    versions = [(await api(LAYOUT, {"showId": str(s.show_id)}))["seatLayout"]["layoutVersion"]
                for s in (a, b, c)]
    assert versions[0] == versions[1] != versions[2]  # same seats and prices, same version
    body = await api.raw(LAYOUT, {"showId": "999999"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await api.raw(LAYOUT, {"showId": "x"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
