"""The middleware stack of the public surface, outermost first."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from boxoffice.http.gate import ApiGate
from boxoffice.settings import Settings


def surface_middleware(settings: Settings) -> list[Middleware]:
    return [
        # browsers on ALLOWED_ORIGINS may call the HTTP API (preflights answered here, and the
        # gate's 401/413/429 carry the headers too, so a web app can read why)
        Middleware(CORSMiddleware, allow_origins=list(settings.allowed_origins),
                   allow_methods=["GET", "POST"],
                   allow_headers=["X-API-Key", "Authorization", "Content-Type"],
                   expose_headers=["Retry-After", "ETag"], max_age=600),
        Middleware(ApiGate, path="/graphql"),
    ]
