"""Browse resolvers: parse the arguments, call a catalog service, map to schema types."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from boxoffice.ids import parse_id
from boxoffice.services import catalog
from boxoffice.services.search import (
    DEFAULT_FIRST,
    SearchHit,
    SearchInputError,
    SearchRequest,
    prepare_search,
    search_count,
    search_page,
)
from boxoffice.services.seatruns import restrict_to_adjacent
from schema.errors import NOT_FOUND, bad_input, coded
from schema.types.catalog import (
    Cinema,
    City,
    Movie,
    PageInfo,
    SearchConnection,
    SearchEdge,
    SearchInput,
    SeatMap,
    Show,
    ShowResult,
)
from schema.types.enums import SearchSort


def _selects(info: Info[Any, None], name: str) -> bool:
    """Whether the current field's selection asks for `name`, also through fragments."""
    stack: list[Any] = [s for f in info.selected_fields for s in f.selections]
    while stack:
        node = stack.pop()
        if isinstance(node, SelectedField) and node.name == name:
            return True
        if isinstance(node, FragmentSpread | InlineFragment):
            stack += node.selections
    return False


def _to_request(i: SearchInput) -> SearchRequest:
    return SearchRequest(
        keyword=i.keyword, city=i.city, near=(i.near.lat, i.near.lng) if i.near else None,
        radius_km=i.radius_km, postal_code=i.postal_code, starts_after=i.starts_after,
        sort=(i.sort or SearchSort.SHOWTIME).value,
        first=DEFAULT_FIRST if i.first is None else i.first, after=i.after,
        min_adjacent_seats=i.min_adjacent_seats,
    )


def _selects_node_field(info: Info[Any, None], name: str) -> bool:
    """Whether the search document selects `edges { node { <name> } }`, through fragments."""
    stack: list[Any] = [s for f in info.selected_fields for s in f.selections]
    depth_names = ("edges", "node")
    while stack:
        node = stack.pop()
        if isinstance(node, FragmentSpread | InlineFragment):
            stack += node.selections
        elif isinstance(node, SelectedField):
            if node.name == name:
                return True
            if node.name in depth_names:
                stack += node.selections
    return False


async def _movies_and_cinemas(info: Info[Any, None], hits: Sequence[SearchHit],
                              ) -> tuple[dict[int, Movie], dict[int, Cinema]]:
    """The page's movies and cinemas, each once, in two batched queries run side by side;
    only those the document selects."""
    loaders = info.context.loaders

    async def movies() -> dict[int, Movie]:
        if not _selects_node_field(info, "movie"):
            return {}
        ids = list({h.movie_id for h in hits})
        return {r.id: Movie.from_row(r) for r in await loaders.movie.load_many(ids) if r}

    async def cinemas() -> dict[int, Cinema]:
        if not _selects_node_field(info, "cinema"):
            return {}
        ids = list({h.cinema_id for h in hits})
        return {r.id: Cinema.from_row(r) for r in await loaders.cinema.load_many(ids) if r}

    found_movies, found_cinemas = await asyncio.gather(movies(), cinemas())
    return found_movies, found_cinemas


async def seat_map_snapshot(info: Info[Any, None],
                            show_id: strawberry.ID) -> catalog.SeatMapSnapshot:
    """The show's seat map from the per-operation loader; a bad or unknown id is a coded error."""
    sid = parse_id(show_id)
    if sid is None:
        raise bad_input("showId is not a show id", "showId")
    snapshot = await info.context.loaders.seat_map.load(sid)
    if snapshot is None:
        raise coded(f"no show {sid}", NOT_FOUND, field="showId")
    return snapshot


@strawberry.type
class CatalogQuery:
    @strawberry.field
    async def cities(self) -> list[City]:
        return [City.from_row(r) for r in await catalog.list_cities()]

    @strawberry.field(description="With city: movies with upcoming shows there.")
    async def movies(self, city: str | None = None) -> list[Movie]:
        return [Movie.from_row(r) for r in await catalog.list_movies(city)]

    @strawberry.field
    async def cinemas(self, city: str) -> list[Cinema]:
        return [Cinema.from_row(r) for r in await catalog.list_cinemas(city)]

    @strawberry.field
    async def search(self, info: Info[Any, None], input: SearchInput) -> SearchConnection:
        try:
            prepared = await prepare_search(_to_request(input))
        except SearchInputError as exc:
            raise bad_input(str(exc), exc.field) from None
        prepared = await restrict_to_adjacent(info.context.state.redis, prepared)
        page = await search_page(prepared, with_total=_selects(info, "totalCount"))
        movies, cinemas = await _movies_and_cinemas(info, page.hits)
        return SearchConnection(
            edges=[SearchEdge(cursor=h.cursor, node=ShowResult.from_hit(
                h, movies.get(h.movie_id), cinemas.get(h.cinema_id))) for h in page.hits],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            total=page.total,
            count=lambda: search_count(prepared),
        )

    @strawberry.field(description="Null when no show has this id.")
    async def show(self, info: Info[Any, None], id: strawberry.ID) -> Show | None:
        show_id = parse_id(id)
        row = await info.context.loaders.show.load(show_id) if show_id else None
        return Show.from_row(row) if row else None

    @strawberry.field
    async def seat_map(self, info: Info[Any, None], show_id: strawberry.ID) -> SeatMap:
        return SeatMap.from_snapshot(await seat_map_snapshot(info, show_id))
