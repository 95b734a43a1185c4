"""OpenTelemetry traces, off by default: `OTEL_ENABLED=on` traces each HTTP request (Starlette)
down through its asyncpg queries and Redis commands, with the official instrumentation packages
(`pip install -e '.[otel]'`).

Everything else is the standard OTEL_* environment read by the SDK itself: OTEL_SERVICE_NAME
(default `boxoffice`), OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_ENDPOINT /
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (OTLP over HTTP, default http://localhost:4318),
OTEL_TRACES_SAMPLER(_ARG); OTEL_TRACES_EXPORTER=console prints spans instead of sending them.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger("boxoffice.tracing")
_provider: Any = None


def enabled() -> bool:
    return os.environ.get("OTEL_ENABLED", "").strip().lower() in ("1", "on", "true", "yes")


def provider(exporter: Any = None) -> Any:
    """The process's TracerProvider (created once), exporting to `exporter` or the OTLP/console
    exporter that the environment names."""
    global _provider
    if _provider is not None:
        return _provider
    from opentelemetry import trace
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    resource = Resource({"service.name": "boxoffice"}).merge(OTELResourceDetector().detect())
    if os.environ.get("OTEL_SERVICE_NAME"):
        resource = resource.merge(Resource({"service.name": os.environ["OTEL_SERVICE_NAME"]}))
    tp = TracerProvider(resource=resource)  # the sampler comes from OTEL_TRACES_SAMPLER
    if exporter is None:
        if os.environ.get("OTEL_TRACES_EXPORTER", "otlp") == "console":
            exporter = ConsoleSpanExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
    tp.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(tp)
    _provider = tp
    return tp


def instrument_clients(tp: Any) -> None:
    """asyncpg and redis-py (asyncio clients included): call before the clients are made."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (AsyncPGInstrumentor(), RedisInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=tp)


def instrument_app(app: Any, exporter: Any = None, force: bool = False) -> None:
    """The request span (Starlette) and its database and Redis children, when enabled."""
    if not (force or enabled()):
        return
    try:
        tp = provider(exporter)
        from opentelemetry.instrumentation.starlette import StarletteInstrumentor

        # probes and scrapes are not traced unless the standard variable says otherwise
        os.environ.setdefault("OTEL_PYTHON_STARLETTE_EXCLUDED_URLS", "healthz,readyz,metrics")
        StarletteInstrumentor.instrument_app(app, tracer_provider=tp)
        instrument_clients(tp)
    except ImportError as exc:
        log.error("OTEL_ENABLED but OpenTelemetry is not installed (pip install -e '.[otel]'): "
                  "%s", exc)


def instrument_worker() -> None:
    """The worker's asyncpg and Redis calls, when enabled."""
    if enabled():
        try:
            instrument_clients(provider())
        except ImportError as exc:
            log.error("OTEL_ENABLED but OpenTelemetry is not installed: %s", exc)
