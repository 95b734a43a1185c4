"""Hundreds of simultaneous reservations at one show, then an audit of the database."""

from __future__ import annotations

import asyncio
import dataclasses
import random

from boxoffice import db
from boxoffice.auth import get_or_create_user, issue_token
from tests.api.booking_ops import RESERVE, confirm_like_a_client
from tests.audit import audit_show
from tests.factories import make_show

USERS = 300


def middle_request(rng: random.Random) -> list[str]:
    """1-4 adjacent seats around the middle of rows E-H: heavily overlapping requests."""
    row = rng.choice("EFGH")
    n = rng.randint(1, 4)
    start = rng.randint(7, 14 - n + 1)
    return [f"{row}-{i}" for i in range(start, start + n)]


async def test_burst_of_300_overlapping_reservations_never_double_books(isolation, api):
    from boxoffice.settings import get_settings

    assert get_settings().booking_isolation == isolation
    level = await db.serializable(lambda conn: conn.fetchval("SHOW transaction_isolation"))
    assert level == isolation.replace("_", " ")
    # load-test mode (RATE_LIMITS=off): everyone pays with the one sandbox test card
    state = api.client._transport.app.state.boxoffice
    state.settings = dataclasses.replace(state.settings, rate_limits_enabled=False)
    show = await make_show()
    tokens = [issue_token(await get_or_create_user(f"fan{i}@example.com")) for i in range(USERS)]
    rng = random.Random(42)
    requests = [middle_request(rng) for _ in range(USERS)]

    async def one(token: str, seats: list[str]) -> dict:
        body = await api.raw(RESERVE, {"input": {"showId": str(show.show_id), "seats": seats}},
                             token=token)
        assert not body.get("errors"), body
        return body["data"]["reserve"]

    results = await asyncio.gather(*[one(t, s) for t, s in zip(tokens, requests, strict=True)])

    kinds = {r["__typename"] for r in results}
    assert kinds <= {"Reservation", "SeatsTaken"}, kinds
    won = [r for r in results if r["__typename"] == "Reservation"]
    assert won, "somebody must win"
    granted = [s for r in won for s in r["seats"]]
    assert len(granted) == len(set(granted)), "a seat was granted twice"
    for r, asked in zip(results, requests, strict=True):
        if r["__typename"] == "Reservation":
            assert r["seats"] == sorted(asked)  # all or nothing: exactly what was asked
        else:
            assert set(r["seats"]) <= set(asked) and r["seats"]

    held = await db.pool().fetch(
        "SELECT label FROM show_seat WHERE show = $1 AND status = 'HELD'", show.show_id
    )
    assert {r["label"] for r in held} == set(granted)
    assert await audit_show(show.show_id) == []
    free = await db.pool().fetchval("SELECT free_seats FROM show WHERE id = $1", show.show_id)
    assert free == 200 - len(granted)

    # every held seat is eventually booked or freed: confirm half, expire the rest
    winners = {r["id"]: tokens[i] for i, r in enumerate(results)
               if r["__typename"] == "Reservation"}
    to_confirm = list(winners.items())[: len(winners) // 2]
    booked = await asyncio.gather(*[
        confirm_like_a_client(api, tok, rid, "tok_visa", f"burst-{rid}")
        for rid, tok in to_confirm
    ])
    assert all(b["__typename"] == "Booking" for b in booked)
    await db.pool().execute(
        "UPDATE reservation SET expires_at = now() - interval '1 second' WHERE status = 'HELD'"
    )
    from boxoffice.services.expiry import expire_overdue

    await expire_overdue(api_deps(api))
    statuses = await db.pool().fetch(
        "SELECT status, count(*) FROM show_seat WHERE show = $1 GROUP BY status", show.show_id
    )
    counts = {r["status"]: r["count"] for r in statuses}
    booked_seats = sum(len(r["seats"]) for r in won if r["id"] in dict(to_confirm))
    assert counts.get("HELD", 0) == 0
    assert counts.get("BOOKED", 0) == booked_seats
    assert await audit_show(show.show_id) == []


def api_deps(api):  # the app's own deps, so after-commit effects go to the same Redis
    return api.client._transport.app.state.boxoffice.deps  # type: ignore[attr-defined]


async def test_audit_detects_corruption(api):
    """The audit is not vacuous: it reports a seat held under a reservation that lacks it."""
    show = await make_show(rows=1, per_row=4)
    alice = issue_token(await get_or_create_user("alice@example.com"))
    body = await api.raw(RESERVE, {"input": {"showId": str(show.show_id), "seats": ["A-1"]}},
                         token=alice)
    rid = int(body["data"]["reserve"]["id"])
    assert await audit_show(show.show_id) == []
    await db.pool().execute(
        "UPDATE reservation SET seat_labels = '{A-1,A-2}' WHERE id = $1", rid
    )
    assert await audit_show(show.show_id)
    user = await get_or_create_user("bob@example.com")
    await db.pool().execute(
        """INSERT INTO reservation (show, "user", status, seat_labels, amount, currency,
               expires_at) VALUES ($1, $2, 'HELD', '{A-1}', 0, 'INR', now())""",
        show.show_id, user.id,
    )
    problems = await audit_show(show.show_id)
    assert any("A-1 in reservations" in p for p in problems)
