"""Strawberry's ASGI view, with our typed context and websocket authentication."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.base import BaseRequestProtocol
from strawberry.types.unset import UnsetType

from boxoffice.auth import bearer, read_token, verify_api_key
from boxoffice.state import AppState
from boxoffice.web import graphiql_page, wants_graphiql
from schema.context import Context


class BoxofficeGraphQL(GraphQL[Context, None]):
    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        return wants_graphiql(request.method, request.query_params,
                              request.headers.get("accept", ""))

    async def render_graphql_ide(self, request: Request) -> Response:
        # our GraphiQL build from the package's static files instead of strawberry's CDN page
        state: AppState = request.app.state.boxoffice
        return HTMLResponse(graphiql_page(state.settings.graphiql_headers))

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state: AppState = request.app.state.boxoffice
        if isinstance(request, WebSocket):
            # authenticated later, from the connection_init payload (on_ws_connect)
            return Context(request=request, response=response, state=state, api_client=None,
                           user=None)
        headers = request.headers
        return Context(
            request=request,
            response=response,
            state=state,
            api_client=await verify_api_key(headers.get("x-api-key")),
            user=read_token(bearer(headers.get("authorization"))),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        if not isinstance(params, dict):
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        api_key = params.get("apiKey")
        client = await verify_api_key(api_key if isinstance(api_key, str) else None)
        if client is None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED",
                                            "message": "A valid apiKey is required"})
        context.api_client = client
        auth = params.get("authorization")
        if auth is not None:
            user = read_token(bearer(auth) if isinstance(auth, str) else None)
            if user is None:
                raise ConnectionRejectionError({"code": "UNAUTHENTICATED",
                                                "message": "Invalid bearer token"})
            context.user = user
        return await super().on_ws_connect(context)
