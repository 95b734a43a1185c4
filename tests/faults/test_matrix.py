"""The fault matrix: real `boxoffice serve` and `boxoffice worker` processes on a private Postgres
cluster and a private redis-server, a small burst of fans reserving, paying and abandoning with
HOLD_SECONDS=4, one fault per scenario, then the SQL audit of `tests/faults/burst.py`: every
booking a client was told about exists, nothing double-booked or half-done, no hold HELD more
than 15 s past its expiry, every gateway charge a paid booking or refunded, no payment PENDING.

Redis killed under the worker, confirm's gateway failures one by one and Postgres stopped under
serve have their own tests (test_worker_outage, test_payments, test_postgres_outage)."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from email.message import EmailMessage

import httpx2
import pytest
from redis.asyncio import Redis

from boxoffice.services.seatcache import CODE_STATUS, bitmap_key, decode, index_key
from tests.faults.burst import (
    API_APPLICATION_NAME,
    LATE_LIMIT,
    RECOVERY_LIMIT,
    SEATMAP,
    Rig,
    Template,
    report,
)
from tests.realtime.support import free_port
from tests.workers.conftest import wait_until
from tests.workers.test_notifications import smtp_server


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
    await rig.settle_and_audit()
    # the kill really was in the middle: some holds expired before it, more after it
    expired_after = await rig.count(
        "SELECT count(*) FROM reservation WHERE status = 'EXPIRED'") - expired_before
    assert expired_before > 0 and expired_after > 0, (expired_before, expired_after)
    worst = max(rig.tally.late.values(), default=0.0)
    assert worst < LATE_LIMIT
    assert killed.proc.returncode == -9
    report("worker SIGKILL", holds=len(rig.tally.reservations), expired_before_kill=expired_before,
           expired_after_kill=expired_after, bookings=len(rig.tally.told_bookings))


async def test_api_sigkilled_mid_transaction(rig_factory) -> None:
    """In the middle of a burst (charges answer after 0.3-1 s, so confirms are in flight), once
    a payment is at the gateway and an API transaction is open in Postgres, the API process is
    SIGKILLed and a new one started on the same port. Postgres rolls the cut transactions back
    (nothing half done), the fans' retries (same idempotency key) get real answers, and the
    service answers again within the bound."""
    rig: Rig = await rig_factory(SANDBOX_LATENCY_SECONDS="0.3-1.0")
    burst = asyncio.create_task(rig.burst(10, pay=0.7, cancel=0.1))
    await asyncio.sleep(2.0)

    async def mid_transaction() -> bool:
        return await rig.count(
            """SELECT count(*) FROM pg_stat_activity WHERE application_name = $1
               AND xact_start IS NOT NULL""", API_APPLICATION_NAME) > 0 and await rig.count(
            "SELECT count(*) FROM payment WHERE status = 'PENDING'") > 0

    t0 = time.monotonic()
    while not await mid_transaction():
        assert time.monotonic() - t0 < 20, "no API transaction seen"
        await asyncio.sleep(0.002)
    rig.kill("api")
    killed_at = time.monotonic()  # after it is dead: no answer of the old process counts
    rig.api = rig.spawn_api()
    recovery = await rig.recovered_after(killed_at)
    await burst
    cut = {k: v for k, v in rig.tally.errors.items() if k.endswith(":CONNECTION")}
    assert cut.get("confirm:CONNECTION"), rig.tally.errors  # a payment in flight was cut
    await rig.burst(4, pay=0.7, cancel=0.1)  # and the new process takes bookings
    await rig.settle_and_audit()
    # most of this is a cold interpreter starting `serve` (~2.3 s of imports alone when idle):
    # 5-8 s measured on this 2-core box, 21 s with nine test suites running beside it, hence
    # the generous bound here (the figure is reported; README "The fault matrix")
    assert recovery < 3 * RECOVERY_LIMIT, recovery
    report("API SIGKILL", recovery_s=round(recovery, 2), cut_requests=cut,
           bookings=len(rig.tally.told_bookings), errors=rig.tally.errors)


async def test_gateway_slow_failing_and_timing_out_during_confirm(rig_factory) -> None:
    """Every charge answers after 0.1-2.5 s (the gateway timeout is 1.5 s: some confirms time
    out after the charge was made), 15 % of charges fail (503 before charging, or charged with
    the answer lost), and fans also pay with the sandbox's fault tokens. Every confirm gets a
    final answer through retries under its key; every charge is a paid booking or refunded."""
    rig: Rig = await rig_factory(SANDBOX_LATENCY_SECONDS="0.1-2.5", SANDBOX_FAILURE_RATE="0.15",
                                 PAYMENT_GATEWAY_TIMEOUT_SECONDS="1.5")
    cards = {"tok_visa": 45, "tok_visa_lostResponse": 15, "tok_gatewayError": 10,
             "tok_gatewayTimeout": 10, "tok_visa_slow": 10, "tok_chargeDeclined": 10}
    await rig.burst(10, cards=cards, pay=0.85, cancel=0.0)
    assert rig.tally.errors.get("confirm:TRY_AGAIN", 0) > 0, rig.tally.errors  # faults were hit
    assert "confirm:CLIENT_TIMEOUT" not in rig.tally.errors, rig.tally.errors  # never hangs
    await rig.settle_and_audit()
    outcomes = dict(await rig.conn.fetch(
        "SELECT status, count(*) FROM payment GROUP BY status ORDER BY status"))
    report("gateway faults", confirms_retried=rig.tally.errors.get("confirm:TRY_AGAIN", 0),
           bookings=len(rig.tally.told_bookings), payments=outcomes)


async def test_smtp_down_then_back(rig_factory) -> None:
    """The mail server is down during a burst of bookings (the outbox retries with backoff);
    when it is back every notification is delivered, each exactly once."""
    port = free_port()
    rig: Rig = await rig_factory(NOTIFICATION_CHANNEL="email",
                                 SMTP_URL=f"smtp://127.0.0.1:{port}",
                                 NOTIFY_BACKOFF_SECONDS="0.5", NOTIFY_BACKOFF_MAX_SECONDS="4",
                                 NOTIFY_MAX_ATTEMPTS="50")
    await rig.burst(6, pay=0.8, cancel=0.0)

    async def failed_attempts() -> int:
        return await rig.count("SELECT count(*) FROM notification WHERE attempts > 0")

    await wait_until(failed_attempts, within=30)
    assert await rig.count("SELECT count(*) FROM notification WHERE status = 'SENT'") == 0
    async with smtp_server(port) as inbox:
        back = time.monotonic()

        async def all_sent() -> bool:
            return await rig.count(
                "SELECT count(*) FROM notification WHERE status <> 'SENT'") == 0

        await wait_until(all_sent, within=60, interval=0.1)
        delivered_in = time.monotonic() - back
        await rig.settle_and_audit()  # bookings settled: no notification can still be added
        await wait_until(all_sent, within=60, interval=0.1)
        await asyncio.sleep(2.0)  # a duplicate send would land now
        rows = await rig.conn.fetch(
            "SELECT id, kind, attempts, payload->>'bookingId' AS booking FROM notification")
        mailed = Counter(_booking_id(m) for _to, m in inbox.messages
                         if m["Subject"].startswith("Booking confirmed"))
    assert len(inbox.messages) == len(rows), (len(inbox.messages), len(rows))
    booked = {str(b) for b in rig.tally.told_bookings}
    assert booked <= set(mailed), booked - set(mailed)  # none lost
    assert all(n == 1 for n in mailed.values()), mailed  # none twice
    retried = sum(1 for r in rows if r["attempts"] > 1)
    assert retried > 0
    report("SMTP down then back", notifications=len(rows), retried=retried,
           all_delivered_within_s=round(delivered_in, 2))


def _booking_id(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"Your booking (\d+) is confirmed", body.get_content())
    assert found is not None, body.get_content()
    return found.group(1)


async def test_redis_back_empty_seat_map_agrees_with_postgres(rig_factory) -> None:
    """Redis is SIGKILLed in the middle of a burst and restarted empty 2 s later. The service
    answers again by itself; once the burst settles the seat-map cache (the Redis bitmap and
    the seatMap answer) agrees with `show_seat` seat for seat."""
    rig: Rig = await rig_factory()
    burst = asyncio.create_task(rig.burst(12, pay=0.5))
    await asyncio.sleep(4)
    rig.redis.kill()
    await asyncio.sleep(2)
    rig.redis.start()
    back = time.monotonic()
    recovery = await rig.recovered_after(back)
    await burst
    # charges made before the kill were forgotten with the sandbox's Redis; those since are
    # audited like everywhere else
    await rig.settle_and_audit()
    assert rig.worker is not None and rig.worker.alive(), rig.worker and rig.worker.output()

    async def views() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        pg = {r["label"]: r["status"] for r in await rig.conn.fetch(
            "SELECT label, status FROM show_seat WHERE show = $1", rig.show_id)}
        async with httpx2.AsyncClient(base_url=rig.base, timeout=5) as client:
            data, _code = await rig.gql(client, SEATMAP, {"id": str(rig.show_id)},
                                       rig.template.tokens[0])
        api = {s["label"]: s["status"] for s in data["seatMap"]["seats"]} if data else {}
        client = Redis.from_url(rig.redis.url)
        try:
            index = {k.decode(): int(v) for k, v in
                     (await client.hgetall(index_key(rig.show_id))).items()}  # type: ignore[misc]
            bitmap = await client.get(bitmap_key(rig.show_id)) or b""
        finally:
            await client.aclose()
        codes = decode(bitmap, len(index))
        cached = {label: CODE_STATUS[codes[i]] for label, i in index.items()}
        return pg, api, cached

    async def agree() -> bool:
        pg, api, cached = await views()
        return pg == api == cached

    await wait_until(agree, within=30, interval=0.5)
    pg, _api, _cached = await views()
    assert set(pg.values()) > {"FREE"}, "no seat was booked: nothing to compare"
    assert recovery < RECOVERY_LIMIT, recovery
    report("Redis back empty", recovery_s=round(recovery, 2),
           bookings=len(rig.tally.told_bookings), seats_compared=len(pg))
