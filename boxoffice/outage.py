"""A dependency (Postgres, Redis) briefly down is an answer, not a crash: TRY_AGAIN.

`is_unavailable(exc)` recognises the errors of a database or Redis that is unreachable,
restarting or shutting down, and of a Postgres node that no longer takes writes (a primary fenced
or demoted by a failover, a standby; `is_read_only`), anywhere in the exception's cause chain.
Three places use it:
- `boxoffice.db.serializable` retries a transaction such an error cut before its COMMIT, and
  drops the pool's connections so the next ones find the (new) primary;
- `OutageAsTryAgain`, an ASGI middleware: an outage that escapes the app *before* a response
  started (the API-key lookup in get_context, any pre-execution step) becomes a GraphQL-shaped
  JSON error with code TRY_AGAIN and HTTP 503 + Retry-After, instead of a bare text 500;
- the error masking of the schema (schema/errorcodes.py): a resolver that hit an outage gives
  TRY_AGAIN (HTTP 503 on POST/GET), not INTERNAL_SERVER_ERROR. The middleware adds the
  `Retry-After` header to such a 503 too.
"""

from __future__ import annotations

import logging

import asyncpg
import redis.exceptions
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

MESSAGE = "A service is briefly unavailable; please retry"
RETRY_AFTER_SECONDS = 1

_OUTAGE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable, timeouts (TimeoutError is an OSError)
    asyncpg.PostgresConnectionError,  # connection lost, cannot connect
    asyncpg.exceptions.OperatorInterventionError,  # admin/crash shutdown, starting up
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


class NotWritable(RuntimeError):
    """A pooled connection's server reports it takes no writes (default_transaction_read_only or
    in_hot_standby turned on since the pool connected: a failover fenced or demoted it)."""


def _read_only(exc: BaseException) -> bool:
    # 25006 "cannot execute INSERT in a read-only transaction": a primary fenced by its
    # failover manager (default_transaction_read_only = on) or a node that came back a standby
    return isinstance(exc, (NotWritable, asyncpg.exceptions.ReadOnlySQLTransactionError))


def _chain(exc: BaseException | None) -> list[BaseException]:
    found: list[BaseException] = []
    while exc is not None and len(found) < 8:
        found.append(exc)
        exc = exc.__cause__ or exc.__context__
    return found


def is_read_only(exc: BaseException | None) -> bool:
    return any(_read_only(e) for e in _chain(exc))


def is_unavailable(exc: BaseException | None) -> bool:
    for e in _chain(exc):
        if isinstance(e, _OUTAGE) or _read_only(e):
            return True
        if isinstance(e, asyncpg.InterfaceError) and "closed" in str(e):
            return True  # the pool handed out a connection that died under it
        if isinstance(e, asyncpg.exceptions.InternalClientError):
            # a pooled connection left mid-protocol by a server restart; also
            # TargetServerAttributeNotMatched: no listed host is writable (mid-failover)
            return True
    return False


def try_again_body() -> dict[str, object]:
    return {"data": None, "errors": [{"message": MESSAGE, "extensions": {"code": "TRY_AGAIN"}}]}


class OutageAsTryAgain:
    """ASGI middleware: an outage raised before the response started answers 503 TRY_AGAIN."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message["status"] == 503:  # a TRY_AGAIN answer says when to retry
                    message = _with_retry_after(message)
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started or not is_unavailable(exc):
                raise
            log.warning("%s %s: dependency unavailable (%s: %s)", scope.get("method"),
                        scope.get("path"), type(exc).__name__, exc)
            response = JSONResponse(try_again_body(), status_code=503,
                                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            await response(scope, receive, send)


def _with_retry_after(message: Message) -> Message:
    headers = list(message.get("headers", []))
    if any(name.lower() == b"retry-after" for name, _ in headers):
        return message
    headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    return {**message, "headers": headers}
