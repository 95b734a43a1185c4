"""Browse types (contract names). Related objects (a show's movie and cinema, its seat map) are
resolved through the operation's DataLoaders, so a page of results costs one query per kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from boxoffice.services.catalog import CinemaRow, CityRow, MovieRow, SeatMapSnapshot, ShowRow
from boxoffice.services.search import SearchHit
from boxoffice.services.seatlayout import layout_version, status_string
from schema.types.enums import SearchSort, SeatStatus, ShowStatus


@strawberry.type
class City:
    id: strawberry.ID
    name: str

    @classmethod
    def from_row(cls, r: CityRow) -> City:
        return cls(id=strawberry.ID(str(r.id)), name=r.name)


@strawberry.type
class Movie:
    id: strawberry.ID
    title: str
    rating: float
    duration_minutes: int
    languages: list[str]
    genres: list[str]
    release_date: date | None = None

    @classmethod
    def from_row(cls, r: MovieRow) -> Movie:
        return cls(id=strawberry.ID(str(r.id)), title=r.title, rating=r.rating,
                   duration_minutes=r.duration_minutes, languages=list(r.languages),
                   genres=list(r.genres), release_date=r.release_date)


@strawberry.type
class Cinema:
    id: strawberry.ID
    name: str
    city: str = strawberry.field(description="The city's name.")
    postal_code: str
    lat: float
    lng: float
    halls: list[str] = strawberry.field(description="Names of the cinema's halls (screens).")

    @classmethod
    def from_row(cls, r: CinemaRow) -> Cinema:
        return cls(id=strawberry.ID(str(r.id)), name=r.name, city=r.city,
                   postal_code=r.postal_code, lat=r.lat, lng=r.lng, halls=list(r.halls))


@strawberry.type
class Seat:
    label: str = strawberry.field(description="ROW-NUMBER, e.g. J-12.")
    row: str
    number: int
    category: str
    price: int = strawberry.field(description="Minor units (paise, cents).")
    currency: str
    status: SeatStatus
    x: int = strawberry.field(description="Horizontal position; aisles leave gaps.")
    y: int = strawberry.field(description="Row index from the front (0 = row A).")


@strawberry.type
class SeatMap:
    show_id: strawberry.ID
    version: int
    seats: list[Seat] = strawberry.field(description="Sorted by row (A first), then number.")
    free: int
    held: int
    booked: int
    snapshot: strawberry.Private[SeatMapSnapshot]

    @strawberry.field(description="One character per seat in layout order (seatLayout): "
                      "F free, H held, B booked.")
    def status_string(self) -> str:
        return status_string(self.snapshot.seats)

    @strawberry.field(description="The version of seatLayout these statuses are in the order of.")
    def layout_version(self) -> str:
        return layout_version(self.snapshot.currency, self.snapshot.seats)

    @classmethod
    def from_snapshot(cls, m: SeatMapSnapshot) -> SeatMap:
        return cls(
            snapshot=m,
            show_id=strawberry.ID(str(m.show_id)),
            version=m.version,
            seats=[Seat(label=s.label, row=s.row, number=s.number, category=s.category,
                        price=s.price, currency=m.currency, status=SeatStatus(s.status),
                        x=s.x, y=s.y) for s in m.seats],
            free=m.count(SeatStatus.FREE),
            held=m.count(SeatStatus.HELD),
            booked=m.count(SeatStatus.BOOKED),
        )


async def _movie(info: Info[Any, None], movie_id: int) -> Movie:
    row = await info.context.loaders.movie.load(movie_id)
    if row is None:
        raise LookupError(f"movie {movie_id} vanished")
    return Movie.from_row(row)


async def _cinema(info: Info[Any, None], cinema_id: int) -> Cinema:
    row = await info.context.loaders.cinema.load(cinema_id)
    if row is None:
        raise LookupError(f"cinema {cinema_id} vanished")
    return Cinema.from_row(row)


@strawberry.type
class Show:
    id: strawberry.ID
    starts_at: datetime
    hall_name: str
    total_seats: int
    available_seats: int
    movie_id: strawberry.Private[int]
    cinema_id: strawberry.Private[int]
    on_sale_at: datetime | None = strawberry.field(
        default=None, description="When tickets go on sale; null: on sale now. Before it "
        "reserve is refused and fans join the waiting room (joinWaitingRoom).")
    status: ShowStatus = ShowStatus.SCHEDULED

    @classmethod
    def from_row(cls, r: ShowRow) -> Show:
        return cls(id=strawberry.ID(str(r.id)), starts_at=r.starts_at, hall_name=r.hall_name,
                   total_seats=r.total_seats, available_seats=r.free_seats,
                   movie_id=r.movie_id, cinema_id=r.cinema_id, on_sale_at=r.on_sale_at,
                   status=ShowStatus(r.status))

    @strawberry.field
    async def movie(self, info: Info[Any, None]) -> Movie:
        return await _movie(info, self.movie_id)

    @strawberry.field
    async def cinema(self, info: Info[Any, None]) -> Cinema:
        return await _cinema(info, self.cinema_id)

    @strawberry.field
    async def seat_map(self, info: Info[Any, None]) -> SeatMap:
        snapshot = await info.context.loaders.seat_map.load(int(self.id))
        if snapshot is None:
            raise LookupError(f"show {self.id} vanished")
        return SeatMap.from_snapshot(snapshot)


@strawberry.type
class ShowResult:
    show_id: strawberry.ID
    showtime: datetime
    available_seats: int = strawberry.field(description="FREE seats, may be up to ~2 s stale.")
    distance_km: float | None = strawberry.field(
        description="Set when `near` or `postalCode` was given."
    )
    # loaded for the whole page by the search resolver (two batched queries), so a page of
    # 20 costs no per-node awaitables in the executor; unset when the document omits them
    movie: Movie
    cinema: Cinema

    @classmethod
    def from_hit(cls, h: SearchHit, movie: Movie | None, cinema: Cinema | None) -> ShowResult:
        return cls(
            show_id=strawberry.ID(str(h.show_id)), showtime=h.starts_at,
            available_seats=h.free_seats,
            distance_km=None if h.distance_km is None else round(h.distance_km, 3),
            movie=movie, cinema=cinema,  # type: ignore[arg-type]
        )


@strawberry.type
class SearchEdge:
    cursor: str
    node: ShowResult


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo
    # totalCount costs a scan of every match: it is computed only when selected, with the
    # page (`total`); `count` is the fallback when the page was fetched without it
    total: strawberry.Private[int | None]
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All matches of the search, on every page.")
    async def total_count(self) -> int:
        return self.total if self.total is not None else await self.count()


@strawberry.input
class GeoPoint:
    lat: float
    lng: float


@strawberry.input(description="Every filter is optional; given filters all apply (AND).")
class SearchInput:
    keyword: str | None = strawberry.field(
        default=None,
        description="Movie title fragment; case-insensitive, tolerates typos (3+ letters).",
    )
    city: str | None = strawberry.field(default=None, description="City name, any case.")
    near: GeoPoint | None = None
    radius_km: float | None = strawberry.field(
        default=None,
        description="With near/postalCode: cinemas within this distance (default 10, >= 0).",
    )
    postal_code: str | None = strawberry.field(
        default=None, description="Alternative to near: the postal code's centroid."
    )
    starts_after: datetime | None = strawberry.field(
        default=None, name="datetime",
        description="Shows starting at or after this instant (with offset); default now.",
    )
    min_adjacent_seats: int | None = strawberry.field(
        default=None,
        description="Only shows with at least this many adjacent FREE seats in one row "
        "(1 to 100); as fresh as availableSeats (~2 s).",
    )
    # nullable as in the contract; null means the default
    sort: SearchSort | None = SearchSort.SHOWTIME
    first: int | None = strawberry.field(default=20, description="Page size, 1 to 100.")
    after: str | None = strawberry.field(
        default=None, description="Opaque cursor from pageInfo.endCursor."
    )
