"""Refunds of a cancelled show that the gateway failed are finished by the worker, once."""

from __future__ import annotations

from boxoffice import db
from boxoffice.auth import create_api_key
from boxoffice.payments.gateway import RefundResult
from tests.api.ticketing import book, cancel_show, error_code
from tests.factories import make_show
from tests.workers.conftest import run_burst


async def test_the_worker_finishes_refunds_the_gateway_failed(api):
    show = await make_show(rows=1, per_row=4)
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    await book(api, alice, show.show_id, ["A-1"])
    await book(api, bob, show.show_id, ["A-2"])
    state = api.client._transport.app.state.boxoffice
    real = state.gateway

    class DownGateway:
        def __getattr__(self, name):
            return getattr(real, name)

        async def refund(self, *, charge_id: str, idempotency_key: str) -> RefundResult:
            return RefundResult(ok=False)

    state.gateway = DownGateway()
    try:
        body = await cancel_show(api, await create_api_key("ops", role="admin"), show.show_id)
    finally:
        state.gateway = real
    assert error_code(body) == "TRY_AGAIN"
    assert await db.pool().fetchval("SELECT count(*) FROM payment WHERE status = 'SUCCEEDED'") == 2

    await state.arq.enqueue_job("finish_show_refunds")
    await run_burst()
    charges = await db.pool().fetch("SELECT gateway_charge_id, status FROM payment ORDER BY id")
    assert [c["status"] for c in charges] == ["REFUNDED", "REFUNDED"]
    assert [await real.refunds_of(c["gateway_charge_id"]) for c in charges] == [1, 1]
    # a second pass finds nothing to do
    await state.arq.enqueue_job("finish_show_refunds")
    await run_burst()
    assert [await real.refunds_of(c["gateway_charge_id"]) for c in charges] == [1, 1]
