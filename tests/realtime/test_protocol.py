"""The websocket protocol at the wire: connection_init auth and the per-connection cap."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets
from gql import Client
from gql.transport.exceptions import TransportConnectionFailed
from websockets.typing import Subprotocol

from tests.factories import make_show
from tests.realtime.support import SEAT_MAP, transport, uvicorn

TRANSPORT_WS = Subprotocol("graphql-transport-ws")
LEGACY_WS = Subprotocol("graphql-ws")


async def recv(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await ws.recv())
    return message


@pytest.mark.parametrize("payload", [
    {},
    {"apiKey": "bo_not-a-real-key"},
    "VALID_KEY_BAD_TOKEN",
], ids=["no-api-key", "wrong-api-key", "bad-bearer-token"])
async def test_connection_init_without_valid_credentials_is_closed_4403(servers, world,
                                                                        payload):
    a, _ = servers
    if payload == "VALID_KEY_BAD_TOKEN":
        payload = {"apiKey": world.key, "authorization": "Bearer forged"}
    async with websockets.connect(a.ws, subprotocols=[TRANSPORT_WS]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_legacy_protocol_rejects_a_missing_api_key_too(servers, world):
    a, _ = servers
    async with websockets.connect(a.ws, subprotocols=[LEGACY_WS]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await recv(ws))["type"] == "connection_error"
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()


async def test_gql_client_cannot_connect_without_an_api_key(servers, world):
    a, _ = servers
    with pytest.raises(TransportConnectionFailed) as failed:
        async with Client(transport=transport(a, {"apiKey": "wrong"})):
            pass  # pragma: no cover
    cause: BaseException | None = failed.value
    while cause is not None and not isinstance(cause, websockets.ConnectionClosed):
        cause = cause.__cause__ or cause.__context__
    assert cause is not None and cause.rcvd is not None and cause.rcvd.code == 4403


async def test_subscriptions_per_connection_are_capped(servers, world):
    a, _ = servers
    show = await make_show(rows=1, per_row=4)
    cap = 20  # Settings.max_subscriptions_per_connection
    async with websockets.connect(a.ws, subprotocols=[TRANSPORT_WS]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": world.init()}))
        assert (await recv(ws))["type"] == "connection_ack"
        for n in range(1, cap + 2):
            await ws.send(json.dumps({"id": str(n), "type": "subscribe", "payload": {
                "query": SEAT_MAP, "variables": {"showId": str(show.show_id)}}}))
        snapshots: set[str] = set()
        error: dict[str, Any] | None = None
        while len(snapshots) < cap or error is None:
            message = await recv(ws)
            if message["type"] == "next":
                snapshots.add(message["id"])
            elif message["type"] == "error":
                error = message
        assert error["id"] == str(cap + 1)
        assert "limit" in error["payload"][0]["message"].lower()
        assert snapshots == {str(n) for n in range(1, cap + 1)}


async def test_subscribe_before_a_valid_connection_init_is_refused(servers, world):
    """No operation runs on a websocket before connection_init carried a valid apiKey."""
    a, _ = servers
    show = await make_show(rows=1, per_row=2)
    async with websockets.connect(a.ws, subprotocols=[TRANSPORT_WS]) as ws:
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": SEAT_MAP, "variables": {"showId": str(show.show_id)}}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_websocket_operations_draw_from_the_rate_limit_buckets(world):
    """Each subscribe on a websocket is charged per key and address like an HTTP request;
    past the bucket the operation gets RATE_LIMITED with retryAfterSeconds."""
    show = await make_show(rows=1, per_row=2)
    tight = {"RATE_LIMITS": "on", "RATE_PER_ADDRESS": "0.05", "BURST_PER_ADDRESS": "4"}
    with uvicorn(tight) as server:
        async with websockets.connect(server.ws, subprotocols=[TRANSPORT_WS]) as ws:  # 1 token
            await ws.send(json.dumps({"type": "connection_init", "payload": world.init()}))
            assert (await recv(ws))["type"] == "connection_ack"
            for n in range(1, 5):
                await ws.send(json.dumps({"id": str(n), "type": "subscribe", "payload": {
                    "query": SEAT_MAP, "variables": {"showId": str(show.show_id)}}}))
            seen: dict[str, dict[str, Any]] = {}
            while len(seen) < 4:
                message = await recv(ws)
                seen.setdefault(message["id"], message)
        # the address bucket is empty: a new handshake is refused before any connection_init
        with pytest.raises(websockets.InvalidStatus) as refused_handshake:
            async with websockets.connect(server.ws, subprotocols=[TRANSPORT_WS]):
                pass  # pragma: no cover
        assert refused_handshake.value.response.status_code == 403
    assert [seen[str(n)]["type"] for n in range(1, 4)] == ["next", "next", "next"]
    refused = seen["4"]
    assert refused["type"] in ("error", "next"), refused
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "RATE_LIMITED"
    assert errors[0]["extensions"]["retryAfterSeconds"] >= 1
