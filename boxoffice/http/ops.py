"""Operational endpoints: /healthz (open, free), /readyz (cached), /metrics (behind a key).

`/readyz` answers from a result at most `READY_TTL` old, so a flood of probes costs no database
query or Redis ping each; without credentials it says only ready or not (200/503), the details
need the operator's credentials. `/metrics` needs them always, except in `BOXOFFICE_ENV=dev`.
Operator credentials: `Authorization: Bearer $METRICS_TOKEN`, or an `X-API-Key` of role admin.
"""

from __future__ import annotations

import asyncio
import hmac
import time

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from boxoffice import db, metrics, scrapegauges
from boxoffice.auth import bearer, verify_api_key
from boxoffice.state import AppState

READY_TTL = 1.0


class _ReadyCache:
    def __init__(self) -> None:
        self.at = -READY_TTL
        self.checks: dict[str, bool] = {}
        self.lock = asyncio.Lock()

    async def get(self, state: AppState) -> dict[str, bool]:
        async with self.lock:  # concurrent probes share one check
            if time.monotonic() - self.at >= READY_TTL:
                self.checks = await _check(state)
                self.at = time.monotonic()
            return self.checks


async def _check(state: AppState) -> dict[str, bool]:
    checks: dict[str, bool] = {}
    try:
        checks["database"] = await asyncio.wait_for(db.pool().fetchval("SELECT 1"), 2) == 1
    except Exception:
        checks["database"] = False
    try:
        checks["redis"] = bool(await asyncio.wait_for(state.redis.ping(), 2))
    except Exception:
        checks["redis"] = False
    return checks


async def is_operator(request: Request) -> bool:
    state: AppState = request.app.state.boxoffice
    token = state.settings.metrics_token
    presented = bearer(request.headers.get("authorization"))
    if token and presented and hmac.compare_digest(presented.encode(), token.encode()):
        return True
    client = await verify_api_key(request.headers.get("x-api-key"))
    return client is not None and client.role == "admin"


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    state: AppState = request.app.state.boxoffice
    cache = getattr(request.app.state, "ready_cache", None)
    if cache is None:
        cache = request.app.state.ready_cache = _ReadyCache()
    checks = await cache.get(state)
    ok = all(checks.values())
    body: dict[str, bool] = {"ready": ok}
    if await is_operator(request) or state.settings.env == "dev":
        body.update(checks)
    return JSONResponse(body, status_code=200 if ok else 503,
                        headers={"Cache-Control": "no-store"})


async def metrics_endpoint(request: Request) -> Response:
    state: AppState = request.app.state.boxoffice
    if state.settings.env != "dev" and not await is_operator(request):
        return JSONResponse({"error": "operator credentials required"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    await scrapegauges.refresh(state.redis)
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
