"""Booking resolvers: parse, call a service, map to a schema type."""

import strawberry


@strawberry.type
class BookingQuery:
    @strawberry.field
    def booking_ping(self) -> str:
        return "pong"


@strawberry.type
class BookingMutation:
    @strawberry.mutation
    def noop(self) -> bool:
        return True
