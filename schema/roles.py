"""API-key roles: which kind of client may call an operation (door scanners, operators)."""

from __future__ import annotations

from strawberry.types import Info

from boxoffice.auth import ApiClient
from schema.context import Context
from schema.errors import forbidden, unauthenticated


def require_role(info: Info[Context, None], role: str) -> ApiClient:
    client = info.context.api_client
    if client is None:
        raise unauthenticated("A valid X-API-Key is required")
    if client.role != role:
        raise forbidden(f"This operation needs an API key with the {role} role")
    return client
