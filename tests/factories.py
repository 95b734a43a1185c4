"""Small, explicit test data: a hall of `rows` x `per_row` seats and one upcoming show."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from boxoffice import db

BOOKING_TABLES = [
    "show_cancellation", "notification", "ticket", "booking", "payment", "show_seat", "reservation",
    "api_key", "app_user", "show_price", "show", "movie", "cinema_seat", "seat_category",
    "cinema_hall", "cinema", "postal_code", "city",
]


async def truncate_all() -> None:
    """Empty every table. Stragglers of the previous test (sibling resolvers that graphql-core
    abandoned after an error keep issuing queries for a moment) hold locks that TRUNCATE's
    ACCESS EXCLUSIVE queues behind: cancel their statements, end their idle transactions, and
    retry a few times while new stragglers drain."""
    for attempt in range(20):
        try:
            async with db.pool().acquire() as conn, conn.transaction():
                await conn.execute("SET LOCAL lock_timeout = '1s'")
                await conn.execute(
                    """SELECT CASE WHEN state LIKE 'idle in transaction%' OR $1
                                   THEN pg_terminate_backend(pid) ELSE pg_cancel_backend(pid) END
                       FROM pg_stat_activity
                       WHERE datname = current_database() AND pid <> pg_backend_pid()
                         AND state <> 'idle'""",
                    attempt > 0,  # a statement that ignores cancel (stuck sending) is ended
                )
                await conn.execute(
                    f"TRUNCATE {', '.join(BOOKING_TABLES)} RESTART IDENTITY CASCADE"
                )
            return
        except asyncpg.LockNotAvailableError:
            if attempt == 19:
                raise
            await asyncio.sleep(0.1)


@dataclass(frozen=True)
class ShowFixture:
    show_id: int
    labels: list[str]


async def make_show(rows: int = 10, per_row: int = 20, price: int = 20000,
                    starts_in_hours: int = 24, name: str = "Test") -> ShowFixture:
    """A show in a fresh hall; seats FREE, one price per row band (front rows cheaper)."""
    p = db.pool()
    city = await p.fetchval(
        """INSERT INTO city (name, lat, lng) VALUES ($1, 12.97, 77.59)
           ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id""",
        f"City {name}",
    )
    cinema = await p.fetchval(
        """INSERT INTO cinema (name, city, address, postal_code, lat, lng)
           VALUES ($1, $2, '', '560001', 12.97, 77.59) RETURNING id""",
        f"Cinema {name} {rows}x{per_row}", city,
    )
    hall = await p.fetchval("INSERT INTO cinema_hall (cinema, name) VALUES ($1, 'H1') RETURNING id",
                            cinema)
    category = await p.fetchval(
        "INSERT INTO seat_category (hall, name, rank) VALUES ($1, 'CLASSIC', 0) RETURNING id", hall
    )
    movie = await p.fetchval(
        """INSERT INTO movie (title, rating, duration_minutes, languages, genres)
           VALUES ($1, 8.0, 120, '{English}', '{Action}') RETURNING id""",
        f"Movie {name}",
    )
    total = rows * per_row
    show = await p.fetchval(
        """INSERT INTO show (movie, hall, cinema, starts_at, currency, total_seats, free_seats,
               seat_version)
           VALUES ($1, $2, $3, now() + make_interval(hours => $4), 'INR', $5, $5, 0)
           RETURNING id""",
        movie, hall, cinema, starts_in_hours, total,
    )
    labels: list[str] = []
    seat_rows = []
    for r in range(rows):
        row = chr(ord("A") + r)
        for n in range(1, per_row + 1):
            label = f"{row}-{n}"
            labels.append(label)
            seat_rows.append((hall, category, row, n, label, n, r))
    await p.executemany(
        """INSERT INTO cinema_seat (hall, category, row, number, label, x, y)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        seat_rows,
    )
    await p.execute(
        """INSERT INTO show_seat (show, cinema_seat, label, row, number, x, y, category, price,
               status)
           SELECT $1, id, label, row, number, x, y, 'CLASSIC', $2 + 1000 * y, 'FREE'
           FROM cinema_seat WHERE hall = $3""",
        show, price, hall,
    )
    return ShowFixture(show, labels)
