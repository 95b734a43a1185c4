"""A confirm that fails after its payment row exists: never PENDING for long, never a hanging
retry. Failures are real: a gateway that raises (the sandbox's fault tokens, or a wrapper whose
lookup is down), a private Redis killed under the gateway, a row lock held past lock_timeout."""

from __future__ import annotations

import asyncio
import dataclasses

import asyncpg
from redis.asyncio import Redis

from boxoffice import db
from boxoffice.payments.gateway import ChargeResult, GatewayError
from boxoffice.payments.sandbox import SandboxGateway
from boxoffice.services.expiry import expire_overdue
from boxoffice.services.reconcile import reconcile_pending
from tests.api.booking_ops import CONFIRM, RESERVE
from tests.audit import audit_show
from tests.factories import make_show
from tests.faults.support import private_redis
from tests.workers.conftest import make_due, state_of, wait_until


async def reserve(api, token, show_id, seats):
    r = (await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}},
                   token=token))["reserve"]
    assert r["__typename"] == "Reservation", r
    return r


async def confirm_raw(api, token, rid, payment="tok_visa", key="k1"):
    return await api.raw(CONFIRM, {"input": {"reservationId": rid, "paymentToken": payment,
                                             "idempotencyKey": key}}, token=token)


async def confirm(api, token, rid, payment="tok_visa", key="k1"):
    body = await confirm_raw(api, token, rid, payment, key)
    assert not body.get("errors"), body
    return body["data"]["confirm"]


def try_again(body) -> bool:
    return [e["extensions"]["code"] for e in body.get("errors") or []] == ["TRY_AGAIN"]


async def payments():
    return [dict(r) for r in await db.pool().fetch(
        "SELECT id, status, idempotency_key, gateway_charge_id, updated_at FROM payment")]


async def pending_until(rid):
    return await db.pool().fetchval(
        "SELECT payment_pending_until FROM reservation WHERE id = $1", int(rid))


class LookupDown:
    """The sandbox, but its answers get lost after `charge` (optionally without charging) and
    its lookup is down: the outcome stays unknown to the confirm."""

    def __init__(self, inner: SandboxGateway, *, charges: bool) -> None:
        self.inner = inner
        self.charges = charges

    def fingerprint(self, token: str) -> str:
        return self.inner.fingerprint(token)

    async def charge(self, **kw) -> ChargeResult:
        if self.charges:
            await self.inner.charge(**kw)
        raise GatewayError("connection reset")

    async def refund(self, **kw):
        return await self.inner.refund(**kw)

    async def find_charge(self, idempotency_key: str) -> ChargeResult | None:
        raise GatewayError("lookup unavailable")


async def test_a_lost_gateway_answer_is_looked_up_and_booked(api, redis):
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["A-1", "A-2"])
    result = await confirm(api, alice, r["id"], "tok_visa_lostResponse")
    assert result["__typename"] == "Booking"
    assert [p["status"] for p in await payments()] == ["SUCCEEDED"]
    assert len(await redis.keys("sandbox:charge:*")) == 1
    assert await audit_show(show.show_id) == []


async def test_a_gateway_5xx_answers_try_again_and_leaves_nothing_pending(api, redis):
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["A-1"])
    body = await confirm_raw(api, alice, r["id"], "tok_gatewayError", key="k5")
    assert try_again(body), body
    assert await payments() == []  # nothing was charged: nothing to keep
    assert await pending_until(r["id"]) is None  # the hold lapses on its own time
    # the client retries with the same key (and a card that works): charged once, booked
    assert (await confirm(api, alice, r["id"], "tok_visa", key="k5"))["__typename"] == "Booking"
    assert len(await redis.keys("sandbox:charge:*")) == 1


async def test_a_gateway_that_never_answers_is_cut_at_the_timeout(api):
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, payment_gateway_timeout_seconds=0.3)
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["A-1"])
    body = await confirm_raw(api, alice, r["id"], "tok_gatewayTimeout")
    assert try_again(body), body
    assert await payments() == []
    assert (await confirm(api, alice, r["id"], "tok_visa", key="k2"))["__typename"] == "Booking"


async def test_unknown_outcome_with_lookup_down_is_settled_by_the_retry(api, redis):
    state = state_of(api)
    sandbox = state.gateway
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["B-1", "B-2"])
    state.gateway = LookupDown(sandbox, charges=True)
    body = await confirm_raw(api, alice, r["id"], "tok_visa", key="order-7")
    assert try_again(body), body
    assert [p["status"] for p in await payments()] == ["PENDING"]
    assert await pending_until(r["id"]) is not None  # the hold waits for the outcome

    state.gateway = sandbox  # the gateway is back; the client retries with the same key
    result = await confirm(api, alice, r["id"], "tok_visa", key="order-7")
    assert result["__typename"] == "Booking"  # at once: the failed attempt handed it over
    assert [p["status"] for p in await payments()] == ["SUCCEEDED"]
    assert len(await redis.keys("sandbox:charge:*")) == 1  # charged once
    assert await audit_show(show.show_id) == []


async def test_a_retry_while_the_first_attempt_is_in_flight_answers_try_again_promptly(api):
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, payment_gateway_timeout_seconds=1.0)
    state.gateway = SandboxGateway(state.redis, slow_seconds=0.9)
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["C-1"])
    # a first attempt that claimed the payment and then vanished (a killed process)
    await db.pool().execute(
        """INSERT INTO payment (show, reservation, "user", idempotency_key, amount, currency,
               status, card_fingerprint, created_at, updated_at)
           SELECT show, id, "user", 'ghost', amount, currency, 'PENDING', $2, now(), now()
           FROM reservation WHERE id = $1""", int(r["id"]), state.gateway.fingerprint("tok_visa"))
    await db.pool().execute(
        "UPDATE reservation SET payment_pending_until = now() + interval '10 s' WHERE id = $1",
        int(r["id"]))
    body = await confirm_raw(api, alice, r["id"], "tok_visa", key="ghost")
    assert try_again(body), body  # still possibly in flight: told to retry, not kept waiting
    # once an attempt cannot be in flight any more, the retry takes it over and settles it
    await db.pool().execute("UPDATE payment SET updated_at = now() - interval '1 min'")
    assert (await confirm(api, alice, r["id"], "tok_visa", key="ghost"))["__typename"] == \
        "Booking"


async def test_settle_failing_on_a_lock_leaves_it_to_the_reconciler(api, redis):
    state = state_of(api)
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["D-1"])
    stuck = await asyncpg.connect(dsn=db.engine().config["dsn"])
    try:
        paying = asyncio.create_task(confirm_raw(api, alice, r["id"], "tok_visa_slow"))
        await wait_until(payments)  # claimed: the charge is at the gateway now
        await stuck.execute("BEGIN")  # the settle transaction will wait past lock_timeout
        await stuck.execute("SELECT 1 FROM reservation WHERE id = $1 FOR UPDATE", int(r["id"]))
        body = await paying
        assert try_again(body), body
        await stuck.execute("ROLLBACK")
    finally:
        await stuck.close()
    assert [p["status"] for p in await payments()] == ["PENDING"]
    results = await reconcile_pending(state.deps, state.gateway)
    assert results == {"booked": 1}
    assert [p["status"] for p in await payments()] == ["SUCCEEDED"]
    assert await db.pool().fetchval("SELECT count(*) FROM booking") == 1
    # the client's retry gets the real outcome
    assert (await confirm(api, alice, r["id"], "tok_visa_slow"))["__typename"] == "Booking"
    assert await audit_show(show.show_id) == []


async def _leave_pending(api, token, rid, payment, *, charges: bool, key="k1"):
    state = state_of(api)
    sandbox = state.gateway
    state.gateway = LookupDown(sandbox, charges=charges)
    try:
        assert try_again(await confirm_raw(api, token, rid, payment, key=key))
    finally:
        state.gateway = sandbox
    assert [p["status"] for p in await payments()] == ["PENDING"]


async def test_reconciler_refunds_a_charge_whose_hold_lapsed(api, redis):
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, payment_grace_seconds=1)
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["E-1"])
    await _leave_pending(api, alice, r["id"], "tok_visa", charges=True)
    await make_due(r["id"])
    await db.pool().execute("UPDATE reservation SET payment_pending_until = now()")
    assert await expire_overdue(state.deps) == 1  # the grace is bounded: the hold lapses
    assert await reconcile_pending(state.deps, state.gateway) == {"refunded": 1}
    (p,) = await payments()
    assert p["status"] == "REFUNDED"
    assert await redis.sismember("sandbox:refunded", p["gateway_charge_id"])
    assert await db.pool().fetchval("SELECT count(*) FROM booking") == 0
    assert (await confirm(api, alice, r["id"]))["__typename"] == "ReservationExpired"
    assert await audit_show(show.show_id) == []


async def test_reconciler_records_a_decline(api):
    state = state_of(api)
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["E-2"])
    await _leave_pending(api, alice, r["id"], "tok_chargeDeclined", charges=True)
    assert await reconcile_pending(state.deps, state.gateway) == {"declined": 1}
    assert [p["status"] for p in await payments()] == ["DECLINED"]
    assert await pending_until(r["id"]) is None
    # the same key with the same card replays the outcome (another card would be refused)
    assert (await confirm(api, alice, r["id"], "tok_chargeDeclined"))["__typename"] == \
        "PaymentDeclined"


async def test_reconciler_abandons_a_claim_that_never_charged(api):
    state = state_of(api)
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["E-3"])
    await _leave_pending(api, alice, r["id"], "tok_visa", charges=False)
    assert await reconcile_pending(state.deps, state.gateway) == {"not_charged": 1}
    assert await payments() == []
    assert await pending_until(r["id"]) is None
    assert (await confirm(api, alice, r["id"]))["__typename"] == "Booking"


async def test_reconciler_leaves_recent_attempts_alone(api):
    state = state_of(api)
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["E-4"])
    await _leave_pending(api, alice, r["id"], "tok_visa", charges=True)
    await db.pool().execute("UPDATE payment SET updated_at = now()")  # could be in flight
    assert await reconcile_pending(state.deps, state.gateway) == {}
    assert [p["status"] for p in await payments()] == ["PENDING"]


async def test_gateway_redis_killed_mid_confirm_then_back_empty(api):
    """The sandbox keeps its charges in Redis: kill that Redis under a confirm. The answer is
    TRY_AGAIN, the payment waits; Redis comes back empty (the sandbox forgot everything), the
    reconciler finds no charge and frees the key; the retry books, charged once."""
    state = state_of(api)
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["F-1"])
    with private_redis() as gw_redis:
        client = Redis.from_url(gw_redis.url)
        try:
            state.gateway = SandboxGateway(client)
            gw_redis.kill()
            body = await confirm_raw(api, alice, r["id"], "tok_visa", key="f1")
            assert try_again(body), body
            assert [p["status"] for p in await payments()] == ["PENDING"]
            gw_redis.start()
            assert await reconcile_pending(state.deps, state.gateway) == {"not_charged": 1}
            result = await confirm(api, alice, r["id"], "tok_visa", key="f1")
            assert result["__typename"] == "Booking"
            assert len(await client.keys("sandbox:charge:*")) == 1
        finally:
            await client.aclose()
    assert [p["status"] for p in await payments()] == ["SUCCEEDED"]


async def test_the_worker_reconciles_pending_payments_by_itself(api):
    """The reconciler runs as a worker cron: a payment left PENDING is settled without a
    retry from the client."""
    from tests.workers.conftest import running_worker

    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["G-1"])
    await _leave_pending(api, alice, r["id"], "tok_visa", charges=True)

    async def settled():
        return [p["status"] for p in await payments()] == ["SUCCEEDED"]

    async with running_worker():
        await wait_until(settled, within=20)
    assert await db.pool().fetchval("SELECT count(*) FROM booking") == 1
    assert await audit_show(show.show_id) == []
