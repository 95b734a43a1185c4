"""A seat-map event is executed once for all local subscribers sending the same document."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from boxoffice.auth import ApiClient
from boxoffice.services.seatevents import publish_seat_changes
from schema.context import Context
from schema.root import schema
from tests.factories import make_show
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
