"""Schema extensions: API-key gate, per-operation loaders, error masking, query limits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

import schema.metrics
from boxoffice.outage import MESSAGE as OUTAGE_MESSAGE
from boxoffice.outage import is_unavailable
from schema.context import Context
from schema.documents import DocumentGate
from schema.errors import BAD_USER_INPUT, INTERNAL, TRY_AGAIN, unauthenticated
from schema.logcontext import LogContext

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"

log = logging.getLogger("boxoffice.graphql")


class ApiKeyGate(SchemaExtension):
    """Every operation needs a valid client API key; without one nothing executes."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context.context
        if not isinstance(ctx, Context) or ctx.api_client is None:
            raise unauthenticated("A valid X-API-Key is required")
        from resolvers.loaders import Loaders  # per operation, also on long-lived websockets

        ctx.loaders = Loaders(redis=ctx.state.redis)
        yield


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False  # validation errors and our coded errors are meant for the client
    if is_unavailable(original):  # an outage, not a bug: TRY_AGAIN (see anonymise)
        log.warning("%s: dependency unavailable (%s: %s)", error.path,
                    type(original).__name__, original)
    else:
        log.error("unexpected error in %s", error.path, exc_info=original)
    return True


def _masked() -> MaskErrors:
    ext = MaskErrors(should_mask_error=_should_mask, error_message="Unexpected error.")
    original = ext.anonymise_error

    def anonymise(error: GraphQLError) -> GraphQLError:
        masked = original(error)
        if is_unavailable(error.original_error):
            masked.message = OUTAGE_MESSAGE
            masked.extensions = {"code": TRY_AGAIN}
            response = getattr(ext.execution_context.context, "response", None)
            if response is not None and hasattr(response, "status_code"):
                response.status_code = 503  # HTTP: the whole answer says "retry"
            return masked
        masked.extensions = {"code": INTERNAL}
        return masked

    ext.anonymise_error = anonymise  # type: ignore[method-assign]
    process = ext._process_errors

    def process_and_code(errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = process(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": _code_of(error)}
        return processed

    ext._process_errors = process_and_code  # type: ignore[method-assign]
    return ext


def _code_of(error: GraphQLError) -> str:
    """A code for graphql-core's own errors (syntax, validation, variable coercion): the
    contract promises every refusal a code. Too many tokens is a document limit."""
    if error.message.startswith("Syntax Error: Document contains more than"):
        return QUERY_TOO_COMPLEX
    return BAD_USER_INPUT


EXTENSIONS: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
    schema.metrics.OperationMetrics,  # first: its timing wraps the others (schema/metrics.py)
    LogContext,  # the operation name is on every record the others log
    ApiKeyGate,
    # parse, limit (depth, aliases, worst-case cost, introspection) and validate each distinct
    # document once, in a cache bounded in bytes (schema/documents.py, schema/limits.py)
    DocumentGate,
    _masked,
]
