"""Database access: the Piccolo engine's pool, and the one transaction helper the services use.

`serializable()` is the only way the service layer opens a write transaction. It:
- runs `BEGIN ISOLATION LEVEL SERIALIZABLE` as the first statement (asyncpg's transaction), or
  READ COMMITTED with `BOOKING_ISOLATION=read_committed`: the row locks in label order, the
  `status = 'FREE'` guards with their row counts and the constraints alone prevent
  double-booking (tests/api/test_burst.py runs the audit at both levels),
- runs with a bounded `lock_timeout` (a session setting, see boxoffice/dburl.py), so a stuck
  holder cannot pile up requests,
- refuses to nest (a nested attempt would join the outer transaction and defeat the retry),
- is asyncpg's transaction on a pooled connection, not Piccolo's: the connection goes back to
  the pool even when COMMIT raises (Piccolo 1.38's `__aexit__` leaks it and its context
  variable then, docs/stack.md); Piccolo queries written inside it run on its connection
  (boxoffice/engine.py's `run_querystring`),
- retries serialization failures, deadlocks and 53200 (see RETRYABLE) a bounded number of
  times with jitter, each
  attempt in a fresh transaction on a fresh connection,
- survives a failover: a transaction cut by an outage (connection lost, no writable host, the
  node fenced read-only or demoted) *before its COMMIT went out* never committed, so it is run
  again a few times within about a second (OUTAGE_RETRY_DELAYS, at most 2 s in all), after the
  pool's connections are dropped so new ones find the primary; past that the error goes out
  (TRY_AGAIN). A
  connection lost *after* COMMIT went out leaves the outcome unknown: never run again (that
  could apply it twice), `CommitOutcomeUnknown` (TRY_AGAIN) instead; the booking rules answer
  the client's retry (README, "Primary failover").
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import TypeVar

import asyncpg
from piccolo.engine.postgres import PostgresEngine

from boxoffice import metrics, replica
from boxoffice.engine import configure_engine, get_engine, transaction_connection
from boxoffice.outage import NotWritable, is_read_only, is_unavailable
from boxoffice.settings import Settings, get_settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class Conflict(RuntimeError):
    """Rows changed between a plain read and their lock (READ COMMITTED's counterpart of a
    serialization failure): the transaction is rolled back and retried like one."""


# Retried (bounded): Conflict, 40001 serialization failures, 40P01 deadlocks and every 53200
# (out of memory). The 53200 we meet is SSI's "not enough elements in RWConflictPool", transient
# under a burst of serializable transactions; asyncpg does not tell it apart from a real
# out-of-memory, so that is retried too (a few times, then RetriesExhausted).
RETRYABLE = (
    Conflict,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.OutOfMemoryError,
)


# Pauses before running again a transaction an outage cut before its COMMIT (~1 s in all: a
# promoted standby takes writes within that on a local network; a failover manager's own
# detection takes longer, and those requests answer TRY_AGAIN). The budget bounds the whole
# while, connects included (each may take up to dburl's 5 s on an unreachable host).
OUTAGE_RETRY_DELAYS = (0.1, 0.3, 0.6)
OUTAGE_RETRY_BUDGET_SECONDS = 2.0


class TransactionNestingError(RuntimeError):
    pass


class CommitOutcomeUnknown(RuntimeError):
    """The connection was lost after COMMIT went out: the transaction may or may not have
    committed, so it is not run again. Raised from the connection error, so it answers
    TRY_AGAIN (boxoffice/outage.py); the client's retry is answered by the booking rules (the
    same idempotency key returns the stored confirm result; a hold is never made twice)."""


class Busy(RuntimeError):
    """The database could not do this now (contention); the client should try again."""


class RetriesExhausted(Busy):
    """Serialization failures kept happening past the retry bound."""


class LockTimeout(Busy):
    """A row lock was not granted within `lock_timeout`."""


def engine() -> PostgresEngine:
    return get_engine()


async def start_pool(settings: Settings | None = None) -> None:
    """Open the primary's pool (and the replica's) from `settings`: the caller's, or the
    process's (`get_settings()`) for one-shot commands and tests."""
    s = settings or get_settings()
    # Piccolo passes the engine's config (and these) to asyncpg.create_pool
    await configure_engine(s).start_connection_pool(
        min_size=s.db_pool_min, max_size=s.db_pool_max)
    await replica.start_read_pool(s)


async def close_pool() -> None:
    await replica.close_read_pool()
    await engine().close_connection_pool()


async def with_pool(fn: Callable[[], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run `fn` with the pools open (one-shot commands: the CLI, `boxoffice dev`)."""
    await start_pool(settings)
    try:
        return await fn()
    finally:
        await close_pool()


def pool() -> asyncpg.Pool:
    p = engine().pool
    if p is None:
        raise RuntimeError("database pool not started")
    return p


def read_pool() -> asyncpg.Pool:
    """Browse reads only (see boxoffice/replica.py): the replica when configured."""
    return replica.read_pool() or pool()


# Set while serializable() runs in this task (all its attempts): it refuses to nest.
_IN_TRANSACTION: ContextVar[bool] = ContextVar("boxoffice_in_transaction", default=False)


async def drop_connections() -> None:
    """Close every pooled connection as it is next released or acquired: after an outage they
    point at a node that is gone or no longer the primary; new ones ask each listed host
    (`target_session_attrs=read-write`, boxoffice/dburl.py)."""
    p = engine().pool
    if p is not None:
        await p.expire_connections()


def _takes_writes(connection: asyncpg.Connection) -> bool:
    # Postgres >= 14 reports both settings at connect and whenever a reload changes them, so a
    # primary fenced (default_transaction_read_only = on) since this connection was made is
    # seen here without a round trip (25006 from the first write covers the rest)
    settings = connection.get_settings()
    return (getattr(settings, "default_transaction_read_only", "off") != "on"
            and getattr(settings, "in_hot_standby", "off") != "on")


def in_transaction() -> bool:
    """Whether this task is inside serializable()'s or read_committed()'s transaction."""
    return _IN_TRANSACTION.get()


@contextmanager
def _piccolo_joins(conn: asyncpg.Connection) -> Iterator[None]:
    """Piccolo queries made meanwhile run on `conn`, the open transaction's connection."""
    token = transaction_connection.set(conn)
    try:
        yield
    finally:
        transaction_connection.reset(token)


def detach_from_transaction() -> None:
    """Called first in a task spawned inside a transaction, which is not part of it: asyncio
    copies the context into the task, so without this its Piccolo queries would run on the
    transaction's connection (beside the transaction's own statements, or after it was
    released) and serializable() would refuse to run in it. Only this task's copy changes."""
    transaction_connection.set(None)
    _IN_TRANSACTION.set(False)


@asynccontextmanager
async def read_committed() -> AsyncIterator[asyncpg.Connection]:
    """A short READ COMMITTED transaction, not retried (claims with SKIP LOCKED: the outbox).

    Piccolo queries inside it run on its connection, like raw statements on the connection it
    yields; it refuses to nest, like `serializable`."""
    if _IN_TRANSACTION.get():
        raise TransactionNestingError("read_committed() must not run inside another transaction")
    token = _IN_TRANSACTION.set(True)
    try:
        async with pool().acquire() as conn, conn.transaction(isolation="read_committed"):
            with _piccolo_joins(conn):
                yield conn
    finally:
        _IN_TRANSACTION.reset(token)


async def serializable(
    fn: Callable[[asyncpg.Connection], Awaitable[T]],
    *,
    retries: int | None = None,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """Run `fn(connection)` in a SERIALIZABLE transaction, retrying bounded on RETRYABLE.

    `fn` may be called several times: it must have no effects outside the transaction.
    """
    if _IN_TRANSACTION.get():
        raise TransactionNestingError("serializable() must not run inside another transaction")
    attempts = (retries if retries is not None else get_settings().serialization_retries) + 1
    isolation = get_settings().booking_isolation
    token = _IN_TRANSACTION.set(True)
    attempt = outages = 0
    outage_since = 0.0
    try:
        while True:
            commit_sent = False
            try:
                # asyncpg's own context managers, not Piccolo's transaction: the connection
                # goes back to the pool (rolled back if need be) whatever BEGIN or COMMIT do;
                # lock_timeout is a session setting (boxoffice/dburl.py)
                async with pool().acquire() as conn:
                    if not _takes_writes(conn):
                        raise NotWritable("the server of this pooled connection takes no writes")
                    async with conn.transaction(isolation=isolation):  # type: ignore[arg-type]
                        with _piccolo_joins(conn):
                            result = await fn(conn)
                        # leaving the block sends COMMIT: from here a lost connection leaves
                        # the outcome unknown
                        commit_sent = True
                metrics.inc("txn_commits_total")
                return result
            except RETRYABLE as exc:
                metrics.inc("txn_conflicts_total")
                if attempt + 1 < attempts:
                    metrics.count_retry()
                if on_retry is not None:
                    on_retry(attempt, exc)
                if attempt + 1 >= attempts:
                    metrics.inc("txn_retries_exhausted_total")
                    raise RetriesExhausted(str(exc)) from exc
                # full jitter, growing: spreads colliding requests apart
                await asyncio.sleep(random.uniform(0, 0.004 * (2 ** min(attempt, 6))))
                attempt += 1
            except asyncpg.exceptions.LockNotAvailableError as exc:
                metrics.inc("txn_lock_timeouts_total")
                raise LockTimeout(str(exc)) from exc
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                # the connection, or the node it reached, is gone or no longer the primary
                await drop_connections()
                kind = "read-only" if is_read_only(exc) else type(exc).__name__
                if commit_sent:
                    metrics.inc("txn_commit_outcome_unknown_total")
                    log.warning("transaction cut during COMMIT (%s: %s): outcome unknown, "
                                "not retried", kind, exc)
                    raise CommitOutcomeUnknown(f"connection lost during COMMIT ({kind})") from exc
                if outages == 0:
                    outage_since = time.monotonic()
                if (outages >= len(OUTAGE_RETRY_DELAYS) or time.monotonic() - outage_since
                        + OUTAGE_RETRY_DELAYS[outages] > OUTAGE_RETRY_BUDGET_SECONDS):
                    metrics.inc("txn_outage_retries_exhausted_total")
                    raise
                metrics.inc("txn_outage_retries_total")
                log.warning("transaction cut before COMMIT (%s: %s): retrying", kind, exc)
                await asyncio.sleep(OUTAGE_RETRY_DELAYS[outages])
                outages += 1
    finally:
        _IN_TRANSACTION.reset(token)
