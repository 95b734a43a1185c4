"""GraphQL errors with a code in `extensions.code`, as the contract lists them."""

from __future__ import annotations

from graphql import GraphQLError

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
TRY_AGAIN = "TRY_AGAIN"
INTERNAL = "INTERNAL_SERVER_ERROR"


def coded(message: str, code: str, **extra: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extra})


def unauthenticated(message: str = "Authentication required") -> GraphQLError:
    return coded(message, UNAUTHENTICATED)


def forbidden(message: str = "Not allowed") -> GraphQLError:
    return coded(message, FORBIDDEN)


def bad_input(message: str, field: str | None = None) -> GraphQLError:
    return coded(message, BAD_USER_INPUT, **({"field": field} if field else {}))
