"""The compact seat map's static half: `seatLayout(showId)`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers.catalog import parse_id
from schema.errors import NOT_FOUND, bad_input, coded
from schema.types.seatlayout import SeatLayout


@strawberry.type
class SeatLayoutQuery:
    @strawberry.field(description="The show's seats, positions, categories and prices, without "
                      "statuses; pair it with seatMap { version layoutVersion statusString }.")
    async def seat_layout(self, info: Info[Any, None], show_id: strawberry.ID) -> SeatLayout:
        sid = parse_id(show_id)
        if sid is None:
            raise bad_input("showId is not a show id", "showId")
        snapshot = await info.context.loaders.seat_map.load(sid)
        if snapshot is None:
            raise coded(f"no show {sid}", NOT_FOUND, field="showId")
        return SeatLayout.from_snapshot(snapshot)
