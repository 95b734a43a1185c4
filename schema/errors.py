"""GraphQL errors with a code in `extensions.code`, as the contract lists them."""

from __future__ import annotations

from graphql import GraphQLError

from boxoffice.ids import parse_id

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


def show_id_arg(value: str) -> int:
    """A subscription's `showId` argument as a database key, or BAD_USER_INPUT (a subscription
    has no result union to answer InvalidRequest in)."""
    sid = parse_id(value)
    if sid is None:
        raise bad_input("showId is not a show id", "showId")
    return sid
