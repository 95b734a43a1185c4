"""Schema extensions: API-key gate, per-operation loaders, error masking, query limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from strawberry.extensions import SchemaExtension

import schema.metrics
from schema.context import Context
from schema.documents import DocumentGate
from schema.errorcodes import QUERY_TOO_COMPLEX, ErrorCodes
from schema.errors import unauthenticated
from schema.logcontext import LogContext

__all__ = ["EXTENSIONS", "QUERY_TOO_COMPLEX", "ApiKeyGate"]


class ApiKeyGate(SchemaExtension):
    """Every operation needs a valid client API key; without one nothing executes."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context.context
        if not isinstance(ctx, Context) or ctx.api_client is None:
            raise unauthenticated("A valid X-API-Key is required")
        from resolvers.loaders import Loaders  # per operation, also on long-lived websockets

        ctx.loaders = Loaders(redis=ctx.state.redis)
        yield


EXTENSIONS: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
    schema.metrics.OperationMetrics,  # first: its timing wraps the others (schema/metrics.py)
    LogContext,  # the operation name is on every record the others log
    ApiKeyGate,
    # parse, limit (depth, aliases, worst-case cost, introspection) and validate each distinct
    # document once, in a cache bounded in bytes (schema/documents.py, schema/limits.py)
    DocumentGate,
    ErrorCodes,  # codes on every error, unexpected ones masked (schema/errorcodes.py)
]
