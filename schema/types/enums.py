"""Enums shared by several schema modules.

The status enums are the StrEnums of models/ (the one spelling of each status, also used to
build the SQL and checked against the migration's CHECK constraints by
tests/test_sql_prepares.py), exposed to GraphQL under the same names.
"""

from enum import Enum

import strawberry

from models import booking, catalog

SeatStatus = strawberry.enum(booking.SeatStatus, name="SeatStatus")
ReservationStatus = strawberry.enum(booking.ReservationStatus, name="ReservationStatus")
ShowStatus = strawberry.enum(catalog.ShowStatus, name="ShowStatus")


@strawberry.enum
class SearchSort(Enum):
    SHOWTIME = "SHOWTIME"
    RATING = "RATING"
    DISTANCE = "DISTANCE"
