"""graphql-transport-ws `next` messages encoded once per shared result, not once per subscriber.

A seat-map event is executed once for every local subscriber sending the same document
(resolvers/subscriptions.py, SharedEventExecution): each of them receives the very same `data`
object. Strawberry's handler would still build and JSON-encode a message per subscriber; here
the payload's JSON is kept by the identity of that object and each subscriber's frame is its
operation id spliced in front of the shared bytes. The text is exactly what Strawberry sends
(same key order, same separators), so the protocol is unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from cachetools import LRUCache
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from boxoffice.lrucache import bounded

# id(data) -> (data, its JSON): the object is kept alive so its id cannot be reused meanwhile
_ENCODED: LRUCache[int, tuple[Any, str]] = bounded(512)


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


def next_frame(operation_id: str, data: Any) -> str:
    """`{"id":…,"type":"next","payload":{"data":…}}` as Strawberry would encode it."""
    return ('{"id":' + encode(operation_id) + ',"type":"next","payload":{"data":'
            + encoded_data(data) + "}}")


class SharedPayloadHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    async def send_message(self, message: Any) -> None:
        payload = message.get("payload")
        # only a plain result (no errors, no extensions) is shareable; anything else as usual
        if (message.get("type") != "next" or not isinstance(payload, dict)
                or payload.keys() != {"data"} or not isinstance(payload["data"], dict)
                or not isinstance(self.websocket, ASGIWebSocketAdapter)):
            await super().send_message(message)
            return
        try:
            await self.websocket.ws.send_text(next_frame(message["id"], payload["data"]))
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
