"""The fault matrix: real `boxoffice serve` and `boxoffice worker` processes on a private Postgres
cluster and a private redis-server, a small burst of fans reserving, paying and abandoning with
HOLD_SECONDS=4, one fault per scenario, then the SQL audit of `tests/faults/burst.py`: every
booking a client was told about exists, nothing double-booked or half-done, no hold HELD more
than 15 s past its expiry, every gateway charge a paid booking or refunded, no payment PENDING.

Redis killed under the worker, confirm's gateway failures one by one and Postgres stopped under
serve have their own tests (test_worker_outage, test_payments, test_postgres_outage)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from tests.faults.burst import (
    LATE_LIMIT,
    RECOVERY_LIMIT,
    Rig,
    Template,
    report,
)


@pytest.fixture
async def rig_factory(matrix_template: Template) -> AsyncIterator[object]:
    rigs: list[Rig] = []

    async def make(**env: str) -> Rig:
        rig = Rig(matrix_template, **env)
        rigs.append(rig)
        await rig.start()
        return rig

    yield make
    for rig in rigs:
        await rig.close()


async def test_worker_sigkilled_while_expiring_holds(rig_factory) -> None:
    """Most holds are abandoned; once the burst's first holds have been expired and more are
    still due, the worker is SIGKILLed and a new one starts a second later (what a process
    manager does). Every hold still expires on time."""
    rig: Rig = await rig_factory()
    burst = asyncio.create_task(rig.burst(8, pay=0.2, cancel=0.05))

    async def expiring() -> bool:
        expired = await rig.count("SELECT count(*) FROM reservation WHERE status = 'EXPIRED'")
        return expired > 0

    t0 = time.monotonic()
    while not await expiring():
        assert time.monotonic() - t0 < 30, "no hold expired"
        await asyncio.sleep(0.05)
    killed = rig.kill("worker")
    expired_before = await rig.count("SELECT count(*) FROM reservation WHERE status = 'EXPIRED'")
    await asyncio.sleep(1.0)
    rig.worker = rig.spawn("worker")
    await burst
    # the kill really was in the middle: some holds expired before it, more after it
    held_then = await rig.count(
        "SELECT count(*) FROM reservation WHERE status IN ('HELD', 'EXPIRED')") - expired_before
    assert expired_before > 0 and held_then > 0, (expired_before, held_then)
    await rig.settle_and_audit()
    worst = max(rig.tally.late.values(), default=0.0)
    assert worst < LATE_LIMIT
    assert killed.proc.returncode == -9
    report("worker SIGKILL", holds=len(rig.tally.reservations), expired_before_kill=expired_before,
           expired_after_kill=held_then, bookings=len(rig.tally.told_bookings))


async def test_api_sigkilled_mid_transaction(rig_factory) -> None:
    """In the middle of a burst, once an API transaction is open in Postgres, the API process
    is SIGKILLed and a new one started on the same port. Postgres rolls the cut transactions
    back (nothing half done), the fans' retries (same idempotency key) get real answers, and
    the service answers again within the bound."""
    rig: Rig = await rig_factory()
    api_db = rig.env["DATABASE_URL"] + "?application_name=bo-matrix-api"
    rig.api.stop()  # type: ignore[union-attr]
    rig.api = rig.spawn("serve", "--port", str(rig.port), DATABASE_URL=api_db)
    await rig.wait_answering(within=60)
    burst = asyncio.create_task(rig.burst(10, pay=0.7, cancel=0.1))
    await asyncio.sleep(2.0)

    async def in_transaction() -> int:
        return await rig.count(
            """SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bo-matrix-api'
               AND xact_start IS NOT NULL""")

    t0 = time.monotonic()
    while not await in_transaction():
        assert time.monotonic() - t0 < 20, "no API transaction seen"
        await asyncio.sleep(0.002)
    rig.kill("api")
    killed_at = time.monotonic()  # after it is dead: no answer of the old process counts
    rig.api = rig.spawn("serve", "--port", str(rig.port), DATABASE_URL=api_db)
    recovery = await rig.recovered_after(killed_at)
    await burst
    connection_errors = rig.tally.errors.get("confirm:CONNECTION", 0) + rig.tally.errors.get(
        "reserve:CONNECTION", 0)
    assert connection_errors > 0, rig.tally.errors  # the fans really were cut off
    assert rig.tally.told_bookings, (rig.tally, rig.api.output())  # type: ignore[union-attr]
    await rig.settle_and_audit()
    assert recovery < RECOVERY_LIMIT, recovery
    report("API SIGKILL", recovery_s=round(recovery, 2), cut_requests=connection_errors,
           bookings=len(rig.tally.told_bookings), errors=rig.tally.errors)
