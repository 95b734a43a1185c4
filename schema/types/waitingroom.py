"""On-sale waiting room types (contract names)."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(description="A fan's place in a show's on-sale waiting room.")
class WaitingRoomTicket:
    show_id: strawberry.ID
    position: int = strawberry.field(
        description="Place in line now (1 = admitted next), 0 once admitted. Before onSaleAt "
        "the lottery is not drawn yet: the number of fans in the draw so far (your worst case)."
    )
    etr_seconds: int = strawberry.field(description="Estimated seconds until admission.")
    admitted: bool
    admitted_until: datetime | None = strawberry.field(
        description="When admitted: the admission instant + ADMISSION_SECONDS; null for a "
        "show without a waiting room (no onSaleAt)."
    )


@strawberry.type(description="reserve from a fan who is not admitted while the room is busy.")
class NotAdmitted:
    show_id: strawberry.ID
    position: int
    etr_seconds: int
