"""The ASGI application: create_app() and a lifespan that opens every shared resource."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from boxoffice import db, metrics, tracing
from boxoffice.graphql_view import BoxofficeGraphQL
from boxoffice.http import ops
from boxoffice.http.middleware import surface_middleware
from boxoffice.http.publicreads import PublicReads
from boxoffice.outage import OutageAsTryAgain
from boxoffice.payments.sandbox import SandboxGateway
from boxoffice.realtime import Realtime
from boxoffice.redisconn import arq_pool, redis_client
from boxoffice.settings import Settings, get_settings
from boxoffice.state import AppState
from boxoffice.ticket_routes import check_ticket_keys, ticket_keys
from boxoffice.web import web_app_mount

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def open_state(settings: Settings) -> AsyncIterator[AppState]:
    """Open Postgres, Redis, arq and the realtime hub; fail fast if any is unreachable."""
    owns_pool = db.engine().pool is None  # tests and the CLI may have started it already
    if owns_pool:
        await db.start_pool(settings)
    redis: Redis = redis_client(settings)  # REDIS_URL, or the primary the sentinels name
    arq = arq_pool(settings)
    realtime = Realtime(redis, settings)
    try:
        await redis.ping()
        await db.pool().fetchval("SELECT 1")
        await realtime.start()  # subscription fan-out hub and seat-map cache refresher
        yield AppState(settings=settings, redis=redis, arq=arq,
                       gateway=SandboxGateway.from_settings(redis, settings), realtime=realtime)
    finally:
        await realtime.stop()
        await arq.aclose()
        await redis.aclose()
        if owns_pool:
            await db.close_pool()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    check_ticket_keys(settings)
    from schema.root import schema  # imported late: the schema imports resolvers and services

    graphql = BoxofficeGraphQL(
        schema,
        graphql_ide="graphiql" if settings.graphiql else None,  # GRAPHIQL=off: no playground
        keep_alive=True,
        keep_alive_interval=15,
        allowed_origins=settings.allowed_origins,
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        connection_init_wait_timeout=timedelta(seconds=10),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_state(settings) as state:
            app.state.boxoffice = state
            yield
        metrics.process_exit()  # a clean exit drops this process's live gauges

    app = Starlette(
        routes=[
            # public reads answered from rendered responses, persisted queries (APQ)
            Route("/graphql", PublicReads(graphql, settings.response_cache_mb << 20),
                  methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/tickets/keys", ticket_keys, methods=["GET"]),
            Route("/healthz", ops.healthz),
            Route("/readyz", ops.readyz),
            Route("/metrics", ops.metrics_endpoint),
            web_app_mount(),  # last: the fan's web app at /
        ],
        # outermost first: CORS headers also on the gate's refusals (boxoffice/http/); an outage
        # before execution (the gate's API-key lookup) answers 503 TRY_AGAIN, not a text 500
        middleware=[*surface_middleware(settings)[:1], Middleware(OutageAsTryAgain),
                    *surface_middleware(settings)[1:]],
        lifespan=lifespan,
    )
    tracing.instrument_app(app)  # OTEL_ENABLED=on: request, asyncpg and Redis spans
    return app
