"""Subscription payload types (contract names). The snapshot reuses the catalog's SeatMap."""

from __future__ import annotations

import strawberry

from schema.types.catalog import SeatMap
from schema.types.enums import SeatStatus


@strawberry.type
class SeatChange:
    label: str
    status: SeatStatus


@strawberry.type(description="One step of a live seat map: a full snapshot, or changes.")
class SeatMapEvent:
    show_id: strawberry.ID
    version: int = strawberry.field(
        description="Strictly increasing per show; a delta is exactly the previous version + 1."
    )
    snapshot: SeatMap | None = strawberry.field(
        description="Set on the first event of a subscription and after a resync: replace "
        "your whole map with it."
    )
    changes: list[SeatChange] = strawberry.field(
        description="Seats whose status changed in this version; empty on a snapshot event."
    )
