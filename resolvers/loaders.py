"""DataLoaders, created fresh for every operation (schema/extensions.py).

Each batches the keys one operation asks for into one query, so resolving 20 search results'
movies and cinemas costs two queries, not forty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from redis.asyncio import Redis
from strawberry.dataloader import DataLoader

from boxoffice.services import catalog, seatcache
from boxoffice.services.catalog import CinemaRow, MovieRow, SeatMapSnapshot, ShowRow

T = TypeVar("T")


def _by_id(
    fetch: Callable[[Iterable[int]], Awaitable[dict[int, T]]],
) -> Callable[[Sequence[int]], Awaitable[list[T | None]]]:
    async def load(ids: Sequence[int]) -> list[T | None]:
        found = await fetch(ids)
        return [found.get(i) for i in ids]  # None for unknown ids, in key order

    return load


def _from_cache(redis: Redis) -> Callable[[Sequence[int]], Awaitable[list[SeatMapSnapshot | None]]]:
    """Seat maps come from the Redis cache (rebuilt from Postgres when cold), so `seatMap.version`
    is the same counter the `seatMap` subscription numbers its events with."""

    async def load(ids: Sequence[int]) -> list[SeatMapSnapshot | None]:
        return list(await asyncio.gather(*(seatcache.get_seat_map(redis, i) for i in ids)))

    return load


class Loaders:
    """Batch loaders for one operation."""

    def __init__(self, redis: Redis | None = None) -> None:
        self.movie: DataLoader[int, MovieRow | None] = DataLoader(_by_id(catalog.movies_by_ids))
        self.cinema: DataLoader[int, CinemaRow | None] = DataLoader(
            _by_id(catalog.cinemas_by_ids)
        )
        self.show: DataLoader[int, ShowRow | None] = DataLoader(_by_id(catalog.shows_by_ids))
        self.seat_map: DataLoader[int, SeatMapSnapshot | None] = DataLoader(
            _from_cache(redis) if redis is not None else _by_id(catalog.seat_maps)
        )
