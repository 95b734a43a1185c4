"""pg_auto_failover as the failover manager: 0 confirmed bookings lost, recovery < 15 s.

A real formation (tests/pgautofailover.py): a monitor and two data nodes, `node1` primary and
`node2` its synchronous standby (number_sync_standbys 0, the default for two data nodes: the
primary waits for the standby on every commit while it is healthy, and keeps taking writes
alone once it is gone). An API process runs with a `DATABASE_URL` listing both nodes with
`target_session_attrs=read-write`. Fans reserve and confirm in a burst; mid-burst node1 is lost
like a machine (its keeper, its Postgres and every backend get SIGKILL). Nobody promotes by hand:
the monitor notices, and pg_auto_failover promotes node2. Every booking `confirm` returned must
be on node2, nothing may be half-done, every request the crash cut (and every one after it)
must answer with data or a coded TRY_AGAIN (never INTERNAL_SERVER_ERROR or a bare 500), and the
first booking after the crash must come within 15 s (the monitor's timeouts
are tuned for it, see tests/pgautofailover.py; with the defaults a failover takes ~50 s).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.pgautofailover import Formation, formation
from tests.replica.burst import (
    answers_summary,
    assert_cut_requests_answered_well,
    assert_nothing_lost,
    burst_across_crash,
    prepare,
)

RECOVERY_BOUND_SECONDS = 15


@pytest.fixture(scope="module")
def paf() -> Iterator[Formation]:
    with formation("failover", "boxoffice") as f:
        yield f


async def test_pg_auto_failover_promotes_the_standby_and_no_confirmed_booking_is_lost(
        paf: Formation, tmp_path: Path, record_property: Any) -> None:
    node1, node2 = paf.nodes
    primary = await asyncpg.connect(node1.url("boxoffice"))
    try:  # every commit waits for node2 while both are up
        assert await primary.fetchval("SHOW synchronous_standby_names") == (
            "ANY 1 (pgautofailover_standby_2)")
    finally:
        await primary.close()
    booking = prepare(node1.url("boxoffice"), tmp_path)
    both = (f"postgresql://postgres@127.0.0.1:{node1.port},127.0.0.1:{node2.port}/boxoffice"
            "?target_session_attrs=read-write")
    result = await burst_across_crash(booking, both, lambda: paf.kill_node(node1))
    assert result.killed_at is not None
    states = paf.states()
    assert states["node2"][0] in ("wait_primary", "primary"), f"{states}\n{paf.logs()}"
    print(f"\npg_auto_failover: {result.before_kill} bookings before the kill, "
          f"{len(result.confirmed)} in all; recovery (kill -> next confirmed booking) "
          f"{result.recovery:.2f} s; states {states}\n{answers_summary(result)}")
    record_property("auto_failover_recovery_seconds", round(result.recovery, 2))
    await assert_nothing_lost(result, booking.show_id, node2.url("boxoffice"))
    assert_cut_requests_answered_well(result)
    assert result.recovery < RECOVERY_BOUND_SECONDS, paf.logs()
