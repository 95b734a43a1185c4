"""Enums shared by several schema modules.

The status enums are the StrEnums of models/ (the one spelling of each status, also used to
build the SQL and checked against the migration's CHECK constraints by
tests/test_sql_prepares.py), exposed to GraphQL under the same names.
"""

from enum import Enum

import strawberry

from models.booking import ReservationStatus, SeatStatus
from models.catalog import ShowStatus

__all__ = ["ReservationStatus", "SearchSort", "SeatStatus", "ShowStatus"]

# registers each class as a GraphQL enum of the same name (in place: the classes are the models')
for _status in (SeatStatus, ReservationStatus, ShowStatus):
    strawberry.enum(_status)


@strawberry.enum
class SearchSort(Enum):
    SHOWTIME = "SHOWTIME"
    RATING = "RATING"
    DISTANCE = "DISTANCE"
