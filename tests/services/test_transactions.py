"""The transaction helper: SERIALIZABLE, bounded retries, no nesting, nothing leaks on failure.

A transaction helper whose exit does not release the connection or reset its context when
COMMIT raises (Piccolo 1.38's does not, docs/stack.md) runs a retry outside any transaction.
These tests force a real serialization failure at COMMIT and prove the retry is a fresh,
atomic transaction and that nothing is left behind.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from boxoffice import db
from boxoffice.db import RetriesExhausted, TransactionNestingError, serializable


@pytest.fixture
async def probe(clean, monkeypatch):
    # the retry machinery under test is SERIALIZABLE's (BOOKING_ISOLATION's other level)
    from boxoffice.settings import reset_settings_cache

    monkeypatch.setenv("BOOKING_ISOLATION", "serializable")
    reset_settings_cache()
    await db.pool().execute("DROP TABLE IF EXISTS probe")
    await db.pool().execute("CREATE TABLE probe (k text, v int)")
    yield
    await db.pool().execute("DROP TABLE IF EXISTS probe")
    monkeypatch.undo()
    reset_settings_cache()


async def _write_skew(conn: asyncpg.Connection, other: asyncpg.Connection) -> None:
    """Set up a dangerous structure so that `conn`'s COMMIT fails with 40001."""
    await other.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
    await other.fetch("SELECT * FROM probe WHERE k = 'a'")
    await conn.fetch("SELECT * FROM probe WHERE k = 'b'")
    await conn.execute("INSERT INTO probe VALUES ('a', 1)")
    await other.execute("INSERT INTO probe VALUES ('b', 1)")
    await other.execute("COMMIT")


async def test_retry_after_serialization_failure_at_commit_is_atomic(probe):
    other = await asyncpg.connect(dsn=db.engine().config["dsn"])
    attempts: list[dict] = []
    retries: list[int] = []

    async def work(conn: asyncpg.Connection) -> str:
        info = {
            "isolation": await conn.fetchval("SHOW transaction_isolation"),
            "in_txn": conn.is_in_transaction(),
            "lock_timeout": await conn.fetchval("SHOW lock_timeout"),
            "flagged": db.in_transaction(),
        }
        attempts.append(info)
        if len(attempts) == 1:
            await _write_skew(conn, other)  # COMMIT of this attempt will fail
            return "first"
        await conn.execute("INSERT INTO probe VALUES ('a', 2)")
        return "second"

    idle_before = db.pool().get_idle_size()
    try:
        result = await serializable(work, on_retry=lambda n, e: retries.append(n))
    finally:
        await other.close()
    assert result == "second"
    assert retries == [0]  # exactly one serialization failure, retried once
    assert all(a["isolation"] == "serializable" and a["in_txn"] for a in attempts)
    assert all(a["flagged"] for a in attempts)
    assert attempts[0]["lock_timeout"] == "2s"
    rows = await db.pool().fetch("SELECT k, v FROM probe ORDER BY k, v")
    # the first attempt's insert is gone; the retry's is there; the other txn's too
    assert [(r["k"], r["v"]) for r in rows] == [("a", 2), ("b", 1)]
    # nothing leaked: the flag is reset and the connection is back in the pool
    assert not db.in_transaction()
    assert db.pool().get_idle_size() >= idle_before


async def test_retries_are_bounded(probe):
    calls = 0

    async def always_conflicts(conn: asyncpg.Connection) -> None:
        nonlocal calls
        calls += 1
        raise asyncpg.exceptions.SerializationError("forced")

    with pytest.raises(RetriesExhausted):
        await serializable(always_conflicts, retries=3)
    assert calls == 4
    assert not db.in_transaction()


async def test_nesting_is_refused(probe):
    async def outer(conn: asyncpg.Connection) -> None:
        await serializable(lambda c: c.fetchval("SELECT 1"))

    with pytest.raises(TransactionNestingError):
        await serializable(outer)
    assert not db.in_transaction()


async def test_error_rolls_back_everything(probe):
    async def half_done(conn: asyncpg.Connection) -> None:
        await conn.execute("INSERT INTO probe VALUES ('x', 1)")
        raise ValueError("boom")

    with pytest.raises(ValueError):
        await serializable(half_done)
    assert await db.pool().fetchval("SELECT count(*) FROM probe") == 0


async def test_piccolo_queries_inside_a_transaction_run_on_its_connection(probe):
    """A builder query written inside serializable()/read_committed() joins that transaction
    (boxoffice/engine.py): it sees the transaction's uncommitted rows, is rolled back with it,
    and does not wait on a row the transaction locked (it would on another connection)."""
    from piccolo.query.base import Query
    from piccolo.querystring import QueryString

    from models.catalog import City

    class Raw(Query):  # a Piccolo query of our own text, run through the engine like any other
        def __init__(self, sql: str, *args: object) -> None:
            super().__init__(table=City)
            self._qs = QueryString(sql, *args)

        @property
        def default_querystrings(self):  # type: ignore[no-untyped-def]
            return [self._qs]

    async def work(conn: asyncpg.Connection) -> list[dict]:
        await conn.execute("INSERT INTO probe VALUES ('x', 1)")
        await conn.fetch("SELECT * FROM probe WHERE k = 'x' FOR UPDATE")
        return await Raw("SELECT k, v FROM probe WHERE k = {} FOR UPDATE", "x").run()

    seen = await serializable(work)
    assert [dict(r) for r in seen] == [{"k": "x", "v": 1}]

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.read_committed() as conn:
            await conn.execute("INSERT INTO probe VALUES ('y', 1)")
            await Raw("UPDATE probe SET v = 2 WHERE k = {}", "y").run()
            assert await conn.fetchval("SELECT v FROM probe WHERE k = 'y'") == 2
            raise Abort
    assert await db.pool().fetchval("SELECT count(*) FROM probe WHERE k = 'y'") == 0
    assert not db.in_transaction()


async def test_a_transaction_cut_before_commit_runs_again_once(probe):
    """The connection dies mid-transaction (as in a failover): the server rolled the attempt
    back, so it is run again on a new connection, and its write is there exactly once."""
    pids: list[int] = []

    async def work(conn: asyncpg.Connection) -> str:
        pids.append(await conn.fetchval("SELECT pg_backend_pid()"))
        await conn.execute("INSERT INTO probe VALUES ('a', $1)", len(pids))
        if len(pids) == 1:
            await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return "done"

    assert await serializable(work) == "done"
    assert len(pids) == 2 and pids[0] != pids[1]
    assert [tuple(r) for r in await db.pool().fetch("SELECT k, v FROM probe")] == [("a", 2)]
    assert not db.in_transaction()


async def test_a_transaction_refused_as_read_only_runs_again_on_a_new_connection(probe):
    """25006 (the node was fenced or came back a standby): nothing was written; the pool's
    connections are dropped and the transaction runs again on a new one."""
    pids: list[int] = []

    async def work(conn: asyncpg.Connection) -> None:
        pids.append(await conn.fetchval("SELECT pg_backend_pid()"))
        if len(pids) == 1:
            await conn.execute("SET TRANSACTION READ ONLY")
        await conn.execute("INSERT INTO probe VALUES ('r', $1)", len(pids))

    await serializable(work)
    assert len(pids) == 2 and pids[0] != pids[1]
    assert [tuple(r) for r in await db.pool().fetch("SELECT k, v FROM probe")] == [("r", 2)]
    # the first connection was closed on release (expired), not kept in the pool
    assert await db.pool().fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pids[0]) == 0


async def test_a_connection_lost_during_commit_is_not_run_again(probe):
    """Lost after COMMIT went out, the outcome is unknown: running the transaction again could
    apply it twice, so it answers TRY_AGAIN (an outage) and `fn` ran once. A deferred trigger
    holds the COMMIT while another session terminates the backend."""
    from boxoffice.db import CommitOutcomeUnknown
    from boxoffice.outage import is_unavailable

    await db.pool().execute("""
        CREATE FUNCTION probe_slow_commit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER probe_slow AFTER INSERT ON probe DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION probe_slow_commit()""")
    other = await asyncpg.connect(dsn=db.engine().config["dsn"])
    calls = 0

    async def work(conn: asyncpg.Connection) -> None:
        nonlocal calls
        calls += 1
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        await conn.execute("INSERT INTO probe VALUES ('c', 1)")

        async def terminate_during_commit() -> None:
            for _ in range(100):  # until the COMMIT sits in the deferred trigger
                await asyncio.sleep(0.05)
                if await other.fetchval("SELECT wait_event = 'PgSleep' FROM pg_stat_activity "
                                        "WHERE pid = $1", pid):
                    await other.execute("SELECT pg_terminate_backend($1)", pid)
                    return

        tasks.append(asyncio.create_task(terminate_during_commit()))

    tasks: list[asyncio.Task[None]] = []
    try:
        with pytest.raises(CommitOutcomeUnknown) as raised:
            await serializable(work)
        await asyncio.gather(*tasks)
    finally:
        await other.close()
        await db.pool().execute("DROP TRIGGER probe_slow ON probe; "
                                "DROP FUNCTION probe_slow_commit()")
    assert calls == 1
    assert is_unavailable(raised.value)
    assert not db.in_transaction()
