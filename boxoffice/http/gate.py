"""ApiGate: the checks every GraphQL request passes before its body is read or parsed.

For HTTP requests to the GraphQL path (GET and POST alike), in this order:
1. a missing `X-API-Key` -> 401, nothing read;
2. the token buckets of the client address and of the presented key (one Redis round trip,
   before the key lookup, so a flood of made-up keys is throttled per address rather than
   costing a database query each) -> 429 with `Retry-After` and `RATE_LIMITED`;
3. an unknown or revoked key -> 401 (`boxoffice.auth.verify_api_key`, cached 5 s, bounded);
4. a body over `max_body_bytes` -> 413: by `Content-Length` before reading, else counted while
   streaming (chunked) and cut off at the limit.
The admitted request reaches the view with its body already read and its API client in
`scope["state"]`. A browser opening the GraphQL URL (GET, HTML, no query) passes to the view,
which renders GraphiQL or 404 (`GRAPHIQL=off`). Websockets pass too: the key comes in
`connection_init` (boxoffice.graphql_view), but the address bucket is charged per handshake.
Every refusal is GraphQL-shaped JSON: `{"errors": [{"message", "extensions": {"code"}}]}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice import metrics
from boxoffice.auth import verify_api_key
from boxoffice.http import ratelimit
from boxoffice.http.responses import send_error
from boxoffice.settings import Settings

API_CLIENT_STATE = "boxoffice.api_client"


class BodyTooLarge(Exception):
    pass


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin-1")
    return None


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _is_ide_request(scope: Scope) -> bool:
    """A browser navigating to the GraphQL URL: GraphiQL's page, no operation in it."""
    if scope["method"] != "GET" or "text/html" not in (_header(scope, b"accept") or ""):
        return False
    # decoded the way the view decodes them: `?%71uery=` is `query` too
    names = {k for k, _ in parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                     keep_blank_values=True)}
    return not names & {"query", "extensions"}


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, refusing as soon as more than `limit` bytes arrived."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BodyTooLarge() if size > limit else ConnectionAbortedError()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


DRAIN_CAP_BYTES = 16 << 20
DRAIN_SECONDS = 3.0


async def drain(scope: Scope, receive: Receive) -> None:
    """Read and discard what is left of a refused request's body (never parsed), so that the
    client, still sending, reads our 401/413/429 instead of a connection reset. Bounded: past
    16 MiB or 3 s the connection is simply closed."""
    declared = _header(scope, b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > DRAIN_CAP_BYTES):
        return
    if declared == "0" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
        return

    async def discard() -> None:
        size = 0
        while size <= DRAIN_CAP_BYTES:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return
            size += len(message.get("body", b""))

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(discard(), DRAIN_SECONDS)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # the disconnect, whenever it comes

    return replay


class ApiGate:
    def __init__(self, app: ASGIApp, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        app_state = getattr(getattr(scope.get("app"), "state", None), "boxoffice", None)
        if app_state is None:  # lifespan not entered (should not happen): nothing to check with
            await self.app(scope, receive, send)
            return
        settings: Settings = app_state.settings
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send, settings, app_state.redis)
            return
        if scope["path"] != self.path:
            await self._other_http(scope, receive, send, settings)
            return
        if scope["method"] == "OPTIONS" or _is_ide_request(scope):
            await self.app(scope, receive, send)
            return
        await self._graphql(scope, receive, send, settings, app_state.redis)

    async def _graphql(self, scope: Scope, receive: Receive, send: Send, settings: Settings,
                       redis: Any) -> None:
        raw_key = _header(scope, b"x-api-key")
        if not raw_key:
            metrics.inc("gate_unauthenticated_total")
            await drain(scope, receive)
            await send_error(send, 401, "A valid X-API-Key header is required", "UNAUTHENTICATED",
                             {"WWW-Authenticate": "ApiKey"})
            return
        if settings.rate_limits_enabled:
            wait = await ratelimit.take(redis, [
                ratelimit.address_bucket(client_address(scope), settings.rate_per_address,
                                         settings.burst_per_address),
                ratelimit.key_bucket(raw_key, settings.rate_per_key, settings.burst_per_key),
            ])
            if wait > 0:
                retry = max(1, math.ceil(wait))
                metrics.inc("gate_rate_limited_total")
                await drain(scope, receive)
                await send_error(send, 429, "Too many requests; retry later", "RATE_LIMITED",
                                 {"Retry-After": str(retry)}, retryAfterSeconds=retry)
                return
        client = await verify_api_key(raw_key)
        if client is None:
            metrics.inc("gate_unauthenticated_total")
            await drain(scope, receive)
            await send_error(send, 401, "A valid X-API-Key header is required", "UNAUTHENTICATED",
                             {"WWW-Authenticate": "ApiKey"})
            return
        if self._declared_too_large(scope, settings):
            await drain(scope, receive)
            await self._too_large(send, settings)
            return
        try:
            body = await read_body(receive, settings.max_body_bytes)
        except BodyTooLarge:
            await drain(scope, receive)
            await self._too_large(send, settings)
            return
        except ConnectionAbortedError:
            return  # the client went away mid-body: nobody to answer
        scope.setdefault("state", {})[API_CLIENT_STATE] = client
        await self.app(scope, _replay(body, receive), send)

    async def _other_http(self, scope: Scope, receive: Receive, send: Send,
                          settings: Settings) -> None:
        if self._declared_too_large(scope, settings):
            await self._too_large(send, settings)
            return
        await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, settings: Settings,
                         redis: Any) -> None:
        if scope["path"] == self.path and settings.rate_limits_enabled:
            wait = await ratelimit.take(redis, [ratelimit.address_bucket(
                client_address(scope), settings.rate_per_address, settings.burst_per_address)])
            if wait > 0:
                metrics.inc("gate_rate_limited_total")
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008})  # handshake refused (403)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _declared_too_large(scope: Scope, settings: Settings) -> bool:
        declared = _header(scope, b"content-length")
        if declared is None:
            return False
        return not declared.isdigit() or int(declared) > settings.max_body_bytes

    @staticmethod
    async def _too_large(send: Send, settings: Settings) -> None:
        metrics.inc("gate_body_too_large_total")
        await send_error(send, 413, f"Request bodies are limited to {settings.max_body_bytes} "
                                    "bytes", "PAYLOAD_TOO_LARGE", {"Connection": "close"})
