"""The caller's own things: myBookings."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from boxoffice.services.bookings import MAX_MY_BOOKINGS, list_bookings
from resolvers.booking import booking_type
from schema.context import Context
from schema.errors import bad_input
from schema.permissions import require_user
from schema.types import booking as t


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The caller's bookings, newest first; first is 1..100.")
    async def my_bookings(self, info: Info[Context, None],
                          first: int | None = 20) -> list[t.Booking]:
        first = 20 if first is None else first  # the contract's `Int = 20`: null means default
        user = require_user(info)
        if not 1 <= first <= MAX_MY_BOOKINGS:
            raise bad_input(f"first must be between 1 and {MAX_MY_BOOKINGS}", "first")
        return [booking_type(v) for v in await list_bookings(user.id, first)]
