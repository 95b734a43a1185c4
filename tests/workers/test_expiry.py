"""Hold expiry through real in-process arq workers: on time, dropped by cancel/confirm, after an
outage, idempotent."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime

from arq.jobs import Job, JobStatus

from boxoffice import db
from boxoffice.services.jobs import cancel_expiry, expiry_job_id
from tests.api.booking_ops import CANCEL, CONFIRM, RESERVE
from tests.audit import audit_show
from tests.factories import make_show
from tests.workers.conftest import (
    make_due,
    reservation_status,
    run_burst,
    running_worker,
    seat_statuses,
    state_of,
    wait_until,
)
from workers.context import shutdown, startup
from workers.holds import expire_hold


async def reserve(api, token, show_id, seats):
    return (await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}},
                      token=token))["reserve"]


async def test_deferred_job_expires_the_hold_and_frees_seats(api, redis):
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, hold_seconds=1)
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["D-4", "D-5"])
    assert r["__typename"] == "Reservation"
    info = await Job(expiry_job_id(int(r["id"])), redis).info()
    assert info is not None and info.score is not None
    assert info.score > time.time() * 1000  # deferred to expires_at

    w = await run_burst()  # burst waits for the deferred job, runs it, and stops
    assert w.jobs_complete == 1 and w.jobs_failed == 0
    assert await reservation_status(r["id"]) == "EXPIRED"
    statuses = await seat_statuses(show.show_id)
    assert statuses["D-4"] == statuses["D-5"] == "FREE"
    free = await db.pool().fetchval("SELECT free_seats FROM show WHERE id = $1", show.show_id)
    assert free == 200
    assert await audit_show(show.show_id) == []


async def test_hold_is_freed_within_two_seconds_of_expiry_with_a_running_worker(api):
    """End to end: HOLD_SECONDS=2, a worker running with its crons, lag measured."""
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, hold_seconds=2)
    show = await make_show()
    alice = await api.token("alice@example.com")
    async with running_worker():
        r = await reserve(api, alice, show.show_id, ["E-1"])
        expires_at = datetime.fromisoformat(r["expiresAt"])

        async def freed() -> bool:
            return (await seat_statuses(show.show_id))["E-1"] == "FREE"

        await wait_until(freed, within=6)
        lag = (datetime.now(UTC) - expires_at).total_seconds()
    assert 0 <= lag < 2.0, lag
    assert await reservation_status(r["id"]) == "EXPIRED"


async def test_cancel_and_confirm_drop_the_expiry_job_without_abort(api, redis, monkeypatch):
    async def no_abort(self, **kwargs):
        raise AssertionError("Job.abort sleeps its poll_delay and counts as a failed job")

    monkeypatch.setattr(Job, "abort", no_abort)
    show = await make_show()
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    cancelled = await reserve(api, alice, show.show_id, ["A-1"])
    confirmed = await reserve(api, bob, show.show_id, ["A-2"])
    for rid in (cancelled["id"], confirmed["id"]):
        assert await Job(expiry_job_id(int(rid)), redis).status() == JobStatus.deferred
    await api(CANCEL, {"id": cancelled["id"]}, token=alice)
    booking = (await api(CONFIRM, {"input": {"reservationId": confirmed["id"],
                                             "paymentToken": "tok_visa",
                                             "idempotencyKey": "k"}}, token=bob))["confirm"]
    assert booking["__typename"] == "Booking"

    # the deferred jobs are gone, not flagged: nothing is left for a worker to run or fail
    for rid in (cancelled["id"], confirmed["id"]):
        assert await Job(expiry_job_id(int(rid)), redis).status() == JobStatus.not_found
    assert await redis.zcard("arq:abort") == 0
    w = await run_burst()
    assert w.jobs_failed == 0  # (what completed is the outbox delivery the confirm nudged)
    assert await reservation_status(cancelled["id"]) == "CANCELLED"
    assert await reservation_status(confirmed["id"]) == "CONFIRMED"


async def test_a_stale_expiry_job_no_ops_and_counts_as_complete(api, redis):
    """A job the drop missed (already claimed, or Redis hiccup) is harmless and not a failure."""
    show = await make_show()
    bob = await api.token("bob@example.com")
    r = await reserve(api, bob, show.show_id, ["A-3"])
    booking = (await api(CONFIRM, {"input": {"reservationId": r["id"],
                                             "paymentToken": "tok_visa",
                                             "idempotencyKey": "k2"}}, token=bob))["confirm"]
    assert booking["__typename"] == "Booking"
    await make_due(r["id"])  # even past expires_at, a confirmed hold stays booked
    await redis.delete("arq:queue")  # only the stale job below (not the notification nudge)
    job = await state_of(api).arq.enqueue_job("expire_hold", int(r["id"]),
                                              _job_id=expiry_job_id(int(r["id"])))
    assert job is not None

    w = await run_burst()
    assert (w.jobs_complete, w.jobs_failed) == (1, 0)
    assert await job.result(timeout=1) == "not due"
    assert await reservation_status(r["id"]) == "CONFIRMED"
    assert (await seat_statuses(show.show_id))["A-3"] == "BOOKED"
    assert await audit_show(show.show_id) == []


async def test_hold_that_lapsed_while_no_worker_ran_is_freed_at_worker_start(api, redis):
    show = await make_show()
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    lost = await reserve(api, alice, show.show_id, ["F-1", "F-2"])
    kept = await reserve(api, bob, show.show_id, ["F-3"])
    await make_due(lost["id"], kept["id"])
    await redis.flushdb()  # the worse case: Redis lost the deferred jobs too

    started = time.monotonic()
    async with running_worker():
        async def freed() -> bool:
            s = await seat_statuses(show.show_id)
            return s["F-1"] == s["F-2"] == s["F-3"] == "FREE"

        await wait_until(freed, within=5)
        elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed  # the startup sweep does it before the first poll
    assert await reservation_status(lost["id"]) == "EXPIRED"
    assert await reservation_status(kept["id"]) == "EXPIRED"
    assert await audit_show(show.show_id) == []


async def test_sweeper_frees_overdue_holds_whose_jobs_are_still_far_away(api):
    """A job that will fire too late (or never) does not matter: the cron sweeper is enough."""
    show = await make_show()
    alice = await api.token("alice@example.com")
    async with running_worker():
        r = await reserve(api, alice, show.show_id, ["G-7"])  # its job is 5 minutes away
        await make_due(r["id"])

        async def expired() -> bool:
            return await reservation_status(r["id"]) == "EXPIRED"

        await wait_until(expired, within=5)  # the sweeper runs every 2 s


async def test_expire_hold_is_idempotent_and_respects_payments_in_flight(api, redis):
    show = await make_show()
    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["H-1"])
    ctx = {"redis": state_of(api).arq, "settings": state_of(api).settings}
    await startup(ctx)
    try:
        assert await expire_hold(ctx, int(r["id"])) == "not due"  # not yet due
        await make_due(r["id"])
        await db.pool().execute(
            "UPDATE reservation SET payment_pending_until = now() + interval '1 minute' "
            "WHERE id = $1", int(r["id"]))
        assert await expire_hold(ctx, int(r["id"])) == "not due"  # the payment wins the grace
        await db.pool().execute(
            "UPDATE reservation SET payment_pending_until = NULL WHERE id = $1", int(r["id"]))
        assert (await expire_hold(ctx, int(r["id"]))).startswith("expired")
        assert await expire_hold(ctx, int(r["id"])) == "not due"  # twice is a no-op
        assert await expire_hold(ctx, 987654) == "not due"  # unknown ids too
    finally:
        await shutdown(ctx)
    assert await reservation_status(r["id"]) == "EXPIRED"
    assert (await seat_statuses(show.show_id))["H-1"] == "FREE"


async def test_dropping_leaves_a_job_a_worker_already_claimed(api, redis):
    """A claimed job runs (and no-ops): deleting its data would make arq fail it as expired."""
    arq = state_of(api).arq
    await arq.enqueue_job("expire_hold", 424242, _job_id=expiry_job_id(424242), _defer_by=60)
    await redis.set("arq:in-progress:" + expiry_job_id(424242), b"1")
    await cancel_expiry(arq, 424242)
    assert await Job(expiry_job_id(424242), redis).status() == JobStatus.in_progress
    await redis.delete("arq:in-progress:" + expiry_job_id(424242))
    await cancel_expiry(arq, 424242)
    assert await Job(expiry_job_id(424242), redis).status() == JobStatus.not_found
