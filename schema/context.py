"""The typed per-request (per-connection for websockets) GraphQL context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from boxoffice.auth import ApiClient, User
from boxoffice.state import AppState


@dataclass
class Context:
    request: Request | WebSocket
    response: Any
    state: AppState
    api_client: ApiClient | None
    user: User | None
    # per-operation DataLoaders, replaced at the start of every operation (schema/extensions.py)
    loaders: Any = None
    connection_params: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
