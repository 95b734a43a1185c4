"""Database access: the Piccolo engine's pool, and the one transaction helper the services use.

`serializable()` is the only way the service layer opens a write transaction. It:
- runs `BEGIN ISOLATION LEVEL SERIALIZABLE` as the first statement (asyncpg's transaction), or
  READ COMMITTED with `BOOKING_ISOLATION=read_committed`: the row locks in label order, the
  `status = 'FREE'` guards with their row counts and the constraints alone prevent
  double-booking (tests/api/test_burst.py runs the audit at both levels),
- runs with a bounded `lock_timeout` (a session setting, see boxoffice/dburl.py), so a stuck
  holder cannot pile up requests,
- refuses to nest (Piccolo silently joins an outer transaction, which would defeat the retry),
- always releases the connection and resets Piccolo's context variable, even when COMMIT raises
  (Piccolo 1.38's own `__aexit__` does not: a retry would then run outside any transaction),
- retries serialization failures, deadlocks and 53200 (see RETRYABLE) a bounded number of
  times with jitter, each
  attempt in a fresh transaction on a fresh connection.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from boxoffice import metrics, replica
from boxoffice.dburl import asyncpg_config
from boxoffice.engine import get_engine
from boxoffice.settings import get_settings

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


class TransactionNestingError(RuntimeError):
    pass


class Busy(RuntimeError):
    """The database could not do this now (contention); the client should try again."""


class RetriesExhausted(Busy):
    """Serialization failures kept happening past the retry bound."""


class LockTimeout(Busy):
    """A row lock was not granted within `lock_timeout`."""


def engine() -> PostgresEngine:
    return get_engine()


async def start_pool() -> None:
    s = get_settings()
    # the pool connects to the URL the settings hold now (Piccolo passes these to create_pool)
    await engine().start_connection_pool(
        **asyncpg_config(s.database_url, s.lock_timeout_ms),
        min_size=s.db_pool_min, max_size=s.db_pool_max,
    )
    await replica.start_read_pool()


async def close_pool() -> None:
    await replica.close_read_pool()
    await engine().close_connection_pool()


async def with_pool(fn: Callable[[], Awaitable[T]]) -> T:
    """Run `fn` with the pools open (one-shot commands: the CLI, `boxoffice dev`)."""
    await start_pool()
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


class _SerializableTransaction(PostgresTransaction):
    """A Piccolo transaction at BOOKING_ISOLATION (SERIALIZABLE by default) whose exit cannot
    leak the connection or context."""

    isolation: str | None = None  # None: BOOKING_ISOLATION

    async def begin(self) -> None:
        isolation = self.isolation or get_settings().booking_isolation
        self.transaction = self.connection.transaction(isolation=isolation)  # type: ignore[arg-type]
        await self.transaction.start()  # lock_timeout is a session setting (piccolo_conf)

    async def __aexit__(self, exception_type, exception, traceback) -> bool:  # type: ignore[no-untyped-def]
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            try:
                if self.engine.pool:
                    await self.engine.pool.release(self.connection)
                else:
                    await self.connection.close()
            finally:
                self.engine.current_transaction.reset(self.context)
        return exception is None


class _ReadCommittedTransaction(_SerializableTransaction):
    isolation = "read_committed"


@asynccontextmanager
async def read_committed() -> AsyncIterator[asyncpg.Connection]:
    """A short READ COMMITTED transaction, not retried (claims with SKIP LOCKED: the outbox).

    Piccolo queries inside it run on its connection, like raw statements on the connection
    it yields; it refuses to nest, like `serializable`."""
    eng = engine()
    if eng.current_transaction.get() is not None:
        raise TransactionNestingError("read_committed() must not run inside another transaction")
    async with _ReadCommittedTransaction(eng, allow_nested=False) as txn:
        yield txn.connection


async def serializable(
    fn: Callable[[asyncpg.Connection], Awaitable[T]],
    *,
    retries: int | None = None,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """Run `fn(connection)` in a SERIALIZABLE transaction, retrying bounded on RETRYABLE.

    `fn` may be called several times: it must have no effects outside the transaction.
    """
    eng = engine()
    if eng.current_transaction.get() is not None:
        raise TransactionNestingError("serializable() must not run inside another transaction")
    attempts = (retries if retries is not None else get_settings().serialization_retries) + 1
    for attempt in range(attempts):
        try:
            async with _SerializableTransaction(eng, allow_nested=False) as txn:
                result = await fn(txn.connection)
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
        except asyncpg.exceptions.LockNotAvailableError as exc:
            metrics.inc("txn_lock_timeouts_total")
            raise LockTimeout(str(exc)) from exc
    raise AssertionError("unreachable")
