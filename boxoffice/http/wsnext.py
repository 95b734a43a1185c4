"""graphql-transport-ws `next` messages for shared seat-map events: rendered once per process.

A seat-map event is one object for every local subscriber of a show, and executing it is shared
already (resolvers/subscriptions.py, SharedEventExecution). What stayed per subscriber was the
rest of the pipeline for every event: graphql-core's per-event executor, Strawberry's result
handling and extension hooks, a message dict and its JSON — about half of a process's CPU in a
1,000-subscriber fan-out (py-spy, benchmarks/fanout_nginx.py).

So, per operation, the handler exposes a `Sink` to the code running in the operation's task (a
context variable). The first subscriber to send an event for a given document and variables
sends it the ordinary way; `send_message` then keeps the payload's JSON under (event, document,
variables). Every other subscriber of that document finds it there and the resolver writes
`{"id":…,"type":"next","payload":…}` straight to its websocket instead of yielding the event
through graphql-core and Strawberry. The bytes are exactly what the ordinary path sends (same
keys, order and separators), and order is kept: the resolver runs in the operation's task, so
a direct send happens only after the previous event was sent. Anything not plainly shareable
(errors, extensions, a failed send) takes the ordinary path.
"""

from __future__ import annotations

import contextvars
import json
from typing import Any

from cachetools import LRUCache
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

from boxoffice import metrics
from boxoffice.lrucache import bounded

# id(data) -> (data, its JSON): the object is kept alive so its id cannot be reused meanwhile
_ENCODED: LRUCache[int, tuple[Any, str]] = bounded(512)
# (id(event), document key) -> (event, the `payload` JSON) for events sent the ordinary way once
_PAYLOADS: LRUCache[tuple[int, tuple[str, str, str]], tuple[Any, str]] = bounded(1024)


def encode(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))  # Strawberry's encode_json


def encoded_data(data: Any) -> str:
    """JSON of a result's `data`, computed once for every subscriber holding the same object."""
    hit = _ENCODED.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    text = encode(data)
    _ENCODED[id(data)] = (data, text)
    return text


def next_frame(operation_id: str, data: Any, *, shared: bool = True) -> str:
    """`{"id":…,"type":"next","payload":{"data":…}}` as Strawberry would encode it. `shared`:
    the data object is a seat-map event's result other subscribers hold too, so its JSON is
    kept (encoded_data); a per-user result (queue, reservation, a query) is never kept."""
    body = encoded_data(data) if shared else encode(data)
    return '{"id":' + encode(operation_id) + ',"type":"next","payload":{"data":' + body + "}}"


class Sink:
    """One operation's direct way to its websocket, for events already rendered for its
    document and variables."""

    def __init__(self, handler: SharedPayloadHandler, operation: Operation[Any, Any]) -> None:
        self._handler = handler
        self._operation = operation
        self._prefix = '{"id":' + encode(operation.id) + ',"type":"next","payload":'
        self.document = (operation.query, operation.operation_name or "",
                         json.dumps(operation.variables or {}, sort_keys=True, default=str))
        self.pending: Any = None  # the event handed to the ordinary path, until it is sent

    def rendered(self, event: Any) -> str | None:
        hit = _PAYLOADS.get((id(event), self.document))
        return hit[1] if hit is not None and hit[0] is event else None

    async def send(self, event: Any) -> bool:
        """Send `event` as already rendered for this document; False when it was not (or the
        send failed): the caller then yields it the ordinary way."""
        payload = self.rendered(event)
        if payload is None or self._operation.completed:
            return False
        try:
            await self._handler.send_text(self._prefix + payload + "}")
        except WebSocketDisconnected:
            return False
        metrics.inc("subscription_events_prerendered_total")
        return True

    def keep(self, event: Any, data: Any) -> None:
        """The ordinary path sent `data` as `event`'s result: keep it for the others."""
        _PAYLOADS[(id(event), self.document)] = (event, '{"data":' + encoded_data(data) + "}")


CURRENT_SINK: contextvars.ContextVar[Sink | None] = contextvars.ContextVar(
    "boxoffice_ws_sink", default=None)


class SharedPayloadHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        # the resolver of this operation runs in this task and finds its sink here
        CURRENT_SINK.set(Sink(self, operation))
        await super().run_operation(operation)

    async def send_text(self, text: str) -> None:
        assert isinstance(self.websocket, ASGIWebSocketAdapter)
        try:
            await self.websocket.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def send_message(self, message: Any) -> None:
        sink = CURRENT_SINK.get()  # set in an operation's task only
        event = None
        if sink is not None:  # this message is the pending event's result, whatever it is
            event, sink.pending = sink.pending, None
        payload = message.get("payload")
        # only a plain result (no errors, no extensions) is shareable; anything else as usual
        if (message.get("type") != "next" or not isinstance(payload, dict)
                or payload.keys() != {"data"} or not isinstance(payload["data"], dict)
                or not isinstance(self.websocket, ASGIWebSocketAdapter)):
            await super().send_message(message)
            return
        await self.send_text(next_frame(message["id"], payload["data"],
                                        shared=event is not None))
        if sink is not None and event is not None:
            sink.keep(event, payload["data"])
