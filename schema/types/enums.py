"""Enums shared by several schema modules."""

from enum import Enum

import strawberry


@strawberry.enum
class SeatStatus(Enum):
    FREE = "FREE"
    HELD = "HELD"
    BOOKED = "BOOKED"


@strawberry.enum
class SearchSort(Enum):
    SHOWTIME = "SHOWTIME"
    RATING = "RATING"
    DISTANCE = "DISTANCE"


@strawberry.enum
class ReservationStatus(Enum):
    HELD = "HELD"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


@strawberry.enum
class ShowStatus(Enum):
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"
