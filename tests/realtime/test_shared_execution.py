"""A seat-map event is executed once for all local subscribers sending the same document."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx2
import websockets
from websockets.typing import Subprotocol

from boxoffice.auth import ApiClient
from boxoffice.services.seatevents import publish_seat_changes
from schema.context import Context
from schema.root import schema
from tests.factories import make_show
from tests.observability.scrape import value
from tests.realtime.support import SEAT_MAP, graphql, subscribed


async def test_one_execution_per_event_for_many_subscribers(app, own_show_ids, monkeypatch):
    """Cold cache on purpose: ten concurrent first reads share one rebuild and one render."""
    show = await make_show(rows=2, per_row=5)
    state = app.state.boxoffice
    executions: list[str] = []
    parent: Any = schema.execution_context_class.__mro__[1]
    original = parent.execute_operation

    def counting(self: Any, serially: bool | None = None) -> Any:
        executions.append(type(self.root_value).__name__ + str(id(self.root_value)))
        return original(self, serially)

    monkeypatch.setattr(parent, "execute_operation", counting)

    async def subscriber() -> list[dict[str, Any]]:
        ctx = Context(request=None, response=None, state=state,  # type: ignore[arg-type]
                      api_client=ApiClient(1, "tests"), user=None)
        stream = await schema.subscribe(SEAT_MAP, variable_values={"showId": str(show.show_id)},
                                        context_value=ctx)
        results = []
        async for result in stream:  # type: ignore[union-attr]
            assert not result.errors, result.errors
            assert result.data is not None
            results.append(result.data)
            snapshotted.release()
            if len(results) == 2:
                break
        return results

    snapshotted = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(subscriber()) for _ in range(10)]
    for _ in tasks:
        await asyncio.wait_for(snapshotted.acquire(), 5)
    await publish_seat_changes(state.redis, show.show_id, [("A-3", "FREE")], 0)
    results = await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert all(r == results[0] for r in results)  # everyone got the same two events
    assert results[0][1]["seatMap"]["changes"] == [{"label": "A-3", "status": "FREE"}]
    # one execution for the shared snapshot, one for the shared delta (not 10 of each)
    assert len([e for e in executions if e.startswith("SeatMapEvent")]) == 2, executions


COMPACT = (Path(__file__).resolve().parents[2] / "frontend_contract" / "operations"
           / "SeatMapCompactSubscription.graphql").read_text()


async def test_compact_snapshot_in_the_subscription(servers, world):
    """A phone subscribes with the compact snapshot: statuses as one string, no seat list."""
    a, _ = servers
    show = await make_show(rows=2, per_row=3)
    query = COMPACT
    layout = await graphql(a.http, world.key, "query($s: ID!) { seatLayout(showId: $s) { "
                           "layoutVersion seats { label } } }", {"s": str(show.show_id)})
    async with subscribed(a, world.init(), query, {"showId": str(show.show_id)}) as sub:
        first = (await sub.next())["seatMap"]
        snap = first["snapshot"]
        assert snap["statusString"] == "FFFFFF" and snap["free"] == 6
        assert snap["layoutVersion"] == layout["seatLayout"]["layoutVersion"]
        assert snap["version"] == first["version"]


MINIMAL = "subscription M($showId: ID!) { seatMap(showId: $showId) { version changes { label } } }"


async def _subscriber(url: str, key: str, query: str, show_id: int, op_id: str,
                      frames: list[str], events: int) -> None:
    async with websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"apiKey": key}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {
            "query": query, "variables": {"showId": str(show_id)}}}))
        while len(frames) < events:
            frame = await ws.recv()
            assert isinstance(frame, str)
            if json.loads(frame)["type"] != "ping":
                frames.append(frame)


async def test_a_delta_is_rendered_once_and_written_as_the_same_bytes_to_every_subscriber(
        servers, world, redis):
    """Over graphql-transport-ws the first subscriber of a document gets an event the ordinary
    way and the others the same bytes (their own operation id in front): frames are exactly
    what Strawberry sends, and a subscriber with another document is rendered its own."""
    a, _ = servers
    show = await make_show(rows=2, per_row=5)

    async def prerendered() -> float:
        async with httpx2.AsyncClient(timeout=10) as http:
            text = (await http.get(a.http.replace("/graphql", "/metrics"))).text
        return value(text, "boxoffice_subscription_events_prerendered_total")

    before = await prerendered()
    same: list[list[str]] = [[] for _ in range(12)]
    other: list[str] = []
    tasks = [asyncio.create_task(_subscriber(a.ws, world.key, SEAT_MAP, show.show_id,
                                             f"op-{i}", frames, 3))
             for i, frames in enumerate(same)]
    tasks.append(asyncio.create_task(_subscriber(a.ws, world.key, MINIMAL, show.show_id,
                                                 "minimal", other, 3)))
    deadline = asyncio.get_running_loop().time() + 10
    while any(not f for f in same) or not other:  # every snapshot in
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    await publish_seat_changes(redis, show.show_id, [("A-3", "FREE")], 0)
    await asyncio.sleep(0.2)
    await publish_seat_changes(redis, show.show_id, [("B-1", "FREE")], 0)
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    for i, frames in enumerate(same):
        messages = [json.loads(f) for f in frames]
        # byte for byte what Strawberry's own encoder gives for that message
        assert frames == [json.dumps(m, separators=(",", ":")) for m in messages]
        assert [m["id"] for m in messages] == [f"op-{i}"] * 3
        assert [m["payload"] for m in messages] == [json.loads(f)["payload"] for f in same[0]]
    deltas = [json.loads(f)["payload"]["data"]["seatMap"] for f in same[0][1:]]
    assert [d["changes"] for d in deltas] == [[{"label": "A-3", "status": "FREE"}],
                                              [{"label": "B-1", "status": "FREE"}]]
    assert deltas[1]["version"] == deltas[0]["version"] + 1
    minimal = [json.loads(f)["payload"]["data"]["seatMap"] for f in other[1:]]
    assert minimal == [{"version": deltas[0]["version"], "changes": [{"label": "A-3"}]},
                       {"version": deltas[1]["version"], "changes": [{"label": "B-1"}]}]
    # at most one subscriber per document rendered each delta; the others were written bytes
    assert await prerendered() - before >= 2 * (len(same) - 1)
