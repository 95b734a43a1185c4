"""ErrorCodes: every error of an answer carries a code, and unexpected ones are masked.

Our own extension on Strawberry's public hooks (`on_operation`, `on_stream_result` and
`execution_context.result`) instead of a patched `MaskErrors`, whose per-error processing
(`_process_errors`) is private (docs/stack.md). What it does to an answer's errors:
- a coded error (schema/errors.py) or a graphql-core one (syntax, validation, variables) goes
  to the client as it is; graphql-core's get BAD_USER_INPUT, or QUERY_TOO_COMPLEX for too many
  tokens (the contract promises every refusal a code),
- any other exception is a bug: logged with its traceback, answered "Unexpected error." with
  code INTERNAL and no trace of the exception,
- an outage (boxoffice/outage.py) is logged as a warning and answered TRY_AGAIN; over HTTP
  the whole answer becomes a 503.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import StreamExecutionResult

from boxoffice.outage import MESSAGE as OUTAGE_MESSAGE
from boxoffice.outage import is_unavailable
from schema.errors import BAD_USER_INPUT, INTERNAL, TRY_AGAIN

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
MASKED_MESSAGE = "Unexpected error."

log = logging.getLogger("boxoffice.graphql")


@runtime_checkable
class _WithErrors(Protocol):
    """An answer with errors of its own (a subsequent incremental payload has none)."""

    errors: list[GraphQLError] | None


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def _code_of(error: GraphQLError) -> str:
    """A code for graphql-core's own errors (syntax, validation, variable coercion). Too many
    tokens is a document limit."""
    if error.message.startswith("Syntax Error: Document contains more than"):
        return QUERY_TOO_COMPLEX
    return BAD_USER_INPUT


class ErrorCodes(SchemaExtension):
    def __init__(self) -> None:
        self._streamed = False

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if not self._streamed:  # a streamed result was answered in on_stream_result
            self._answer(self.execution_context.result)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        self._streamed = True
        self._answer(result)
        yield

    def _answer(self, result: object) -> None:
        if isinstance(result, _WithErrors) and result.errors:
            # a new list: the one on the execution context stays what execution produced
            result.errors = [self._coded(e) for e in result.errors]

    def _coded(self, error: GraphQLError) -> GraphQLError:
        if _is_unexpected(error):
            return self._masked(error)
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": _code_of(error)}
        return error

    def _masked(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        outage = is_unavailable(original)
        if outage:  # a dependency is down, not a bug: the client should retry
            log.warning("%s: dependency unavailable (%s: %s)", error.path,
                        type(original).__name__, original)
            response = getattr(self.execution_context.context, "response", None)
            if response is not None and hasattr(response, "status_code"):
                response.status_code = 503  # HTTP: the whole answer says "retry"
        else:
            log.error("unexpected error in %s", error.path, exc_info=original)
        return GraphQLError(
            OUTAGE_MESSAGE if outage else MASKED_MESSAGE,
            nodes=error.nodes, source=error.source, positions=error.positions,
            path=error.path, original_error=None,
            extensions={"code": TRY_AGAIN if outage else INTERNAL},
        )
