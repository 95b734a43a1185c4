"""Schema extensions: API-key gate, per-operation loaders, error masking, query limits."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from schema.context import Context
from schema.errors import INTERNAL, unauthenticated

log = logging.getLogger("boxoffice.graphql")


class ApiKeyGate(SchemaExtension):
    """Every operation needs a valid client API key; without one nothing executes."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context.context
        if not isinstance(ctx, Context) or ctx.api_client is None:
            raise unauthenticated("A valid X-API-Key is required")
        from resolvers.loaders import Loaders  # per operation, also on long-lived websockets

        ctx.loaders = Loaders()
        yield


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False  # validation errors and our coded errors are meant for the client
    log.error("unexpected error in %s", error.path, exc_info=original)
    return True


def _masked() -> MaskErrors:
    ext = MaskErrors(should_mask_error=_should_mask, error_message="Unexpected error.")
    original = ext.anonymise_error

    def anonymise(error: GraphQLError) -> GraphQLError:
        masked = original(error)
        masked.extensions = {"code": INTERNAL}
        return masked

    ext.anonymise_error = anonymise  # type: ignore[method-assign]
    return ext


EXTENSIONS = [
    ApiKeyGate,
    lambda: QueryDepthLimiter(max_depth=10),
    lambda: MaxAliasesLimiter(max_alias_count=30),
    lambda: MaxTokensLimiter(max_token_count=2000),
    _masked,
]
