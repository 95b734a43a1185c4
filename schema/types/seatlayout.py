"""Compact seat-map types: the static layout a client keeps (statuses come as one string)."""

from __future__ import annotations

import strawberry

from boxoffice.services.catalog import SeatMapSnapshot
from boxoffice.services.seatlayout import layout_version


@strawberry.type(description="A seat's place and price; its status is in SeatMap.statusString.")
class LayoutSeat:
    label: str
    row: str
    number: int
    x: int = strawberry.field(description="Horizontal position; aisles leave gaps.")
    y: int = strawberry.field(description="Row index from the front (0 = row A).")
    category: str
    price: int = strawberry.field(description="Minor units (paise, cents).")


@strawberry.type(description="A show's seats without their statuses: keep it while "
                 "SeatMap.layoutVersion stays the same.")
class SeatLayout:
    show_id: strawberry.ID
    layout_version: str = strawberry.field(
        description="Changes exactly when the layout (seats, positions, prices) changes.")
    currency: str
    seats: list[LayoutSeat] = strawberry.field(
        description="In layout order: the order of SeatMap.seats and SeatMap.statusString.")

    @classmethod
    def from_snapshot(cls, m: SeatMapSnapshot) -> SeatLayout:
        return cls(
            show_id=strawberry.ID(str(m.show_id)),
            layout_version=layout_version(m.currency, m.seats),
            currency=m.currency,
            seats=[LayoutSeat(label=s.label, row=s.row, number=s.number, x=s.x, y=s.y,
                              category=s.category, price=s.price) for s in m.seats],
        )
