"""Small, explicit test data: a hall of `rows` x `per_row` seats and one upcoming show."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg

from boxoffice import db

BOOKING_TABLES = [
    "show_cancellation", "notification", "ticket", "booking", "payment", "show_seat", "reservation",
    "api_key", "app_user", "show_price", "show", "movie", "cinema_seat", "seat_category",
    "cinema_hall", "cinema", "postal_code", "city",
]


class LeakedSession(AssertionError):
    """A session of this process's own pool was still busy after a test: a leaked transaction
    or a task that outlived its request. The message names the query."""


def own_backend_pids() -> list[int]:
    """Server pids of the connections this process's pool holds (asyncpg keeps them in
    `_holders`; there is no public accessor)."""
    pids = []
    for holder in db.pool()._holders:
        con = holder._con
        if con is not None and not con.is_closed():
            pids.append(con.get_server_pid())
    return pids


async def busy_own_sessions() -> list[asyncpg.Record]:
    return await db.pool().fetch(
        """SELECT pid, state, left(query, 300) AS query,
                  round(extract(epoch FROM now() - state_change)::numeric, 2) AS seconds
           FROM pg_stat_activity
           WHERE pid = ANY($1::int[]) AND pid <> pg_backend_pid() AND state <> 'idle'""",
        own_backend_pids(),
    )


async def assert_no_leaked_sessions(grace_seconds: float = 2.0) -> None:
    """Fail when a session of our own pool is still busy (active, or idle in a transaction)
    `grace_seconds` after a test ended. Never ends anyone's session: a leak must be seen."""
    deadline = time.monotonic() + grace_seconds
    while busy := await busy_own_sessions():
        if time.monotonic() > deadline:
            raise LeakedSession("sessions of this process's pool still busy after the test: "
                                + "; ".join(f"pid {r['pid']} {r['state']} for {r['seconds']} s: "
                                            f"{r['query']!r}" for r in busy))
        await asyncio.sleep(0.05)


async def truncate_all() -> None:
    """Empty every table. Only truncates: our own pool must be quiet (else LeakedSession);
    other processes of the test run (uvicorn servers, workers) finish their short statements
    while TRUNCATE waits for its locks, and a holder that never lets go is named."""
    await assert_no_leaked_sessions()
    for attempt in range(20):
        try:
            async with db.pool().acquire() as conn, conn.transaction():
                await conn.execute("SET LOCAL lock_timeout = '1s'")
                await conn.execute(
                    f"TRUNCATE {', '.join(BOOKING_TABLES)} RESTART IDENTITY CASCADE"
                )
            return
        except asyncpg.LockNotAvailableError:
            if attempt == 19:
                blockers = await db.pool().fetch(
                    """SELECT pid, state, application_name, left(query, 300) AS query
                       FROM pg_stat_activity WHERE datname = current_database()
                         AND pid <> pg_backend_pid() AND state <> 'idle'""")
                raise LeakedSession("TRUNCATE could not get its locks in 20 s; busy: " + "; ".join(
                    f"pid {r['pid']} {r['state']}: {r['query']!r}" for r in blockers)) from None
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
