"""Races around confirm: against cancel, against expiry, and the anti-scalping limits."""

from __future__ import annotations

import asyncio
import dataclasses

from boxoffice import db
from boxoffice.services.expiry import expire_overdue
from tests.api.booking_ops import CANCEL, CONFIRM, RESERVE
from tests.audit import audit_show
from tests.factories import make_show


def state_of(api):
    return api.client._transport.app.state.boxoffice


async def reserve(api, token, show_id, seats):
    return (await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}},
                      token=token))["reserve"]


async def confirm(api, token, rid, payment="tok_visa", key="k1"):
    return (await api(CONFIRM, {"input": {"reservationId": rid, "paymentToken": payment,
                                          "idempotencyKey": key}}, token=token))["confirm"]


async def make_due(rid: str) -> None:
    await db.pool().execute(
        "UPDATE reservation SET expires_at = now() - interval '1 second' WHERE id = $1", int(rid)
    )


async def test_payment_in_flight_keeps_the_hold(api):
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["E-5", "E-6"])
    paying = asyncio.create_task(confirm(api, alice, r["id"], "tok_visa_slow"))
    await asyncio.sleep(0.5)  # the charge is at the gateway now
    await make_due(r["id"])
    assert await expire_overdue(state_of(api).deps) == 0
    result = await paying
    assert result["__typename"] == "Booking"
    assert await audit_show(show.show_id) == []


async def test_payment_after_the_hold_lapsed_and_seats_went_elsewhere_is_refunded(api, redis):
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, payment_grace_seconds=0)
    show = await make_show()
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    r = await reserve(api, alice, show.show_id, ["E-5", "E-6"])
    paying = asyncio.create_task(confirm(api, alice, r["id"], "tok_visa_slow", key="late"))
    await asyncio.sleep(0.5)
    await make_due(r["id"])
    assert await expire_overdue(state.deps) == 1
    taken = await reserve(api, bob, show.show_id, ["E-5", "E-6"])
    assert taken["__typename"] == "Reservation"

    result = await paying
    assert result["__typename"] == "ReservationExpired"
    payment = await db.pool().fetchrow("SELECT status, gateway_charge_id FROM payment")
    assert payment["status"] == "REFUNDED"
    assert await redis.sismember("sandbox:refunded", payment["gateway_charge_id"])
    seats = await db.pool().fetch(
        "SELECT status, reservation FROM show_seat WHERE show = $1 AND label IN ('E-5','E-6')",
        show.show_id,
    )
    assert all(s["status"] == "HELD" and s["reservation"] == int(taken["id"]) for s in seats)
    assert await db.pool().fetchval("SELECT count(*) FROM booking") == 0
    # the same key replays the same answer without another charge
    assert (await confirm(api, alice, r["id"], "tok_visa_slow", key="late"))["__typename"] == \
        "ReservationExpired"
    assert len(await redis.keys("sandbox:charge:*")) == 1
    assert await audit_show(show.show_id) == []


async def test_confirm_racing_cancel_is_consistent(api, redis):
    show = await make_show()
    alice = await api.token("alice@example.com")
    for i in range(6):
        r = await reserve(api, alice, show.show_id, [f"F-{i + 1}"])
        payment = "tok_visa_slow" if i % 2 else "tok_visa"
        c, x = await asyncio.gather(
            confirm(api, alice, r["id"], payment, key=f"race-{i}"),
            api(CANCEL, {"id": r["id"]}, token=alice),
        )
        cancel = x["cancelReservation"]
        status = await db.pool().fetchval(
            "SELECT status FROM show_seat WHERE show = $1 AND label = $2", show.show_id,
            f"F-{i + 1}",
        )
        if c["__typename"] == "Booking":
            assert status == "BOOKED" and cancel["status"] in ("CONFIRMED", "HELD")
        else:
            assert c["__typename"] == "ReservationExpired"
            assert status == "FREE" and cancel["status"] == "CANCELLED"
            charged = await db.pool().fetchval(
                "SELECT status FROM payment WHERE idempotency_key = $1", f"race-{i}")
            assert charged in (None, "REFUNDED")
        assert await audit_show(show.show_id) == []


async def test_reserve_rate_limit_per_user(api):
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, reserve_limit_per_user=3)
    show = await make_show()
    alice = await api.token("alice@example.com")
    kinds = [(await reserve(api, alice, show.show_id, ["Z-1"]))["__typename"] for _ in range(4)]
    assert kinds[:3] == ["InvalidRequest"] * 3  # unknown seat, but the attempt counts
    limited = await reserve(api, alice, show.show_id, ["A-1"])
    assert limited["__typename"] == "RateLimited" and limited["retryAfterSeconds"] >= 1
    bob = await api.token("bob@example.com")
    assert (await reserve(api, bob, show.show_id, ["A-1"]))["__typename"] == "Reservation"


async def test_confirm_rate_limit_per_card(api):
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, confirm_limit_per_card=2)
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["A-1"])
    for i in range(2):
        d = await confirm(api, alice, r["id"], "tok_chargeDeclined", key=f"d{i}")
        assert d["__typename"] == "PaymentDeclined"
    limited = await confirm(api, alice, r["id"], "tok_chargeDeclined", key="d3")
    assert limited["__typename"] == "RateLimited"
    assert (await confirm(api, alice, r["id"], "tok_visa", key="v"))["__typename"] == "Booking"


async def test_a_stuck_lock_holder_gets_try_again_not_a_pile_up(api):
    """lock_timeout bounds the wait behind a stuck transaction; the client is told to retry."""
    import asyncpg

    show = await make_show()
    alice = await api.token("alice@example.com")
    stuck = await asyncpg.connect(dsn=db.engine().config["dsn"])
    try:
        await stuck.execute("BEGIN")
        await stuck.execute(
            "SELECT 1 FROM show_seat WHERE show = $1 AND label = 'A-1' FOR UPDATE", show.show_id
        )
        body = await api.raw(RESERVE, {"input": {"showId": str(show.show_id),
                                                 "seats": ["A-1", "A-2"]}}, token=alice)
        assert body["errors"][0]["extensions"]["code"] == "TRY_AGAIN", body
        await stuck.execute("ROLLBACK")
    finally:
        await stuck.close()
    assert await db.pool().fetchval("SELECT count(*) FROM reservation") == 0
    assert await audit_show(show.show_id) == []
    ok = await reserve(api, alice, show.show_id, ["A-1", "A-2"])
    assert ok["__typename"] == "Reservation"
