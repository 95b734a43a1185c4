"""Who is calling: resolvers call these before touching a service. Whether an object is the
caller's is a service rule (boxoffice/services/ownership.py), not a resolver's."""

from __future__ import annotations

from strawberry.types import Info

from boxoffice.auth import User
from schema.context import Context
from schema.errors import unauthenticated


def require_user(info: Info[Context, None]) -> User:
    user = info.context.user
    if user is None:
        raise unauthenticated("A user bearer token is required")
    return user
