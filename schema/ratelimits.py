"""Operations on a websocket draw from the same token buckets as HTTP requests.

HTTP requests are charged at the ASGI gate (boxoffice/http/gate.py) before parsing; a websocket
is charged once at its handshake there, and each operation it carries (a subscribe, or a query
or mutation sent over it) is charged here, per API key and per client address, before the
document is parsed: past a bucket the operation gets `RATE_LIMITED` with
`extensions.retryAfterSeconds`. Called from BoxofficeSchema.stream (schema/root.py); an async
extension hook would do, but it reorders subscription execution and defeats the shared
seat-map execution (resolvers/subscriptions.py)."""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator
from typing import Any

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.types.execution import PreExecutionError

from boxoffice.http import ratelimit
from boxoffice.http.gate import client_address
from schema.context import Context
from schema.errors import coded

RATE_LIMITED = "RATE_LIMITED"
RAW_KEY = "api_key_raw"  # Context.extra: the key the connection_init presented


async def socket_refusal(context: Any) -> GraphQLError | None:
    """RATE_LIMITED when this websocket operation is over a bucket, else None (and charged)."""
    if not (isinstance(context, Context) and isinstance(context.request, WebSocket)):
        return None
    s = context.state.settings
    raw_key = context.extra.get(RAW_KEY)
    if not s.rate_limits_enabled or not isinstance(raw_key, str):
        return None  # not connected yet: the view refuses the operation itself
    wait = await ratelimit.take(context.state.redis, [
        ratelimit.address_bucket(client_address(context.request.scope), s.rate_per_address,
                                 s.burst_per_address),
        ratelimit.key_bucket(raw_key, s.rate_per_key, s.burst_per_key),
    ])
    if wait <= 0:
        return None
    return coded("Too many requests; retry later", RATE_LIMITED,
                 retryAfterSeconds=max(1, math.ceil(wait)))


async def refused(error: GraphQLError) -> AsyncGenerator[PreExecutionError, None]:
    yield PreExecutionError(data=None, errors=[error])
