"""Who may do what: resolvers call these before touching a service."""

from __future__ import annotations

from strawberry.types import Info

from boxoffice.auth import User
from schema.context import Context
from schema.errors import forbidden, unauthenticated


def require_user(info: Info[Context, None]) -> User:
    user = info.context.user
    if user is None:
        raise unauthenticated("A user bearer token is required")
    return user


def require_owner(info: Info[Context, None], owner_id: int) -> User:
    user = require_user(info)
    if user.id != owner_id:
        raise forbidden("This belongs to another user")
    return user
