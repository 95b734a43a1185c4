"""A dependency (Postgres, Redis) briefly down is an answer, not a crash: TRY_AGAIN.

`is_unavailable(exc)` recognises the errors of a database or Redis that is unreachable,
restarting or shutting down (anywhere in the exception's cause chain). Two places use it:
- `OutageAsTryAgain`, an ASGI middleware: an outage that escapes the app *before* a response
  started (the API-key lookup in get_context, any pre-execution step) becomes a GraphQL-shaped
  JSON error with code TRY_AGAIN and HTTP 503 + Retry-After, instead of a bare text 500;
- the error masking of the schema (schema/errorcodes.py): a resolver that hit an outage gives
  TRY_AGAIN (HTTP 503 on POST/GET), not INTERNAL_SERVER_ERROR.
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


def is_unavailable(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, _OUTAGE):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc):
            return True  # the pool handed out a connection that died under it
        if isinstance(exc, asyncpg.exceptions.InternalClientError):
            return True  # a pooled connection left mid-protocol by a server restart
        exc = exc.__cause__ or exc.__context__
        seen += 1
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
