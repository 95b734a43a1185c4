"""reserve / confirm / cancel through the GraphQL API, against real Postgres and Redis."""

from __future__ import annotations

import asyncio

import pytest

from boxoffice import db
from boxoffice.services.tickets import read_ticket
from tests.api.booking_ops import CANCEL, CONFIRM, RESERVATION, RESERVE, confirm_like_a_client
from tests.factories import make_show


async def reserve(api, token, show_id, seats, **extra):
    data = await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats, **extra}},
                     token=token)
    return data["reserve"]


async def confirm(api, token, rid, payment="tok_visa", key="k1"):
    data = await api(CONFIRM, {"input": {"reservationId": rid, "paymentToken": payment,
                                         "idempotencyKey": key}}, token=token)
    return data["confirm"]


async def seat_statuses(show_id: int) -> dict[str, str]:
    rows = await db.pool().fetch("SELECT label, status FROM show_seat WHERE show = $1", show_id)
    return {r["label"]: r["status"] for r in rows}


async def test_reserve_holds_all_seats_and_amount_is_sum(api):
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["J-13", "J-12"])
    assert r["__typename"] == "Reservation"
    assert r["seats"] == ["J-12", "J-13"] and r["status"] == "HELD"
    assert r["amount"] == 2 * (20000 + 9 * 1000) and r["currency"] == "INR"
    statuses = await seat_statuses(show.show_id)
    assert statuses["J-12"] == statuses["J-13"] == "HELD"
    assert list(statuses.values()).count("HELD") == 2
    free = await db.pool().fetchval("SELECT free_seats FROM show WHERE id = $1", show.show_id)
    assert free == 198


async def test_two_users_racing_for_the_same_seats(api):
    show = await make_show()
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    a, b = await asyncio.gather(
        reserve(api, alice, show.show_id, ["J-12", "J-13"]),
        reserve(api, bob, show.show_id, ["J-12", "J-13"]),
    )
    kinds = sorted([a["__typename"], b["__typename"]])
    assert kinds == ["Reservation", "SeatsTaken"]
    loser = a if a["__typename"] == "SeatsTaken" else b
    assert sorted(loser["seats"]) == ["J-12", "J-13"]
    alts = loser["alternatives"]
    assert len(alts) == 2 and not set(alts) & {"J-12", "J-13"}
    statuses = await seat_statuses(show.show_id)
    assert all(statuses[s] == "FREE" for s in alts)
    # adjacent in one row
    rows = {s.split("-")[0] for s in alts}
    nums = sorted(int(s.split("-")[1]) for s in alts)
    assert len(rows) == 1 and nums[1] - nums[0] == 1
    held = await db.pool().fetchval(
        "SELECT count(*) FROM reservation WHERE status = 'HELD'")
    assert held == 1


@pytest.mark.parametrize(
    ("seats", "field"),
    [
        ([], "seats"),
        ([f"A-{i}" for i in range(1, 12)], "seats"),
        (["A-1", "A-1"], "seats"),
        (["Z9"], "seats"),
        (["Q-1"], "seats"),  # well-formed but not in this hall
        (["A-1'; DROP TABLE show_seat; --"], "seats"),
    ],
)
async def test_bad_seat_requests_are_typed_and_change_nothing(api, seats, field):
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, seats)
    assert r["__typename"] == "InvalidRequest" and r["field"] == field
    assert set((await seat_statuses(show.show_id)).values()) == {"FREE"}
    assert await db.pool().fetchval("SELECT count(*) FROM reservation") == 0


async def test_unknown_and_started_shows(api):
    alice = await api.token("alice@example.com")
    for sid in ["999999", "abc", "-1", "99999999999999999999"]:
        r = await reserve(api, alice, sid, ["A-1"])
        assert r["__typename"] == "InvalidRequest" and r["field"] == "showId"
    past = await make_show(starts_in_hours=-1, name="past")
    r = await reserve(api, alice, past.show_id, ["A-1"])
    assert r["__typename"] == "InvalidRequest" and "started" in r["message"]


async def test_reserve_requires_user_and_api_key(api):
    show = await make_show()
    body = await api.raw(RESERVE, {"input": {"showId": str(show.show_id), "seats": ["A-1"]}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await api.raw(RESERVE, {"input": {"showId": str(show.show_id), "seats": ["A-1"]}},
                         token="forged.token.value")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    alice = await api.token("alice@example.com")
    body = await api.raw(RESERVE, {"input": {"showId": str(show.show_id), "seats": ["A-1"]}},
                         token=alice, api_key="wrong")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body.get("data") is None
    assert await db.pool().fetchval("SELECT count(*) FROM reservation") == 0


async def test_one_live_hold_per_user_and_show(api):
    """Policy: a second reserve while holding is refused (cancel or confirm first)."""
    show = await make_show()
    alice = await api.token("alice@example.com")
    first = await reserve(api, alice, show.show_id, ["A-1"])
    assert first["__typename"] == "Reservation"
    second = await reserve(api, alice, show.show_id, ["A-2"])
    assert second["__typename"] == "InvalidRequest" and second["field"] == "showId"
    assert (await seat_statuses(show.show_id))["A-2"] == "FREE"
    await api(CANCEL, {"id": first["id"]}, token=alice)
    third = await reserve(api, alice, show.show_id, ["A-2"])
    assert third["__typename"] == "Reservation"


async def test_sold_out_show_queues_the_caller(api):
    show = await make_show(rows=1, per_row=4)
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    carol = await api.token("carol@example.com")
    assert (await reserve(api, alice, show.show_id, ["A-1", "A-2", "A-3"]))["__typename"] == \
        "Reservation"
    q = await reserve(api, bob, show.show_id, ["A-3", "A-4"])
    assert q["__typename"] == "Queued"
    assert q["position"] == 1 and q["seatsWanted"] == 2 and q["etrSeconds"] > 0
    again = await reserve(api, bob, show.show_id, ["A-3", "A-4"])
    assert again["position"] == 1  # idempotent: keeps the place
    q2 = await reserve(api, carol, show.show_id, ["A-1", "A-2"])
    assert q2["__typename"] == "Queued" and q2["position"] == 2
    # one seat left and one wanted: SeatsTaken with the free seat as alternative
    dave = await api.token("dave@example.com")
    st = await reserve(api, dave, show.show_id, ["A-1"])
    assert st == {"__typename": "SeatsTaken", "seats": ["A-1"], "alternatives": ["A-4"]}
    pos = await api("query Q($s: ID!) { queuePosition(showId: $s) { position seatsWanted } }",
                    {"s": str(show.show_id)}, token=carol)
    assert pos["queuePosition"] == {"position": 2, "seatsWanted": 2}
    left = await api("mutation L($s: ID!) { leaveQueue(showId: $s) }", {"s": str(show.show_id)},
                     token=bob)
    assert left["leaveQueue"] is True
    pos = await api("query Q($s: ID!) { queuePosition(showId: $s) { position } }",
                    {"s": str(show.show_id)}, token=carol)
    assert pos["queuePosition"] == {"position": 1}


async def test_confirm_declined_keeps_hold_then_visa_books(api):
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["J-12", "J-13"])
    d = await confirm(api, alice, r["id"], "tok_chargeDeclined", key="k-declined")
    assert d["__typename"] == "PaymentDeclined" and d["declineCode"] == "generic_decline"
    assert (await api(RESERVATION, {"id": r["id"]}, token=alice))["reservation"]["status"] == \
        "HELD"
    statuses = await seat_statuses(show.show_id)
    assert statuses["J-12"] == statuses["J-13"] == "HELD"

    b = await confirm(api, alice, r["id"], "tok_visa", key="k-visa")
    assert b["__typename"] == "Booking"
    assert b["amount"] == r["amount"] and b["reservationId"] == r["id"]
    seats = [t["seat"] for t in b["tickets"]]
    assert seats == ["J-12", "J-13"]
    payloads = [t["qrPayload"] for t in b["tickets"]]
    assert len(set(payloads)) == 2 and len({t["qrSvg"] for t in b["tickets"]}) == 2
    for t in b["tickets"]:
        claims = read_ticket(t["qrPayload"])
        assert claims is not None and claims.seat == t["seat"]
        assert claims.booking_id == int(b["id"]) and claims.show_id == show.show_id
        assert t["qrSvg"].startswith("<svg")
    tampered = payloads[0][:-2] + ("AA" if not payloads[0].endswith("AA") else "BB")
    assert read_ticket(tampered) is None
    statuses = await seat_statuses(show.show_id)
    assert statuses["J-12"] == statuses["J-13"] == "BOOKED"

    again = await confirm(api, alice, r["id"], "tok_visa", key="k-visa")
    assert again == b
    replay_declined = await confirm(api, alice, r["id"], "tok_chargeDeclined", key="k-declined")
    assert replay_declined["__typename"] == "PaymentDeclined"
    payments = await db.pool().fetch("SELECT status FROM payment ORDER BY id")
    assert [p["status"] for p in payments] == ["DECLINED", "SUCCEEDED"]
    bk = await api("query B($id: ID!) { booking(id: $id) { id tickets { seat } } }",
                   {"id": b["id"]}, token=alice)
    assert bk["booking"]["id"] == b["id"]


async def test_double_submitted_confirm_charges_once(api, redis):
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["C-1", "C-2"])
    results = await asyncio.gather(*[
        confirm_like_a_client(api, alice, r["id"], "tok_visa_slow", "same-key")
        for _ in range(5)
    ])
    assert all(x["__typename"] == "Booking" for x in results)
    assert len({x["id"] for x in results}) == 1
    assert await db.pool().fetchval("SELECT count(*) FROM payment") == 1
    assert await db.pool().fetchval("SELECT count(*) FROM booking") == 1
    assert len(await redis.keys("sandbox:charge:*")) == 1


async def test_other_user_can_neither_confirm_nor_cancel_nor_read(api):
    """Someone else's reservation answers exactly like one that does not exist: no FORBIDDEN
    that would reveal which ids exist (reads: null; mutations: NotFound)."""
    show = await make_show()
    alice, mallory = await api.token("alice@example.com"), await api.token("mallory@example.com")
    r = await reserve(api, alice, show.show_id, ["A-5"])
    missing = str(int(r["id"]) + 1000)
    for query, variables in [
        (CONFIRM, lambda rid: {"input": {"reservationId": rid, "paymentToken": "tok_visa",
                                         "idempotencyKey": f"m-{rid}"}}),
        (CANCEL, lambda rid: {"id": rid}),
        (RESERVATION, lambda rid: {"id": rid}),
    ]:
        theirs = await api.raw(query, variables(r["id"]), token=mallory)
        nobodys = await api.raw(query, variables(missing), token=mallory)
        assert "errors" not in theirs, theirs
        assert theirs == nobodys
        answer = next(iter(theirs["data"].values()))
        assert answer is None or answer["__typename"] == "NotFound", theirs
    assert (await seat_statuses(show.show_id))["A-5"] == "HELD"
    assert await db.pool().fetchval("SELECT count(*) FROM payment") == 0


async def test_cancel_is_idempotent_and_never_releases_booked_seats(api):
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["B-1", "B-2"])
    c1 = (await api(CANCEL, {"id": r["id"]}, token=alice))["cancelReservation"]
    c2 = (await api(CANCEL, {"id": r["id"]}, token=alice))["cancelReservation"]
    assert c1["status"] == c2["status"] == "CANCELLED"
    assert (await seat_statuses(show.show_id))["B-1"] == "FREE"
    assert (await confirm(api, alice, r["id"]))["__typename"] == "ReservationExpired"

    r2 = await reserve(api, alice, show.show_id, ["B-3"])
    assert (await confirm(api, alice, r2["id"], key="k2"))["__typename"] == "Booking"
    c3 = (await api(CANCEL, {"id": r2["id"]}, token=alice))["cancelReservation"]
    assert c3["status"] == "CONFIRMED"
    assert (await seat_statuses(show.show_id))["B-3"] == "BOOKED"
    nf = (await api(CANCEL, {"id": "424242"}, token=alice))["cancelReservation"]
    assert nf["__typename"] == "NotFound"


async def test_confirm_bad_input(api):
    alice = await api.token("alice@example.com")
    nf = await confirm(api, alice, "nope")
    assert nf["__typename"] == "NotFound"
    show = await make_show()
    r = await reserve(api, alice, show.show_id, ["D-1"])
    bad = await confirm(api, alice, r["id"], key="")
    assert bad["__typename"] == "InvalidRequest" and bad["field"] == "idempotencyKey"
    bad = await confirm(api, alice, r["id"], payment="", key="x")
    assert bad["__typename"] == "InvalidRequest" and bad["field"] == "paymentToken"
    bad = await confirm(api, alice, r["id"], payment="tok_unknown", key="y")
    assert bad["__typename"] == "PaymentDeclined" and bad["declineCode"] == "invalid_token"


async def test_queue_estimate_uses_holds_and_the_observed_return_rate(api):
    from boxoffice.services.queue import RETURN_WINDOW_SECONDS

    show = await make_show(rows=1, per_row=2)
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    held = await reserve(api, alice, show.show_id, ["A-1", "A-2"])
    q = await reserve(api, bob, show.show_id, ["A-1"])
    assert q["__typename"] == "Queued"
    # no seat has come back yet: the estimate is when the first held seat lapses (~300 s)
    assert 250 <= q["etrSeconds"] <= 300
    # one seat came back in the last window: at that rate, one seat takes the whole window
    carol = await api.token("carol@example.com")
    user_id = await db.pool().fetchval("SELECT id FROM app_user WHERE email = 'carol@example.com'")
    await db.pool().execute(
        """INSERT INTO reservation (show, "user", status, seat_labels, amount, currency,
               expires_at, updated_at)
           VALUES ($1, $2, 'EXPIRED', '{A-1}', 0, 'INR', now(), now())""",
        show.show_id, user_id,
    )
    pos = await api("query Q($s: ID!) { queuePosition(showId: $s) { etrSeconds } }",
                    {"s": str(show.show_id)}, token=bob)
    assert pos["queuePosition"]["etrSeconds"] == RETURN_WINDOW_SECONDS
    assert held["__typename"] == "Reservation" and carol
