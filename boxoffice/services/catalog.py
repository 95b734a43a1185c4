"""Browse reads: cities, movies, cinemas, shows and seat maps. Read-only, one statement each,
on the read replica when DATABASE_READ_URL is set (`db.read_pool()`).

Batch functions (`*_by_ids`, `seat_maps`) take many ids and answer in one query, for the
per-operation DataLoaders. Search lives in `boxoffice/services/search.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from boxoffice import db
from models.catalog import ShowStatus


@dataclass(frozen=True)
class CityRow:
    id: int
    name: str


@dataclass(frozen=True)
class MovieRow:
    id: int
    title: str
    rating: float
    duration_minutes: int
    languages: tuple[str, ...]
    genres: tuple[str, ...]
    release_date: date | None


@dataclass(frozen=True)
class CinemaRow:
    id: int
    name: str
    city: str
    postal_code: str
    lat: float
    lng: float
    halls: tuple[str, ...]


@dataclass(frozen=True)
class ShowRow:
    id: int
    starts_at: datetime
    movie_id: int
    cinema_id: int
    hall_name: str
    total_seats: int
    free_seats: int
    currency: str
    seat_version: int
    on_sale_at: datetime | None = None
    status: str = ShowStatus.SCHEDULED


@dataclass(frozen=True)
class SeatRow:
    label: str
    row: str
    number: int
    x: int
    y: int
    category: str
    price: int
    status: str  # FREE | HELD | BOOKED


@dataclass(frozen=True)
class SeatMapSnapshot:
    """All seats of a show and its seat version, read in one statement (one snapshot)."""

    show_id: int
    version: int
    currency: str
    seats: tuple[SeatRow, ...]

    def count(self, status: str) -> int:
        return sum(1 for s in self.seats if s.status == status)


_MOVIE_COLUMNS = (
    "m.id, m.title, m.rating, m.duration_minutes, m.languages, m.genres, m.release_date"
)
# hall names ordered, so a cinema's `halls` is stable
_CINEMA_SELECT = """
SELECT c.id, c.name, ci.name AS city, c.postal_code, c.lat, c.lng,
       ARRAY(SELECT h.name FROM cinema_hall h WHERE h.cinema = c.id ORDER BY h.name) AS halls
FROM cinema c JOIN city ci ON ci.id = c.city
"""
# browse reads and the seat map (benchmarks/public_reads.py, seatmap_cache.py): raw asyncpg,
# each prepared against the schema by tests/test_sql_prepares.py
_CITIES = "SELECT id, name FROM city ORDER BY name"
_MOVIES = f"SELECT {_MOVIE_COLUMNS} FROM movie m ORDER BY m.title, m.id"
_MOVIES_IN_CITY = f"""SELECT {_MOVIE_COLUMNS} FROM movie m
WHERE EXISTS (
    SELECT 1 FROM show s JOIN cinema c ON c.id = s.cinema
    WHERE s.movie = m.id AND s.starts_at >= now()
      AND c.city IN (SELECT id FROM city WHERE lower(name) = lower($1)))
ORDER BY m.title, m.id"""
_MOVIES_BY_ID = f"SELECT {_MOVIE_COLUMNS} FROM movie m WHERE m.id = ANY($1::int[])"
_CINEMAS_IN_CITY = _CINEMA_SELECT + " WHERE lower(ci.name) = lower($1) ORDER BY c.name, c.id"
_CINEMAS_BY_ID = _CINEMA_SELECT + " WHERE c.id = ANY($1::int[])"
_SHOWS_BY_ID = """SELECT s.id, s.starts_at, s.movie, s.cinema, h.name AS hall_name, s.total_seats,
       s.free_seats, s.currency, s.seat_version, s.on_sale_at, s.status
FROM show s JOIN cinema_hall h ON h.id = s.hall
WHERE s.id = ANY($1::int[])"""
_SEAT_MAPS = """SELECT s.id AS show_id, s.seat_version, s.currency, ss.label, ss.row, ss.number,
       ss.x, ss.y, ss.category, ss.price, ss.status
FROM show s LEFT JOIN show_seat ss ON ss.show = s.id
WHERE s.id = ANY($1::int[])
ORDER BY s.id, length(ss.row), ss.row, ss.number"""


def _searchable(name: str) -> bool:
    """Whether a name can match anything (Postgres text cannot hold NUL)."""
    return "\x00" not in name and len(name) <= 200


async def list_cities() -> list[CityRow]:
    rows = await db.read_pool().fetch(_CITIES)
    return [CityRow(id=r["id"], name=r["name"]) for r in rows]


async def list_movies(city: str | None = None) -> list[MovieRow]:
    """All movies; with `city`, those with an upcoming show in that city (name, any case)."""
    if city is None:
        rows = await db.read_pool().fetch(_MOVIES)
    elif not _searchable(city):
        return []
    else:
        rows = await db.read_pool().fetch(_MOVIES_IN_CITY, city.strip())
    return [_movie(r) for r in rows]


async def list_cinemas(city: str) -> list[CinemaRow]:
    if not _searchable(city):
        return []
    rows = await db.read_pool().fetch(_CINEMAS_IN_CITY, city.strip())
    return [_cinema(r) for r in rows]


async def movies_by_ids(ids: Iterable[int]) -> dict[int, MovieRow]:
    rows = await db.read_pool().fetch(_MOVIES_BY_ID, list(ids))
    return {r["id"]: _movie(r) for r in rows}


async def cinemas_by_ids(ids: Iterable[int]) -> dict[int, CinemaRow]:
    rows = await db.read_pool().fetch(_CINEMAS_BY_ID, list(ids))
    return {r["id"]: _cinema(r) for r in rows}


async def shows_by_ids(ids: Iterable[int]) -> dict[int, ShowRow]:
    rows = await db.read_pool().fetch(_SHOWS_BY_ID, list(ids))
    return {
        r["id"]: ShowRow(
            id=r["id"], starts_at=r["starts_at"], movie_id=r["movie"], cinema_id=r["cinema"],
            hall_name=r["hall_name"], total_seats=r["total_seats"], free_seats=r["free_seats"],
            currency=r["currency"], seat_version=r["seat_version"],
            on_sale_at=r["on_sale_at"], status=r["status"],
        )
        for r in rows
    }


async def seat_maps(show_ids: Iterable[int]) -> dict[int, SeatMapSnapshot]:
    """Seat maps of these shows (unknown ids are absent), seats by row (A, B, … Z, AA) then
    number. Version and seats come from one statement, so they always agree."""
    rows = await db.read_pool().fetch(_SEAT_MAPS, list(show_ids))
    heads: dict[int, asyncpg.Record] = {}
    seats: dict[int, list[SeatRow]] = {}
    for r in rows:
        heads.setdefault(r["show_id"], r)
        bucket = seats.setdefault(r["show_id"], [])
        if r["label"] is not None:  # a show without seats still has a (empty) map
            bucket.append(SeatRow(label=r["label"], row=r["row"], number=r["number"], x=r["x"],
                                  y=r["y"], category=r["category"], price=r["price"],
                                  status=r["status"]))
    return {
        sid: SeatMapSnapshot(show_id=sid, version=h["seat_version"], currency=h["currency"],
                             seats=tuple(seats[sid]))
        for sid, h in heads.items()
    }


async def seat_map(show_id: int) -> SeatMapSnapshot | None:
    return (await seat_maps([show_id])).get(show_id)


def _movie(r: asyncpg.Record) -> MovieRow:
    # rating is a float4: round so clients see 8.4, not 8.399999618530273
    return MovieRow(
        id=r["id"], title=r["title"], rating=round(float(r["rating"]), 2),
        duration_minutes=r["duration_minutes"], languages=tuple(r["languages"] or ()),
        genres=tuple(r["genres"] or ()), release_date=r["release_date"],
    )


def _cinema(r: asyncpg.Record) -> CinemaRow:
    return CinemaRow(
        id=r["id"], name=r["name"], city=r["city"], postal_code=r["postal_code"], lat=r["lat"],
        lng=r["lng"], halls=tuple(r["halls"]),
    )
