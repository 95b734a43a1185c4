"""Idempotency keys are scoped per user (like Stripe's per account), and a key names one
request: reusing it with another reservation or payment token is a typed error."""

from __future__ import annotations

from typing import Any

from boxoffice import db
from tests.api.test_reserve import confirm, reserve
from tests.factories import make_show


async def test_the_same_key_from_two_users_books_both(api: Any) -> None:
    show = await make_show()
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    ra = await reserve(api, alice, show.show_id, ["A-1"])
    rb = await reserve(api, bob, show.show_id, ["A-2"])
    a = await confirm(api, alice, ra["id"], key="order-1")
    b = await confirm(api, bob, rb["id"], key="order-1")  # not alice's replay, not an error
    assert a["__typename"] == b["__typename"] == "Booking"
    assert a["id"] != b["id"] and b["reservationId"] == rb["id"]
    assert await db.pool().fetchval("SELECT count(*) FROM payment") == 2


async def test_a_reused_key_with_other_parameters_is_invalid_request(api: Any) -> None:
    show = await make_show()
    alice = await api.token("alice@example.com")
    r1 = await reserve(api, alice, show.show_id, ["B-1"])
    first = await confirm(api, alice, r1["id"], key="k-once")
    assert first["__typename"] == "Booking"
    # same key, another card: refused, not a silent replay of the first answer
    other_card = await confirm(api, alice, r1["id"], payment="tok_chargeDeclined", key="k-once")
    assert other_card["__typename"] == "InvalidRequest"
    assert other_card["field"] == "idempotencyKey"
    # same key, another reservation
    r2 = await reserve(api, alice, show.show_id, ["B-2"])
    other_hold = await confirm(api, alice, r2["id"], key="k-once")
    assert other_hold["__typename"] == "InvalidRequest"
    assert other_hold["field"] == "idempotencyKey"
    # the same request again is still the stored answer, charged once
    assert await confirm(api, alice, r1["id"], key="k-once") == first
    assert await db.pool().fetchval("SELECT count(*) FROM payment") == 1
    assert (await confirm(api, alice, r2["id"], key="k-twice"))["__typename"] == "Booking"
