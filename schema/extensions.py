"""Schema extensions: API-key gate, per-operation loaders, error masking, query limits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule

from boxoffice.outage import MESSAGE as OUTAGE_MESSAGE
from boxoffice.outage import is_unavailable
from schema.context import Context
from schema.errors import INTERNAL, TRY_AGAIN, unauthenticated

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
    return ext


# Built once, so every operation carries the *same* rule classes and ValidationCache can hit
# (QueryDepthLimiter/MaxAliasesLimiter build a new class per instance, defeating the cache).
_LIMIT_RULES: list[type[ASTValidationRule]] = [max_depth_rule(10, None, None), max_aliases_rule(30)]


class QueryLimits(AddValidationRules):
    """Depth and alias limits against abusive documents."""

    def __init__(self) -> None:
        super().__init__(_LIMIT_RULES)


EXTENSIONS: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
    ApiKeyGate,
    # clients send the same few documents over and over: parse and validate each once
    lambda: ParserCache(maxsize=512),
    lambda: ValidationCache(maxsize=512),
    QueryLimits,
    lambda: MaxTokensLimiter(max_token_count=2000),
    _masked,
]
