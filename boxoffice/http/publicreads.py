"""The hot read path: an ASGI layer in front of the GraphQL view for GET and POST /graphql.

For every request with a valid API key it resolves persisted queries (boxoffice/http/apq.py),
then, for a public document (boxoffice/http/publicdocs.py), answers from the rendered-response
cache without parsing or executing anything while the catalog epoch and the seat versions of
the shows the answer depends on are unchanged; a miss is rendered once by the GraphQL view
(concurrent misses wait for it) and stored. A mutation passing through makes this process
re-read those versions before its answer leaves (read-your-writes).

Public answers carry `Cache-Control: public, max-age=…`, an `ETag` and `Vary: X-API-Key`, and
`If-None-Match` gets 304 while the ETag is current, so nginx or a CDN in front can micro-cache
them (deploy/nginx-microcache.conf). Everything else is passed through to the view unchanged,
answered `Cache-Control: private, no-store`.

Without a valid API key nothing here is looked up: the request goes to the view, which refuses it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from boxoffice import metrics
from boxoffice.auth import verify_api_key
from boxoffice.http import apq, jsonbody
from boxoffice.http.publicdocs import Analysis, analyse
from boxoffice.services.responsecache import ByteLRU, Rendered, ResponseCache

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

NO_STORE = b"private, no-store"
_JSON = b"application/json"


@dataclass
class GraphQLRequest:
    query: str | None
    variables: Any
    operation_name: str | None
    extensions: Any


class BadRequest(ValueError):
    pass


@dataclass(frozen=True)
class Prepared:
    """A public read, decoded: its cache key and the shows whose seat versions key it."""

    key: tuple[str, str, str]
    show_ids: tuple[int, ...]
    analysis: Analysis
    req: GraphQLRequest  # with the document spelled out, for rendering


class PublicReads:
    """Wraps the GraphQL view (an ASGI app) for HTTP; websockets go straight through."""

    def __init__(self, view: ASGIApp, cache_bytes: int) -> None:
        self.view = view
        self.cache = ResponseCache(cache_bytes)
        self._analyses: ByteLRU[tuple[str, str | None], Analysis] = ByteLRU(4 * 1024 * 1024)
        # raw request (query string or JSON body) -> its cache key, for repeat requests
        self._prepared: ByteLRU[tuple[str, bytes], Prepared] = ByteLRU(8 * 1024 * 1024)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.view(scope, receive, send)
        headers = _headers(scope)
        method = scope["method"]
        body: bytes | None = None
        if method == "GET":
            if "text/html" in headers.get("accept", ""):
                return await self.view(scope, receive, send)  # GraphiQL is for browsers
            raw = scope.get("query_string", b"")
        elif method == "POST" and headers.get("content-type", "").startswith(
                "application/json"):
            try:
                raw = body = await _read_body(receive)
            except BadRequest:
                return
        else:
            return await self.view(scope, receive, _no_store(send))
        # the same request bytes as before: skip decoding, persisted-query lookup, analysis
        prepared = self._prepared.get((method, raw))
        if prepared is not None:
            if await verify_api_key(headers.get("x-api-key")) is None:
                return await self._pass(scope, receive, send, body)
            return await self._answer(scope, receive, send, headers, prepared)
        try:
            if method == "GET":
                params = dict(parse_qsl(raw.decode("latin-1")))
                if "query" not in params and "extensions" not in params:
                    return await self.view(scope, receive, send)  # GraphiQL and friends
                req = _from_params(params)
            else:
                data = jsonbody.decode(raw)  # deep or bad JSON: the view answers 400
                if not isinstance(data, dict):
                    raise BadRequest  # batches and the like: the view's business
                req = GraphQLRequest(data.get("query"), data.get("variables"),
                                     data.get("operationName"), data.get("extensions"))
        except (BadRequest, ValueError):
            return await self._pass(scope, receive, send, body)
        if await verify_api_key(headers.get("x-api-key")) is None:
            return await self._pass(scope, receive, send, body)
        prepared = await self._prepare(scope, receive, send, body, req)
        if prepared is not None:
            self._prepared.put((method, raw), prepared, 2 * len(raw) + 200)
            await self._answer(scope, receive, send, headers, prepared)

    async def _prepare(self, scope: Scope, receive: Receive, send: Send, body: bytes | None,
                       req: GraphQLRequest) -> Prepared | None:
        """Resolve a persisted query and decide whether the document is public; None when the
        request has been answered (errors, private documents, passed to the view)."""
        state = scope["app"].state.boxoffice
        try:
            persisted = apq.read_extension(req.extensions, req.query)
        except apq.PersistedQueryError as exc:
            await _error(send, 400, str(exc), "BAD_USER_INPUT")
            return None
        sha = persisted.sha256 if persisted else None
        substituted = False
        if persisted is not None and not persisted.register:
            try:
                req.query = await apq.lookup(state.redis, persisted.sha256)
            except Exception as exc:  # unknown, or Redis unreachable: the client sends the query
                if not isinstance(exc, apq.PersistedQueryNotFound):
                    log.warning("persisted query lookup failed", exc_info=True)
                metrics.inc("apq_not_found")
                await _respond(send, 200, apq.NOT_FOUND_BODY, NO_STORE)
                return None
            substituted = True
        elif persisted is not None and req.query is not None:
            try:
                await apq.register(state.redis, persisted.sha256, req.query)
            except Exception:  # Redis unreachable: answer anyway, register next time
                log.warning("persisted query not registered", exc_info=True)
        if not isinstance(req.query, str) or not (
                req.operation_name is None or isinstance(req.operation_name, str)):
            await self._pass(scope, receive, send, body)
            return None
        analysis = self._analysis(req.query, req.operation_name)
        variables = req.variables if req.variables is not None else {}
        show_ids = analysis.show_ids(variables) if isinstance(variables, dict) else None
        if not analysis.public or show_ids is None:
            if substituted:  # the view must see the document itself
                scope, body = _with_query(scope, req)
            if analysis.mutation:
                send = self._announcing(state.redis, send, _client(scope),
                                        analysis.changes_catalog)
            await self._pass(scope, receive, send, body)
            return None
        key = (sha or apq.sha256_of(req.query), req.operation_name or "",
               json.dumps(variables, sort_keys=True, separators=(",", ":")))
        return Prepared(key=key, show_ids=tuple(show_ids), analysis=analysis, req=req)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str],
                      prepared: Prepared) -> None:
        """Answer a public read from the cache, rendering it first when it is missing or stale."""
        state = scope["app"].state.boxoffice
        wrote = self.cache.recent_write(_client(scope, headers))
        try:
            versions = await self.cache.versions(state.redis, prepared.show_ids,
                                                 fresh=wrote is not None)
        except Exception:  # Redis trouble: answer uncached rather than not at all
            log.warning("seat versions unavailable; serving uncached", exc_info=True)
            return await self._pass(_as_post(scope), receive, send, _json_body(prepared.req))
        entry = self.cache.lookup(prepared.key, versions, written_at=wrote)
        if entry is None:
            entry = await self._render(scope, receive, send, prepared.key, versions,
                                       prepared.analysis, prepared.req)
            if entry is None:
                return  # not storable: already answered
        if _matches(headers.get("if-none-match"), entry.etag):
            metrics.inc("response_cache_not_modified")
            await send({"type": "http.response.start", "status": 304,
                        "headers": [h for h in entry.headers if h[0] != b"content-type"]})
            await send({"type": "http.response.body", "body": b""})
            return
        length = (b"content-length", str(len(entry.body)).encode())
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*entry.headers, length]})
        await send({"type": "http.response.body", "body": entry.body})

    async def _render(self, scope: Scope, receive: Receive, send: Send, key: tuple[str, ...],
                      versions: tuple[int, ...], analysis: Analysis,
                      req: GraphQLRequest) -> Rendered | None:
        """Execute through the view and store the answer; one execution per key at a time."""
        flight = self.cache.inflight.get(key)
        if flight is not None:
            shared = await asyncio.shield(flight)
            if shared is not None and shared.versions == versions:
                return shared
        future: asyncio.Future[Rendered | None] = asyncio.get_running_loop().create_future()
        self.cache.inflight.setdefault(key, future)
        entry = None
        try:
            status, out_headers, out = await _capture(self.view, _as_post(scope),
                                                      _json_body(req), receive)
            if status == 200 and b'"errors"' not in out:
                entry = self.cache.store(key, out, analysis.cache_control, versions,
                                         analysis.ttl)
            else:  # errors are answers for this request only
                await _respond(send, status, out, NO_STORE,
                               [h for h in out_headers if h[0] not in _REPLACED])
        finally:
            if self.cache.inflight.get(key) is future:
                del self.cache.inflight[key]
            future.set_result(entry)
        return entry

    def _announcing(self, redis: Any, send: Send, client: str, catalog: bool) -> Send:
        """After a mutation ran and before its answer leaves: note that this client wrote
        (its next reads see it at once), and for a mutation beyond seats move the catalog
        epoch, so no client's next read gets an answer cached before it."""

        async def announced(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.cache.note_write(client)
                if catalog:
                    try:
                        await self.cache.bump_catalog_epoch(redis)
                    except Exception:  # the TTLs still bound staleness
                        log.warning("catalog epoch not moved", exc_info=True)
            await send(message)

        return announced

    def _analysis(self, query: str, operation_name: str | None) -> Analysis:
        found = self._analyses.get((query, operation_name))
        if found is None:
            found = analyse(query, operation_name)
            self._analyses.put((query, operation_name), found, len(query) + 200)
        return found

    async def _pass(self, scope: Scope, receive: Receive, send: Send,
                    body: bytes | None) -> None:
        """Hand the request to the view as it came (its body replayed), never cacheable."""
        await self.view(scope, _replay(body, receive) if body is not None else receive,
                        _no_store(send))


# --- HTTP plumbing ----------------------------------------------------------------------------

_REPLACED = {b"content-length", b"cache-control"}


def _client(scope: Scope, headers: dict[str, str] | None = None) -> str:
    """Who is asking, for read-your-writes: the first X-Forwarded-For address behind a proxy,
    else the peer address. (Spoofing it only makes one's own reads fresher.)"""
    headers = _headers(scope) if headers is None else headers
    forwarded = headers.get("x-forwarded-for", "").split(",")[0].strip()
    return forwarded or str((scope.get("client") or ("",))[0])


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


def _from_params(params: dict[str, str]) -> GraphQLRequest:
    def load(name: str) -> Any:
        raw = params.get(name)
        return jsonbody.decode(raw) if raw else None

    return GraphQLRequest(params.get("query"), load("variables"), params.get("operationName"),
                          load("extensions"))


def _json_body(req: GraphQLRequest) -> bytes:
    data: dict[str, Any] = {"query": req.query, "variables": req.variables}
    if req.operation_name:
        data["operationName"] = req.operation_name
    return json.dumps(data).encode()


def _as_post(scope: Scope) -> Scope:
    """A POST of a JSON body with the same headers (the view renders public queries from it)."""
    headers = [(k, v) for k, v in scope["headers"]
               if k not in (b"content-type", b"content-length", b"if-none-match")]
    return {**scope, "method": "POST", "query_string": b"",
            "headers": [*headers, (b"content-type", _JSON)]}


def _with_query(scope: Scope, req: GraphQLRequest) -> tuple[Scope, bytes | None]:
    """The request with a persisted document spelled out, for the view."""
    if scope["method"] == "GET":
        params = {"query": req.query or ""}
        if req.variables is not None:
            params["variables"] = json.dumps(req.variables)
        if req.operation_name:
            params["operationName"] = req.operation_name
        return {**scope, "query_string": urlencode(params).encode()}, None
    return scope, _json_body(req)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise BadRequest("client went away")
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _no_store(send: Send) -> Send:
    """Mark every answer that is not a public read as never storable (unless it says)."""

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(k.lower() == b"cache-control" for k, _ in headers):
                headers.append((b"cache-control", NO_STORE))
            message = {**message, "headers": headers}
        await send(message)

    return marked


async def _capture(app: ASGIApp, scope: Scope, body: bytes,
                   receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    start: Message = {}
    chunks: list[bytes] = []
    scope = {**scope, "headers": [*(h for h in scope["headers"] if h[0] != b"content-length"),
                                  (b"content-length", str(len(body)).encode())]}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, _replay(body, receive), send)
    return int(start.get("status", 500)), list(start.get("headers", [])), b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, cache_control: bytes,
                   headers: list[tuple[bytes, bytes]] | None = None) -> None:
    if headers is None:
        headers = [(b"content-type", _JSON)]
    await send({"type": "http.response.start", "status": status, "headers": [
        *headers, (b"content-length", str(len(body)).encode()),
        (b"cache-control", cache_control)]})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, status: int, message: str, code: str) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    await _respond(send, status, body.encode(), NO_STORE)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags
