"""Strawberry's ASGI view, with our typed context and websocket authentication.

HTTP requests reach it through boxoffice.http.gate.ApiGate, which has already checked the API
key (and put the client in `scope["state"]`), the rate limits and the body size."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.base import BaseRequestProtocol
from strawberry.types.unset import UnsetType

from boxoffice.auth import bearer, read_token, verify_api_key
from boxoffice.http import jsonbody
from boxoffice.http.gate import API_CLIENT_STATE
from boxoffice.http.responses import send_error
from boxoffice.http.wsnext import SharedPayloadHandler
from boxoffice.state import AppState
from boxoffice.web import graphiql_page, wants_graphiql
from schema.context import Context


class BoxofficeGraphQL(GraphQL[Context, None]):
    # a seat-map event shared by many subscribers is JSON-encoded once (boxoffice/http/wsnext.py)
    graphql_transport_ws_handler_class = SharedPayloadHandler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as e:  # bad JSON, no query, GET mutation...: a coded 4xx
            code = "NOT_FOUND" if e.status_code == 404 else "BAD_USER_INPUT"
            await send_error(send, e.status_code, e.reason, code)
            return
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return jsonbody.decode(data)
        except jsonbody.BadJson as exc:
            # as a JSONDecodeError, Strawberry answers it like bad JSON: HTTP 400, or close
            # code 4400 on a websocket
            raise json.JSONDecodeError(str(exc), "", 0) from None

    async def parse_http_body(self, request: Any) -> Any:
        try:
            return await super().parse_http_body(request)
        except (AttributeError, TypeError):  # a JSON body that is not an object, e.g. "x"
            raise HTTPException(400, "The request body must be a JSON object") from None
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
        client = request.scope.get("state", {}).get(API_CLIENT_STATE)
        return Context(
            request=request,
            response=response,
            state=state,
            api_client=client or await verify_api_key(headers.get("x-api-key")),
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
        context.extra["api_key_raw"] = api_key  # per-key rate limit of its operations
        auth = params.get("authorization")
        if auth is not None:
            user = read_token(bearer(auth) if isinstance(auth, str) else None)
            if user is None:
                raise ConnectionRejectionError({"code": "UNAUTHENTICATED",
                                                "message": "Invalid bearer token"})
            context.user = user
        return await super().on_ws_connect(context)
