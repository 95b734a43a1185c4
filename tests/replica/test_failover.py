"""Failover with a synchronous standby: 0 confirmed bookings lost.

A real pair (tests/pgpair.py) with `synchronous_standby_names = 'standby'`: every COMMIT the
primary acknowledges is already flushed on the standby. An API process runs with a multi-host
`DATABASE_URL` (`…@primary,standby/db?target_session_attrs=read-write`). Fans reserve and confirm
in a burst; mid-burst the primary and all its backends get SIGKILL (a lost machine) and the standby
is promoted by hand (tests/replica/test_auto_failover.py lets pg_auto_failover do it, the burst is
shared: tests/replica/burst.py). The process must find the new primary by itself, and every booking
that `confirm` returned must be on it, with its tickets and seats, and no seat sold twice. The
recovery time (SIGKILL to the first booking reserved and confirmed after it) is printed; the bound
(< 15 s) is a figure for the README, not an assertion.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.pgpair import PgPair, kill_postmaster, pg_pair
from tests.replica.burst import assert_nothing_lost, burst_across_crash, prepare


@pytest.fixture(scope="module")
def sync_pair() -> Iterator[PgPair]:
    with pg_pair("failover", synchronous=True) as p:
        yield p


async def test_killing_the_primary_mid_burst_loses_no_confirmed_booking(
        sync_pair: PgPair, tmp_path: Path, record_property: Any) -> None:
    pair = sync_pair
    admin = await asyncpg.connect(pair.primary.url())
    await admin.execute("CREATE DATABASE boxoffice")
    assert await admin.fetchval("SHOW synchronous_standby_names") == "standby"
    await admin.close()
    booking = prepare(pair.primary.url("boxoffice"), tmp_path)
    multi = (f"postgresql://postgres@127.0.0.1:{pair.primary.port},127.0.0.1:"
             f"{pair.standby.port}/boxoffice?target_session_attrs=read-write")
    promoted: list[float] = []

    def crash() -> None:
        kill_postmaster(pair.primary.pid())
        pair.standby.promote()
        promoted.append(time.monotonic())

    result = await burst_across_crash(booking, multi, crash)
    assert result.killed_at is not None and promoted
    errors = result.failures_since_kill()
    print(f"\nfailover: {result.before_kill} bookings before the kill, {len(result.confirmed)} "
          f"in all; promote took {promoted[0] - result.killed_at:.2f} s; recovery (kill -> next "
          f"confirmed booking) {result.recovery:.2f} s; {len(errors)} failed requests meanwhile: "
          f"{[e[:120] for e in errors[:3]]}")
    record_property("failover_recovery_seconds", round(result.recovery, 2))
    await assert_nothing_lost(result, booking.show_id, pair.standby.url("boxoffice"))
