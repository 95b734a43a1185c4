"""The compact seat map's static half: `seatLayout(showId)`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers.catalog import seat_map_snapshot
from schema.types.seatlayout import SeatLayout


@strawberry.type
class SeatLayoutQuery:
    @strawberry.field(description="The show's seats, positions, categories and prices, without "
                      "statuses; pair it with seatMap { version layoutVersion statusString }.")
    async def seat_layout(self, info: Info[Any, None], show_id: strawberry.ID) -> SeatLayout:
        return SeatLayout.from_snapshot(await seat_map_snapshot(info, show_id))
