"""Deterministic, idempotent catalogs: the demo (`seed_demo`) and a generated one (`seed_scale`).

Every row is keyed on its natural unique key (city name, postal code, cinema in city, hall in
cinema, seat label in hall, movie title, show = hall + start) and inserted only when missing,
with set-based `INSERT … SELECT … WHERE NOT EXISTS` (no sequence values burnt on re-runs), so a
second run changes nothing. Show times are whole half-hours in Asia/Kolkata counted from today's
date there. The demo keeps only the slots still ahead when it runs, so every show it makes is
upcoming at any hour (a later run's slots are a subset of an earlier one's the same day: it adds
nothing), and its days reach one further so a week of shows lies ahead even late in the day.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from boxoffice import db
from boxoffice.services.shows import ShowSpec, insert_shows

log = logging.getLogger(__name__)

IST = ZoneInfo("Asia/Kolkata")
PRICES = {"CLASSIC": 20000, "PRIME": 30000, "RECLINER": 50000}  # paise
CURRENCY = "INR"
STANDARD_BANDS = (("CLASSIC", 3), ("PRIME", 5), ("RECLINER", 2))  # rows per category, front first
SMALL_BANDS = (("CLASSIC", 2), ("PRIME", 2), ("RECLINER", 1))
AISLE_AFTER = 10  # seats right of this number sit one x further: the aisle is a gap in x


@dataclass(frozen=True)
class HallSpec:
    name: str
    seats_per_row: int = 8
    bands: tuple[tuple[str, int], ...] = SMALL_BANDS
    lineup: tuple[str, ...] = ()  # titles cycled over slots; empty = the default rotation


@dataclass(frozen=True)
class CinemaSpec:
    name: str
    city: str
    address: str
    postal_code: str
    lat: float
    lng: float
    halls: tuple[HallSpec, ...] = (HallSpec("Screen 1"),)


@dataclass(frozen=True)
class MovieSpec:
    title: str
    rating: float
    duration_minutes: int
    languages: tuple[str, ...]
    genres: tuple[str, ...]
    release_date: date | None = None


CITIES = [
    ("Bangalore", 12.9716, 77.5946),
    ("Mumbai", 19.0760, 72.8777),
    ("Delhi", 28.6139, 77.2090),
    ("Chennai", 13.0827, 80.2707),
    ("Hyderabad", 17.3850, 78.4867),
]

MARVEL = "Marvel: Secret Wars"
MOVIES = [
    MovieSpec(MARVEL, 8.4, 150, ("English", "Hindi"), ("Action", "Sci-Fi"), date(2026, 11, 6)),
    MovieSpec("Kantara: Chapter 2", 8.7, 155, ("Kannada", "Hindi", "Tamil"),
              ("Action", "Thriller")),
    MovieSpec("The Monsoon Letters", 7.9, 128, ("Hindi",), ("Drama", "Romance")),
    MovieSpec("Orbit of Silence", 7.2, 117, ("English",), ("Sci-Fi",)),
    MovieSpec("Paper Boats", 8.1, 102, ("Malayalam", "English"), ("Drama",)),
    MovieSpec("The Last Raga", 7.6, 133, ("Tamil", "Telugu"), ("Musical", "Drama")),
    MovieSpec("Night Shift at Nizam's", 6.8, 121, ("Telugu",), ("Thriller", "Mystery")),
    MovieSpec("Laughing Buddha Cafe", 7.0, 110, ("Hindi", "English"), ("Comedy",)),
    MovieSpec("Frozen Peaks", 7.4, 98, ("English",), ("Animation", "Family")),  # Mumbai only
    MovieSpec("Tiger's Shadow", 0.0, 140, ("Hindi",), ("Action",), date(2027, 1, 26)),  # no shows
]
ROTATION = [m.title for m in MOVIES[:8]]

_FORUM_SCREEN_1 = HallSpec("Screen 1", 20, STANDARD_BANDS, (MARVEL,))
CINEMAS = [
    # Bangalore: PVR Forum and neighbours; Orion (~10.4 km) and Whitefield (~13 km) lie outside
    # a 10 km circle around it, which the radius tests rely on.
    CinemaSpec("PVR Forum", "Bangalore", "Forum Mall, Hosur Road, Koramangala", "560095",
               12.9346, 77.6113, (_FORUM_SCREEN_1, HallSpec("Screen 2", 10))),
    CinemaSpec("INOX Garuda Mall", "Bangalore", "Magrath Road", "560025", 12.9702, 77.6099,
               (HallSpec("Audi 1"), HallSpec("Audi 2"))),
    CinemaSpec("Gopalan Cinemas", "Bangalore", "Bannerghatta Road", "560076", 12.8879, 77.5970),
    CinemaSpec("PVR Soul Spirit", "Bangalore", "Central Mall, Bellandur", "560103",
               12.9260, 77.6762),
    CinemaSpec("INOX Mantri Square", "Bangalore", "Sampige Road, Malleshwaram", "560003",
               12.9916, 77.5712),
    CinemaSpec("PVR Orion Mall", "Bangalore", "Dr Rajkumar Road, Rajajinagar", "560055",
               13.0111, 77.5550),
    CinemaSpec("Cinepolis Nexus Shantiniketan", "Bangalore", "Whitefield Main Road", "560048",
               12.9891, 77.7285),
    CinemaSpec("PVR Phoenix Palladium", "Mumbai", "Senapati Bapat Marg, Lower Parel", "400013",
               18.9949, 72.8258, (HallSpec("Screen 1", lineup=("Frozen Peaks", MARVEL)),)),
    CinemaSpec("INOX Nariman Point", "Mumbai", "Marine Drive", "400021", 18.9256, 72.8242),
    CinemaSpec("PVR Select Citywalk", "Delhi", "Saket District Centre", "110017", 28.5286, 77.2193),
    CinemaSpec("PVR Plaza", "Delhi", "H Block, Connaught Place", "110001", 28.6346, 77.2197),
    CinemaSpec("Palazzo Forum Vijaya", "Chennai", "Arcot Road, Vadapalani", "600026",
               13.0505, 80.2121),
    CinemaSpec("Sathyam Cinemas", "Chennai", "Thiru Vi Ka Road, Royapettah", "600014",
               13.0553, 80.2585),
    CinemaSpec("PVR Inorbit Cyberabad", "Hyderabad", "Inorbit Mall, Madhapur", "500081",
               17.4344, 78.3866),
    CinemaSpec("Prasads Multiplex", "Hyderabad", "NTR Marg, Khairatabad", "500063",
               17.4123, 78.4655),
]
# postal-code centroids (a little off each cinema, as real centroids are)
POSTAL_CODES = [(c.postal_code, c.city, round(c.lat + 0.0021, 4), round(c.lng - 0.0017, 4))
                for c in CINEMAS]

DEMO_DAYS = 8  # today (its slots still ahead) and the seven days after
DEMO_SLOTS = ((10, 0), (14, 0), (19, 0))  # small on purpose: every API test seeds afresh
SCALE_DAYS = 5
SCALE_SLOTS = ((9, 30), (12, 30), (15, 30), (18, 30), (21, 30))
_ADJECTIVES = ("Silent", "Crimson", "Last", "Hidden", "Golden", "Broken", "Midnight", "Electric")
_NOUNS = ("River", "Empire", "Monsoon", "Signal")


def hall_seats(spec: HallSpec) -> list[tuple[str, str, int, str, int, int]]:
    """(category, row, number, label, x, y) for every seat: rows from A at the front."""
    seats = []
    row_index = 0
    for category, n_rows in spec.bands:
        for _ in range(n_rows):
            row = chr(ord("A") + row_index)
            for number in range(1, spec.seats_per_row + 1):
                x = number + (1 if number > AISLE_AFTER else 0)
                seats.append((category, row, number, f"{row}-{number}", x, row_index))
            row_index += 1
    return seats


def schedule(start_day: date, days: int, slots: Iterable[tuple[int, int]]) -> list[datetime]:
    slots = list(slots)
    return [
        datetime.combine(start_day + timedelta(days=d), datetime.min.time(), IST).replace(
            hour=h, minute=m)
        for d in range(days)
        for h, m in slots
    ]


def today_ist() -> date:
    return datetime.now(IST).date()


async def seed_demo() -> None:
    """Load the demo catalog (idempotent)."""
    started = time.monotonic()
    async with db.pool().acquire() as conn, conn.transaction():
        cities = await upsert_cities(conn, CITIES)
        await upsert_postal_codes(conn, [(code, cities[city], lat, lng)
                                         for code, city, lat, lng in POSTAL_CODES])
        movies = await upsert_movies(conn, MOVIES)
        halls = await upsert_cinemas(conn, CINEMAS, cities)
        specs = []
        times = schedule(today_ist(), DEMO_DAYS, DEMO_SLOTS)
        now = datetime.now(IST)
        for k, (key, spec) in enumerate(halls.items()):
            r = k % len(ROTATION)
            lineup = spec.lineup or tuple(ROTATION[r:] + ROTATION[:r])
            offset = timedelta(minutes=30 * (k % 2))  # neighbouring halls start apart
            # only slots still ahead; the lineup is indexed over the whole schedule, so a show
            # plays the same movie whichever slots have passed
            specs += [ShowSpec(movies[lineup[i % len(lineup)]], key, t + offset)
                      for i, t in enumerate(times) if t + offset > now]
        created = await insert_shows(conn, specs, PRICES, CURRENCY, skip_existing=True)
    log.info("seed-demo: %d new shows in %.1fs", len(created), time.monotonic() - started)


async def seed_scale(n: int, *, chunk_shows: int = 500) -> None:
    """Add `n` generated cinemas ("Scale Cinema 0001"…), 2 halls of 200 seats each, and
    SCALE_DAYS * len(SCALE_SLOTS) shows per hall: n=100 gives 5,000 shows, 1,000,000 seats."""
    started = time.monotonic()
    async with db.pool().acquire() as conn, conn.transaction():
        cities = await upsert_cities(conn, CITIES)
        movie_specs = MOVIES[:9] + [
            MovieSpec(f"The {a} {b}", round(5.0 + (i * 37 % 45) / 10, 1), 90 + i * 7 % 70,
                      ("Hindi", "English"), ("Drama",))
            for i, (a, b) in enumerate((a, b) for a in _ADJECTIVES for b in _NOUNS)
        ]
        movies = await upsert_movies(conn, movie_specs)
        cinemas = [_scale_cinema(i, n) for i in range(1, n + 1)]
        await upsert_postal_codes(conn, [(c.postal_code, cities[c.city], c.lat, c.lng)
                                         for c in cinemas])
        halls = await upsert_cinemas(conn, cinemas, cities)
    titles = [m.title for m in movie_specs]
    times = schedule(today_ist(), SCALE_DAYS, SCALE_SLOTS)
    specs = [ShowSpec(movies[titles[(k * 7 + i * 3) % len(titles)]], hall, t)
             for k, hall in enumerate(halls) for i, t in enumerate(times)]
    created = 0
    for start in range(0, len(specs), chunk_shows):  # bounded transactions, visible progress
        async with db.pool().acquire() as conn, conn.transaction():
            created += len(await insert_shows(conn, specs[start:start + chunk_shows], PRICES,
                                              CURRENCY, skip_existing=True))
        log.info("seed-scale: %d/%d show specs", min(start + chunk_shows, len(specs)), len(specs))
    log.info("seed-scale: %d cinemas, %d new shows in %.1fs", n, created,
             time.monotonic() - started)


def _scale_cinema(i: int, n: int) -> CinemaSpec:
    """Cinema i of n: spread on a golden-angle spiral 1 to 15 km around its city's centre."""
    city, clat, clng = CITIES[i % len(CITIES)]
    angle = i * 2.399963
    r_km = 1.0 + 14.0 * math.sqrt((i % 97) / 97)
    lat = clat + r_km * math.cos(angle) / 111.2
    lng = clng + r_km * math.sin(angle) / (111.2 * math.cos(math.radians(clat)))
    halls = (HallSpec("Hall 1", 20, STANDARD_BANDS), HallSpec("Hall 2", 20, STANDARD_BANDS))
    return CinemaSpec(f"Scale Cinema {i:04d}", city, f"{i} Generated Road", f"S{i:05d}",
                      round(lat, 6), round(lng, 6), halls)


# --- set-based upserts keyed on natural keys -------------------------------------------------


async def upsert_cities(
    conn: asyncpg.Connection, rows: Sequence[tuple[str, float, float]]
) -> dict[str, int]:
    names, lats, lngs = _columns(rows, 3)
    await conn.execute(
        """INSERT INTO city (name, lat, lng)
           SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[]) AS t(name, lat, lng)
           WHERE NOT EXISTS (SELECT 1 FROM city c WHERE c.name = t.name)""",
        names, lats, lngs,
    )
    found = await conn.fetch("SELECT id, name FROM city WHERE name = ANY($1::text[])", names)
    return {r["name"]: r["id"] for r in found}


async def upsert_postal_codes(
    conn: asyncpg.Connection, rows: Sequence[tuple[str, int, float, float]]
) -> None:
    codes, cities, lats, lngs = _columns(rows, 4)
    await conn.execute(
        """INSERT INTO postal_code (code, city, lat, lng)
           SELECT DISTINCT ON (t.code) * FROM unnest($1::text[], $2::int[], $3::float8[],
                                                      $4::float8[]) AS t(code, city, lat, lng)
           WHERE NOT EXISTS (SELECT 1 FROM postal_code p WHERE p.code = t.code)""",
        codes, cities, lats, lngs,
    )


async def upsert_movies(conn: asyncpg.Connection, specs: Sequence[MovieSpec]) -> dict[str, int]:
    titles = [m.title for m in specs]
    # arrays of arrays cannot go through unnest: one row at a time (a few dozen movies)
    for m in specs:
        await conn.execute(
            """INSERT INTO movie (title, rating, duration_minutes, languages, genres, release_date)
               SELECT $1::text, $2, $3, $4, $5, $6
               WHERE NOT EXISTS (SELECT 1 FROM movie WHERE title = $1::text)""",
            m.title, m.rating, m.duration_minutes, list(m.languages), list(m.genres),
            m.release_date,
        )
    found = await conn.fetch(
        "SELECT min(id) AS id, title FROM movie WHERE title = ANY($1::text[]) GROUP BY title",
        titles,
    )
    return {r["title"]: r["id"] for r in found}


async def upsert_cinemas(
    conn: asyncpg.Connection, specs: Sequence[CinemaSpec], cities: dict[str, int]
) -> dict[int, HallSpec]:
    """Cinemas, their halls, seat categories and seats; returns hall id → spec, in spec order."""
    cols = _columns([(cities[c.city], c.name, c.address, c.postal_code, c.lat, c.lng)
                     for c in specs], 6)
    await conn.execute(
        """INSERT INTO cinema (city, name, address, postal_code, lat, lng)
           SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::float8[],
                                $6::float8[]) AS t(city, name, address, postal_code, lat, lng)
           WHERE NOT EXISTS (SELECT 1 FROM cinema c WHERE c.city = t.city AND c.name = t.name)""",
        *cols,
    )
    found = await conn.fetch(
        """SELECT c.id, c.city, c.name FROM cinema c
           JOIN unnest($1::int[], $2::text[]) AS t(city, name)
             ON c.city = t.city AND c.name = t.name
        """,
        cols[0], cols[1],
    )
    cinema_ids = {(r["city"], r["name"]): r["id"] for r in found}
    hall_rows = [(cinema_ids[(cities[c.city], c.name)], h) for c in specs for h in c.halls]
    await conn.execute(
        """INSERT INTO cinema_hall (cinema, name)
           SELECT * FROM unnest($1::int[], $2::text[]) AS t(cinema, name)
           WHERE NOT EXISTS (
               SELECT 1 FROM cinema_hall h WHERE h.cinema = t.cinema AND h.name = t.name)""",
        [c for c, _ in hall_rows], [h.name for _, h in hall_rows],
    )
    found = await conn.fetch(
        """SELECT h.id, h.cinema, h.name FROM cinema_hall h
           JOIN unnest($1::int[], $2::text[]) AS t(cinema, name)
             ON h.cinema = t.cinema AND h.name = t.name""",
        [c for c, _ in hall_rows], [h.name for _, h in hall_rows],
    )
    hall_ids = {(r["cinema"], r["name"]): r["id"] for r in found}
    halls = {hall_ids[(c, h.name)]: h for c, h in hall_rows}
    await _upsert_seats(conn, halls)
    return halls


async def _upsert_seats(conn: asyncpg.Connection, halls: dict[int, HallSpec]) -> None:
    cats = [(hall, name, rank) for hall, spec in halls.items()
            for rank, (name, _) in enumerate(spec.bands)]
    await conn.execute(
        """INSERT INTO seat_category (hall, name, rank)
           SELECT * FROM unnest($1::int[], $2::text[], $3::int[]) AS t(hall, name, rank)
           WHERE NOT EXISTS (
               SELECT 1 FROM seat_category s WHERE s.hall = t.hall AND s.name = t.name)""",
        *_columns(cats, 3),
    )
    seats = [(hall, *seat) for hall, spec in halls.items() for seat in hall_seats(spec)]
    await conn.execute(
        """INSERT INTO cinema_seat (hall, category, row, number, label, x, y)
           SELECT t.hall, sc.id, t.row, t.number, t.label, t.x, t.y
           FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[],
                       $7::int[]) AS t(hall, category, row, number, label, x, y)
           JOIN seat_category sc ON sc.hall = t.hall AND sc.name = t.category
           WHERE NOT EXISTS (
               SELECT 1 FROM cinema_seat cs WHERE cs.hall = t.hall AND cs.label = t.label)""",
        *_columns(seats, 7),
    )


def _columns(rows: Sequence[tuple[object, ...]], width: int) -> list[list[object]]:
    """Rows to column lists, for `unnest($1::…[], $2::…[], …)`."""
    return [[r[i] for r in rows] for i in range(width)]
