"""Catalog tables: where and what is playing. Read-heavy, written by seeding and admins."""

from enum import StrEnum

from piccolo.columns import (
    Array,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Real,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Unique
from piccolo.table import Table


class ShowStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"


class City(Table, tablename="city"):
    id: Serial  # Piccolo adds the column; declared for type checkers
    name = Varchar(length=100, unique=True)
    # a city imported without cinemas has no known position
    lat = DoublePrecision(null=True, default=None)
    lng = DoublePrecision(null=True, default=None)
    # the catalog file's own id (`boxoffice import`): re-imports find the row by it
    source_id = Varchar(length=100, null=True, default=None, unique=True)


class PostalCode(Table, tablename="postal_code"):
    """Postal code centroids, so `search(postalCode:)` can measure distance."""

    id: Serial  # Piccolo adds the column; declared for type checkers
    code = Varchar(length=20, unique=True)
    city = ForeignKey(City, on_delete=OnDelete.restrict, null=False)
    lat = DoublePrecision()
    lng = DoublePrecision()


class Cinema(Table, tablename="cinema"):
    id: Serial  # Piccolo adds the column; declared for type checkers
    name = Varchar(length=200)
    city = ForeignKey(City, on_delete=OnDelete.restrict, null=False, index=True)
    address = Varchar(length=300, default="")
    postal_code = Varchar(length=20, index=True)
    lat = DoublePrecision()
    lng = DoublePrecision()
    source_id = Varchar(length=100, null=True, default=None, unique=True)

    unique_city_name = Unique([city, name])


class CinemaHall(Table, tablename="cinema_hall"):
    id: Serial  # Piccolo adds the column; declared for type checkers
    cinema = ForeignKey(Cinema, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=100)
    source_id = Varchar(length=100, null=True, default=None)  # unique within its cinema

    unique_cinema_name = Unique([cinema, name])
    unique_cinema_source_id = Unique([cinema, source_id])


class SeatCategory(Table, tablename="seat_category"):
    """A class of seat in a hall (e.g. CLASSIC, PRIME, RECLINER); priced per show."""

    id: Serial  # Piccolo adds the column; declared for type checkers
    hall = ForeignKey(CinemaHall, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=50)
    rank = Integer(default=0)

    unique_hall_name = Unique([hall, name])


class CinemaSeat(Table, tablename="cinema_seat"):
    """A physical seat. `x`/`y` give its position for adjacency (aisles leave gaps in x)."""

    id: Serial  # Piccolo adds the column; declared for type checkers
    hall = ForeignKey(CinemaHall, on_delete=OnDelete.restrict, null=False)
    category = ForeignKey(SeatCategory, on_delete=OnDelete.restrict, null=False)
    row = Varchar(length=3)
    number = Integer()
    label = Varchar(length=10)
    x = Integer()
    y = Integer()
    # no longer in the hall's layout (`boxoffice import` of a new one): new shows skip it, the
    # shows that already have it keep it
    retired = Boolean(default=False)

    unique_hall_label = Unique([hall, label])


class Movie(Table, tablename="movie"):
    id: Serial  # Piccolo adds the column; declared for type checkers
    title = Varchar(length=300)
    rating = Real(default=0.0)
    duration_minutes = Integer()
    languages = Array(base_column=Varchar(length=40))
    genres = Array(base_column=Varchar(length=40))
    release_date = Date(null=True, default=None)
    source_id = Varchar(length=100, null=True, default=None, unique=True)


class Show(Table, tablename="show"):
    """One screening. `free_seats` and `seat_version` are maintained by the booking service in
    the same transaction as every seat change, so browse never counts rows."""

    id: Serial  # Piccolo adds the column; declared for type checkers
    movie = ForeignKey(Movie, on_delete=OnDelete.restrict, null=False, index=True)
    hall = ForeignKey(CinemaHall, on_delete=OnDelete.restrict, null=False)
    cinema = ForeignKey(Cinema, on_delete=OnDelete.restrict, null=False)  # denormalised for search
    starts_at = Timestamptz(index=True)
    currency = Varchar(length=3, default="INR")
    total_seats = Integer(default=0)
    free_seats = Integer(default=0)
    seat_version = Integer(default=0)
    # before this instant reserve is refused and fans join the on-sale waiting room
    on_sale_at = Timestamptz(null=True, default=None)
    status = Varchar(length=10, choices=ShowStatus, default=ShowStatus.SCHEDULED)
    source_id = Varchar(length=100, null=True, default=None, unique=True)


class ShowPrice(Table, tablename="show_price"):
    id: Serial  # Piccolo adds the column; declared for type checkers
    show = ForeignKey(Show, on_delete=OnDelete.restrict, null=False)
    category = ForeignKey(SeatCategory, on_delete=OnDelete.restrict, null=False)
    price = Integer()  # minor units

    unique_show_category = Unique([show, category])
