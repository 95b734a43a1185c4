"""Door check-in and show cancellation results (contract names)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry


@strawberry.type
class CheckedIn:
    booking_id: strawberry.ID
    show_id: strawberry.ID
    seat: str


@strawberry.type
class AlreadyCheckedIn:
    booking_id: strawberry.ID
    seat: str
    checked_in_at: datetime


@strawberry.type(description="Forged, altered, unknown key id, cancelled show or refunded "
                 "booking.")
class InvalidTicket:
    message: str


CheckInResult = Annotated[CheckedIn | AlreadyCheckedIn | InvalidTicket,
                          strawberry.union("CheckInResult")]


@strawberry.type
class ShowCancelled:
    show_id: strawberry.ID
    refunded_bookings: int
    released_holds: int
