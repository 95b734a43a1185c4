"""cancelShow: admin keys only; holds released, bookings refunded exactly once (also across a
retry), everyone notified, the show closed to reserve and checkIn."""

from __future__ import annotations

import asyncio

import pytest

from boxoffice import db
from boxoffice.auth import create_api_key
from boxoffice.payments.gateway import RefundResult
from boxoffice.services import queue
from tests.api.ticketing import book, cancel_show, check_in, error_code, reserve
from tests.audit import audit_show
from tests.factories import make_show


async def refunds_of(api, charge_id: str) -> int:
    gateway = api.client._transport.app.state.boxoffice.gateway
    return await gateway.refunds_of(charge_id)


async def charges(show_id: int) -> list[str]:
    rows = await db.pool().fetch(
        """SELECT p.gateway_charge_id FROM booking b JOIN payment p ON p.id = b.payment
           WHERE b.show = $1 ORDER BY b.id""", show_id)
    return [r["gateway_charge_id"] for r in rows]


async def notified(show_id: int) -> dict[str, int]:
    rows = await db.pool().fetch(
        """SELECT u.email, count(*) AS n FROM notification n JOIN app_user u ON u.id = n."user"
           WHERE n.show = $1 AND n.kind = 'SHOW_CANCELLED' GROUP BY u.email""", show_id)
    return {r["email"]: r["n"] for r in rows}


@pytest.fixture
async def admin() -> str:
    return await create_api_key("ops", role="admin")


async def test_cancel_show_releases_refunds_notifies_and_closes(api, admin, redis):
    show = await make_show(rows=1, per_row=4)
    sid = show.show_id
    alice, bob, carol, dave, erin = [await api.token(f"{n}@example.com")
                                     for n in ("alice", "bob", "carol", "dave", "erin")]
    booking = await book(api, alice, sid, ["A-1", "A-2"])
    assert (await reserve(api, bob, sid, ["A-3"]))["__typename"] == "Reservation"
    assert (await reserve(api, carol, sid, ["A-4"]))["__typename"] == "Reservation"
    queued = await reserve(api, dave, sid, ["A-1"])  # sold out: dave waits
    assert queued["__typename"] == "Queued"
    door = await create_api_key("door-1", role="door")

    body = await cancel_show(api, admin, sid)
    assert body == {"data": {"cancelShow": {"showId": str(sid), "refundedBookings": 1,
                                            "releasedHolds": 2}}}
    p = db.pool()
    assert await p.fetchval("SELECT status FROM show WHERE id = $1", sid) == "CANCELLED"
    statuses = await p.fetch("SELECT status FROM reservation WHERE show = $1 ORDER BY id", sid)
    assert [r["status"] for r in statuses] == ["CONFIRMED", "CANCELLED", "CANCELLED"]
    seats = dict(await p.fetch("SELECT label, status FROM show_seat WHERE show = $1", sid))
    assert seats == {"A-1": "BOOKED", "A-2": "BOOKED", "A-3": "FREE", "A-4": "FREE"}
    assert await p.fetchval("SELECT status FROM payment WHERE status <> 'DECLINED'") == \
        "REFUNDED"
    [charge] = await charges(sid)
    assert await refunds_of(api, charge) == 1
    assert await notified(sid) == {"alice@example.com": 1, "bob@example.com": 1,
                                   "carol@example.com": 1, "dave@example.com": 1}
    assert await queue.waiters(redis, sid) == []
    assert await p.fetchval("SELECT reason FROM show_cancellation WHERE show = $1", sid) == \
        "Projector failure"

    # the show now refuses reserve and checkIn
    refused = await reserve(api, erin, sid, ["A-3"])
    assert refused["__typename"] == "InvalidRequest" and "cancelled" in refused["message"]
    sold = await reserve(api, erin, sid, ["A-1"])  # not queued either
    assert sold["__typename"] == "InvalidRequest"
    assert await queue.waiters(redis, sid) == []
    scan = await check_in(api, door, booking["tickets"][0]["qrPayload"])
    assert scan["__typename"] == "InvalidTicket" and "cancelled" in scan["message"]
    assert await p.fetchval("SELECT count(*) FROM ticket WHERE used_at IS NOT NULL") == 0

    # a second cancelShow: the same answer, no second refund, no second notification
    again = await cancel_show(api, admin, sid, reason="again")
    assert again == body
    assert await refunds_of(api, charge) == 1
    assert await notified(sid) == {"alice@example.com": 1, "bob@example.com": 1,
                                   "carol@example.com": 1, "dave@example.com": 1}


async def test_a_retry_after_failed_refunds_finishes_them_without_refunding_twice(api, admin):
    show = await make_show(rows=2, per_row=5)
    sid = show.show_id
    tokens = [await api.token(f"fan{i}@example.com") for i in range(3)]
    for i, token in enumerate(tokens):
        await book(api, token, sid, [f"A-{i + 1}"])
    state = api.client._transport.app.state.boxoffice
    real = state.gateway
    [first, second, third] = await charges(sid)

    class FlakyGateway:
        """Refunds the first charge, then 'crashes' before the answer; fails the second."""

        def __getattr__(self, name):
            return getattr(real, name)

        async def refund(self, *, charge_id: str, idempotency_key: str) -> RefundResult:
            if charge_id == first:
                await real.refund(charge_id=charge_id, idempotency_key=idempotency_key)
                raise ConnectionError("gateway timed out after refunding")
            if charge_id == second:
                return RefundResult(ok=False)
            return await real.refund(charge_id=charge_id, idempotency_key=idempotency_key)

    state.gateway = FlakyGateway()
    try:
        body = await cancel_show(api, admin, sid)
    finally:
        state.gateway = real
    assert error_code(body) == "TRY_AGAIN"
    assert await db.pool().fetchval("SELECT status FROM show WHERE id = $1", sid) == "CANCELLED"
    assert [await refunds_of(api, c) for c in (first, second, third)] == [1, 0, 1]
    paid = await db.pool().fetchval("SELECT count(*) FROM payment WHERE status = 'SUCCEEDED'")
    assert paid == 2  # the first was refunded at the gateway but not recorded: a "crash"

    retry = await cancel_show(api, admin, sid)
    assert retry["data"]["cancelShow"] == {"showId": str(sid), "refundedBookings": 3,
                                           "releasedHolds": 0}
    assert [await refunds_of(api, c) for c in (first, second, third)] == [1, 1, 1]
    assert await db.pool().fetchval("SELECT count(*) FROM payment WHERE status = 'REFUNDED'") == 3
    # and concurrent retries still refund nothing twice
    await asyncio.gather(*(cancel_show(api, admin, sid) for _ in range(3)))
    assert [await refunds_of(api, c) for c in (first, second, third)] == [1, 1, 1]


async def test_concurrent_reserves_never_hold_seats_of_a_cancelled_show(api, admin):
    show = await make_show(rows=4, per_row=10)
    sid = show.show_id
    tokens = [await api.token(f"fan{i}@example.com") for i in range(20)]
    results = await asyncio.gather(
        cancel_show(api, admin, sid),
        *(reserve(api, t, sid, [f"{'ABCD'[i % 4]}-{i // 4 + 1}"]) for i, t in enumerate(tokens)),
    )
    cancelled = results[0]["data"]["cancelShow"]
    held = [r for r in results[1:] if r["__typename"] == "Reservation"]
    # every hold that won the race before the cancel was released by it, none came after
    assert cancelled["releasedHolds"] == len(held)
    live = await db.pool().fetchval(
        "SELECT count(*) FROM reservation WHERE show = $1 AND status = 'HELD'", sid)
    assert live == 0
    assert await db.pool().fetchval(
        "SELECT count(*) FROM show_seat WHERE show = $1 AND status <> 'FREE'", sid) == 0
    assert await audit_show(sid) == []


@pytest.mark.parametrize("role", ["client", "door"])
async def test_cancel_show_is_for_admin_keys_only(api, role):
    show = await make_show(rows=1, per_row=2)
    key = api.api_key if role == "client" else await create_api_key("door-1", role="door")
    body = await cancel_show(api, key, show.show_id)
    assert error_code(body) == "FORBIDDEN" and body["data"] is None
    assert await db.pool().fetchval("SELECT status FROM show") == "SCHEDULED"


async def test_cancel_show_bad_input_is_coded(api, admin):
    show = await make_show(rows=1, per_row=2)
    assert error_code(await cancel_show(api, admin, 999_999)) == "NOT_FOUND"
    assert error_code(await api.raw(
        "mutation { cancelShow(showId: \"x\", reason: \"r\") { showId } }",
        api_key=admin)) == "NOT_FOUND"
    assert error_code(await cancel_show(api, admin, show.show_id, reason="  ")) == \
        "BAD_USER_INPUT"
    assert error_code(await cancel_show(api, admin, show.show_id, reason="x" * 501)) == \
        "BAD_USER_INPUT"
    assert await db.pool().fetchval("SELECT status FROM show") == "SCHEDULED"


def test_the_cancellation_message_says_what_happened():
    from boxoffice.notify.messages import render

    m = render("SHOW_CANCELLED", {"showId": 1, "reason": "Flooded hall", "title": "Dune",
                                  "startsAt": "2026-12-01T09:00:00+05:30", "bookingId": 7,
                                  "seats": ["A-1"], "amount": 20000, "currency": "INR",
                                  "refund": True})
    assert "Dune" in m.subject and "Flooded hall" in m.body and "INR 200.00" in m.body
    held = render("SHOW_CANCELLED", {"reason": "r", "reservationId": 3, "seats": ["B-2"]})
    assert "released" in held.body and "B-2" in held.body


async def test_a_waiters_offer_counts_as_a_released_hold(api, admin, redis):
    from tests.api.booking_ops import CANCEL

    show = await make_show(rows=1, per_row=2)
    sid = show.show_id
    bob, dave = await api.token("bob@example.com"), await api.token("dave@example.com")
    held = await reserve(api, bob, sid, ["A-1", "A-2"])
    assert (await reserve(api, dave, sid, ["A-1"]))["__typename"] == "Queued"
    await api(CANCEL, {"id": held["id"]}, token=bob)  # the seats go to dave as an offer
    offer = await db.pool().fetchrow(
        "SELECT status, is_offer FROM reservation WHERE show = $1 AND id <> $2", sid,
        int(held["id"]))
    assert offer is not None and offer["status"] == "HELD" and offer["is_offer"]

    body = await cancel_show(api, admin, sid)
    assert body["data"]["cancelShow"] == {"showId": str(sid), "refundedBookings": 0,
                                          "releasedHolds": 1}
    statuses = await db.pool().fetch("SELECT status FROM reservation WHERE show = $1", sid)
    assert {r["status"] for r in statuses} == {"CANCELLED"}
    assert await notified(sid) == {"dave@example.com": 1}


async def test_a_payment_in_flight_during_cancel_show_is_refunded(api, admin):
    from tests.api.booking_ops import CONFIRM

    show = await make_show(rows=1, per_row=4)
    sid = show.show_id
    alice = await api.token("alice@example.com")
    held = await reserve(api, alice, sid, ["A-1"])

    async def pay() -> dict:
        data = await api(CONFIRM, {"input": {"reservationId": held["id"],
                                             "paymentToken": "tok_visa_slow",
                                             "idempotencyKey": "slow-1"}}, token=alice)
        return data["confirm"]

    payment = asyncio.create_task(pay())
    # cancel while the gateway is still charging (the claim is made before the slow charge)
    for _ in range(200):
        if await db.pool().fetchval("SELECT count(*) FROM payment"):
            break
        await asyncio.sleep(0.01)
    body = await cancel_show(api, admin, sid)
    assert body["data"]["cancelShow"] == {"showId": str(sid), "refundedBookings": 0,
                                          "releasedHolds": 1}
    paid = await payment
    assert paid["__typename"] == "ReservationExpired"
    row = await db.pool().fetchrow("SELECT status, gateway_charge_id FROM payment")
    assert row["status"] == "REFUNDED" and await refunds_of(api, row["gateway_charge_id"]) == 1
    assert await db.pool().fetchval("SELECT count(*) FROM booking") == 0
