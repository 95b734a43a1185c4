"""Creating shows: the Show row, its price list and every ShowSeat FREE, in one transaction.

All three inserts are set-based (INSERT … SELECT over `unnest`), so creating thousands of shows
(the scale seed) costs a handful of statements, not one round trip per seat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from boxoffice import db
from models.booking import SeatStatus

# total_seats and free_seats start at the hall's seat count; only halls with seats get shows
# set-based: one statement per table whatever the number of shows (also the importer's path)
_INSERT_PRICES = """
INSERT INTO show_price (show, category, price)
SELECT n.show, sc.id, p.price
FROM unnest($1::int[], $2::int[]) AS n(show, hall)
JOIN seat_category sc ON sc.hall = n.hall
JOIN unnest($3::text[], $4::int[]) AS p(name, price) ON p.name = sc.name
"""
_INSERT_SEATS = f"""
INSERT INTO show_seat (show, cinema_seat, label, row, number, x, y, category, price, status)
SELECT n.show, cs.id, cs.label, cs.row, cs.number, cs.x, cs.y, sc.name, sp.price,
       '{SeatStatus.FREE}'
FROM unnest($1::int[], $2::int[]) AS n(show, hall)
JOIN cinema_seat cs ON cs.hall = n.hall AND NOT cs.retired
JOIN seat_category sc ON sc.id = cs.category
JOIN show_price sp ON sp.show = n.show AND sp.category = cs.category
"""
_USED_CATEGORIES = """SELECT DISTINCT sc.name
FROM cinema_seat cs JOIN seat_category sc ON sc.id = cs.category
WHERE cs.hall = ANY($1::int[]) AND NOT cs.retired"""
_INSERT_SHOWS = """
WITH spec AS (
    SELECT * FROM unnest($1::int[], $2::int[], $3::timestamptz[]) AS t(movie, hall, starts_at)
), seats AS (
    SELECT hall, count(*)::int AS n FROM cinema_seat WHERE hall = ANY($2::int[]) AND NOT retired
    GROUP BY hall
)
INSERT INTO show (movie, hall, cinema, starts_at, currency, total_seats, free_seats, seat_version)
SELECT spec.movie, spec.hall, h.cinema, spec.starts_at, $4, seats.n, seats.n, 0
FROM spec
JOIN cinema_hall h ON h.id = spec.hall
JOIN seats ON seats.hall = spec.hall
WHERE NOT $5 OR NOT EXISTS (
    SELECT 1 FROM show s WHERE s.hall = spec.hall AND s.starts_at = spec.starts_at)
RETURNING id, hall
"""


class ShowSpecError(ValueError):
    """The requested show cannot be created (unknown hall/movie, missing or bad prices)."""


@dataclass(frozen=True)
class ShowSpec:
    movie_id: int
    hall_id: int
    starts_at: datetime


async def create_show(
    movie_id: int,
    hall_id: int,
    starts_at: datetime,
    prices: Mapping[str, int],
    currency: str = "INR",
) -> int:
    """Create one show with all of the hall's seats FREE; returns the show id.

    `prices` maps seat-category name (e.g. "PRIME") to a price in minor units; every category
    used by the hall's seats needs one.
    """
    async with db.pool().acquire() as conn, conn.transaction():
        ids = await insert_shows(conn, [ShowSpec(movie_id, hall_id, starts_at)], prices, currency)
    return ids[0]


async def create_shows(
    specs: Sequence[ShowSpec],
    prices: Mapping[str, int],
    currency: str = "INR",
    *,
    skip_existing: bool = False,
) -> list[int]:
    """Create many shows in one transaction (same price list for all); returns new ids.

    With `skip_existing`, a spec whose hall already has a show at that instant is skipped (the
    seeds' idempotency key), and only the ids of shows actually created are returned.
    """
    async with db.pool().acquire() as conn, conn.transaction():
        return await insert_shows(conn, specs, prices, currency, skip_existing=skip_existing)


async def insert_shows(
    conn: asyncpg.Connection,
    specs: Sequence[ShowSpec],
    prices: Mapping[str, int],
    currency: str,
    *,
    skip_existing: bool = False,
) -> list[int]:
    """The inserts behind create_show(s), on the caller's connection and transaction."""
    if not specs:
        return []
    _check_specs(specs, prices, currency)
    hall_ids = sorted({s.hall_id for s in specs})
    await _check_prices_cover_halls(conn, hall_ids, prices)

    try:
        rows = await conn.fetch(
            _INSERT_SHOWS,
            [s.movie_id for s in specs],
            [s.hall_id for s in specs],
            [s.starts_at for s in specs],
            currency,
            skip_existing,
        )
    except asyncpg.ForeignKeyViolationError as exc:
        raise ShowSpecError("unknown movie") from exc
    if not skip_existing and len(rows) != len(specs):
        raise ShowSpecError("unknown hall, or a hall without seats")
    if not rows:
        return []
    show_ids = [r["id"] for r in rows]
    show_halls = [r["hall"] for r in rows]

    await conn.execute(
        _INSERT_PRICES,
        show_ids,
        show_halls,
        list(prices.keys()),
        list(prices.values()),
    )
    await conn.execute(_INSERT_SEATS, show_ids, show_halls)
    return show_ids


def _check_specs(specs: Sequence[ShowSpec], prices: Mapping[str, int], currency: str) -> None:
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise ShowSpecError(f"currency must be an ISO 4217 code, got {currency!r}")
    for name, price in prices.items():
        if not isinstance(price, int) or price < 0:
            raise ShowSpecError(f"price for {name} must be a non-negative integer")
    for s in specs:
        if s.starts_at.tzinfo is None:
            raise ShowSpecError("starts_at must be timezone-aware")


async def _check_prices_cover_halls(
    conn: asyncpg.Connection, hall_ids: list[int], prices: Mapping[str, int]
) -> None:
    """Every category a seat of these halls uses needs a price, or seats would go missing."""
    used = await conn.fetch(_USED_CATEGORIES, hall_ids)
    missing = sorted({r["name"] for r in used} - set(prices))
    if missing:
        raise ShowSpecError(f"no price for seat categories: {', '.join(missing)}")
