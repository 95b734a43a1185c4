"""An id that does not parse is turned away at the API edge (boxoffice.ids.parse_id) yet answers
exactly as an id that parses but names nothing (docs/contract.md): same body, same metrics."""

from __future__ import annotations

from typing import Any

import pytest

from boxoffice.auth import create_api_key
from tests.api.booking_ops import CANCEL, CONFIRM, RESERVATION, RESERVE
from tests.api.ticketing import CANCEL_SHOW
from tests.factories import make_show
from tests.observability.scrape import value

MISSING = "987654321"  # parses, names no row
BOOKING = "query B($id: ID!) { booking(id: $id) { id } }"
BAD = ["x", "0", "03", "-1", "+7", "٣", "2147483648", ""]


def confirm(rid: str, token: str = "tok_visa", key: str = "bad-ids") -> dict[str, Any]:
    return {"input": {"reservationId": rid, "paymentToken": token, "idempotencyKey": key}}


@pytest.mark.parametrize("bad", BAD)
async def test_a_bad_id_answers_like_a_missing_one(api: Any, bad: str) -> None:
    await make_show(rows=1, per_row=4)
    user = await api.token("bad-ids@example.com")
    admin = await create_api_key("bad-ids-ops", role="admin")
    cases: list[tuple[str, Any, dict[str, Any]]] = [
        (RESERVE, lambda i: {"input": {"showId": i, "seats": ["A-1"]}}, {"token": user}),
        (CONFIRM, confirm, {"token": user}),
        (CONFIRM, lambda i: confirm(i, token=""), {"token": user}),  # input checks come first
        (CONFIRM, lambda i: confirm(i, key="\x07"), {"token": user}),
        (CANCEL, lambda i: {"id": i}, {"token": user}),
        (RESERVATION, lambda i: {"id": i}, {"token": user}),
        (BOOKING, lambda i: {"id": i}, {"token": user}),
        (CANCEL_SHOW, lambda i: {"showId": i, "reason": "Projector failure"}, {"api_key": admin}),
    ]
    for query, variables, auth in cases:
        missing = await api.raw(query, variables(MISSING), **auth)
        answer = await api.raw(query, variables(bad), **auth)
        assert answer == missing, (query, bad, answer, missing)
        assert missing.get("data") or missing.get("errors"), missing


async def test_a_bad_id_is_counted_like_a_missing_one(api: Any) -> None:
    await make_show(rows=1, per_row=4)
    user = await api.token("bad-ids-metrics@example.com")

    async def counts() -> dict[tuple[str, str], float]:
        text = (await api.client.get("/metrics")).text
        return {(a, o): value(text, "boxoffice_booking_seconds_count", action=a, outcome=o)
                for a, o in (("reserve", "invalid"), ("confirm", "not_found"),
                             ("cancel", "not_found"))}

    def run(rid: str) -> list[Any]:
        return [api.raw(RESERVE, {"input": {"showId": rid, "seats": ["A-1"]}}, token=user),
                api.raw(CONFIRM, confirm(rid), token=user),
                api.raw(CANCEL, {"id": rid}, token=user)]

    before = await counts()
    for call in run(MISSING):
        await call
    after_missing = await counts()
    for call in run("x"):
        await call
    after_bad = await counts()
    for k in before:
        assert after_missing[k] - before[k] == 1, k
        assert after_bad[k] - after_missing[k] == 1, k
