"""OpenTelemetry (OTEL_ENABLED): one trace from the HTTP request down through its asyncpg
queries and Redis commands; off by default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from boxoffice import tracing
from boxoffice.app import create_app
from boxoffice.auth import create_api_key, get_or_create_user, issue_token
from boxoffice.settings import reset_settings_cache
from tests.api.booking_ops import RESERVE
from tests.factories import make_show


def test_tracing_is_off_by_default(monkeypatch):
    monkeypatch.delenv("OTEL_ENABLED", raising=False)
    assert not tracing.enabled()
    app = create_app()
    assert not any("OpenTelemetry" in type(m.cls).__name__ or "OpenTelemetry" in str(m.cls)
                   for m in app.user_middleware)


@pytest.fixture
async def traced(clean: None) -> AsyncIterator[tuple[Any, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    reset_settings_cache()
    app = create_app()
    tracing.instrument_app(app, exporter=exporter, force=True)
    try:
        async with app.router.lifespan_context(app):  # Redis clients made after instrumenting
            yield app, exporter
    finally:
        AsyncPGInstrumentor().uninstrument()
        RedisInstrumentor().uninstrument()


async def test_a_reserve_is_one_trace_through_asyncpg_and_redis(traced):
    app, exporter = traced
    show = await make_show(rows=1, per_row=4)
    key = await create_api_key("tracing")
    token = issue_token(await get_or_create_user("trace@example.com"))
    exporter.clear()
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app),
                                  base_url="http://test") as client:
        resp = await client.post("/graphql", json={
            "query": RESERVE, "variables": {"input": {"showId": str(show.show_id),
                                                      "seats": ["A-1"]}}},
            headers={"X-API-Key": key, "Authorization": f"Bearer {token}"})
    assert resp.json()["data"]["reserve"]["__typename"] == "Reservation"
    tracing.provider().force_flush()
    spans = exporter.get_finished_spans()
    servers = [s for s in spans if s.kind == SpanKind.SERVER]
    assert len(servers) == 1 and "/graphql" in servers[0].name
    trace_id = servers[0].context.trace_id
    systems = {s.attributes.get("db.system") or s.attributes.get("db.system.name")
               for s in spans if s.context.trace_id == trace_id and s.kind == SpanKind.CLIENT}
    assert {"postgresql", "redis"} <= systems, [(s.name, dict(s.attributes)) for s in spans]
