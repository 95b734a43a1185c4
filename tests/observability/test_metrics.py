"""/metrics in one process: booking transactions and GraphQL operations land in their
histograms with their outcome; the legacy counters keep their names."""

from __future__ import annotations

from tests.api.booking_ops import CANCEL, RESERVE
from tests.factories import make_show
from tests.observability.scrape import value


async def scrape(api) -> str:
    resp = await api.client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    return resp.text


async def reserve(api, token: str, show_id: int, seats: list[str]) -> dict:
    data = await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}}, token=token)
    return data["reserve"]


async def test_a_reserve_shows_up_in_the_reserve_histogram_with_its_outcome(api):
    show = await make_show(rows=1, per_row=4)
    alice, bob = await api.token("m-alice@example.com"), await api.token("m-bob@example.com")
    before = await scrape(api)

    assert (await reserve(api, alice, show.show_id, ["A-1"]))["__typename"] == "Reservation"
    assert (await reserve(api, bob, show.show_id, ["A-1"]))["__typename"] == "SeatsTaken"
    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("boxoffice_booking_seconds_count", action="reserve", outcome="ok") == 1
    assert delta("boxoffice_booking_seconds_count", action="reserve", outcome="seats_taken") == 1
    assert delta("boxoffice_booking_seconds_sum", action="reserve", outcome="ok") > 0
    assert delta("boxoffice_booking_retries_count", action="reserve") == 2
    assert delta("boxoffice_graphql_operation_seconds_count", operation="reserve",
                 type="mutation", outcome="ok") == 2
    assert delta("boxoffice_txn_commits_total") >= 1  # the legacy counters, same names
    assert value(after, "boxoffice_holds") >= 1  # read at scrape time


async def test_cancel_and_a_coded_error_are_labelled(api):
    show = await make_show(rows=1, per_row=4)
    carol = await api.token("m-carol@example.com")
    rid = (await reserve(api, carol, show.show_id, ["A-2"]))["id"]
    before = await scrape(api)
    assert (await api(CANCEL, {"id": rid}, token=carol))["cancelReservation"]["status"] \
        == "CANCELLED"
    body = await api.raw(RESERVE, {"input": {"showId": str(show.show_id), "seats": ["A-3"]}})
    code = body["errors"][0]["extensions"]["code"]  # no user token
    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("boxoffice_booking_seconds_count", action="cancel", outcome="ok") == 1
    assert delta("boxoffice_graphql_operation_seconds_count", operation="cancelReservation",
                 type="mutation", outcome="ok") == 1
    assert delta("boxoffice_graphql_operation_seconds_count", operation="reserve",
                 type="mutation", outcome=code) == 1
