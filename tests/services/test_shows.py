"""create_show and the seeds: every seat FREE, counters right, re-runs change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boxoffice import db
from boxoffice.services.shows import ShowSpecError, create_show
from devtools.seed import MARVEL, PRICES, seed_demo, seed_scale

CATALOG_TABLES = ["city", "postal_code", "cinema", "cinema_hall", "seat_category", "cinema_seat",
                  "movie", "show", "show_price", "show_seat"]


async def _forum_screen_1() -> tuple[int, int]:
    row = await db.pool().fetchrow(
        """SELECT h.id AS hall, m.id AS movie FROM cinema_hall h
           JOIN cinema c ON c.id = h.cinema, movie m
           WHERE c.name = 'PVR Forum' AND h.name = 'Screen 1' AND m.title = $1""", MARVEL)
    assert row is not None
    return row["hall"], row["movie"]


async def _counts() -> dict[str, int]:
    return {t: await db.pool().fetchval(f"SELECT count(*) FROM {t}") for t in CATALOG_TABLES}


async def test_create_show_makes_every_seat_free(demo: None) -> None:
    hall, movie = await _forum_screen_1()
    starts = datetime(2031, 1, 1, 13, 30, tzinfo=UTC)
    show_id = await create_show(movie, hall, starts, PRICES, "INR")

    show = await db.pool().fetchrow("SELECT * FROM show WHERE id = $1", show_id)
    assert (show["total_seats"], show["free_seats"], show["seat_version"]) == (200, 200, 0)
    assert show["starts_at"] == starts and show["currency"] == "INR"
    assert show["cinema"] == await db.pool().fetchval(
        "SELECT cinema FROM cinema_hall WHERE id = $1", hall)
    seats = await db.pool().fetch(
        "SELECT label, status, price, category, reservation FROM show_seat WHERE show = $1"
        " ORDER BY row, number", show_id)
    assert [s["label"] for s in seats] == [f"{r}-{n}" for r in "ABCDEFGHIJ" for n in range(1, 21)]
    assert {s["status"] for s in seats} == {"FREE"}
    assert all(s["reservation"] is None for s in seats)
    by_label = {s["label"]: (s["category"], s["price"]) for s in seats}
    assert by_label["A-1"] == ("CLASSIC", 20000)
    assert by_label["E-7"] == ("PRIME", 30000)
    assert by_label["J-20"] == ("RECLINER", 50000)
    assert await db.pool().fetchval(
        "SELECT count(*) FROM show_price WHERE show = $1", show_id) == 3


async def test_create_show_is_all_or_nothing(demo: None) -> None:
    hall, movie = await _forum_screen_1()
    before = await _counts()
    starts = datetime.now(UTC) + timedelta(days=30)
    with pytest.raises(ShowSpecError, match="RECLINER"):
        await create_show(movie, hall, starts, {"CLASSIC": 1, "PRIME": 2}, "INR")
    with pytest.raises(ShowSpecError):
        await create_show(movie, hall, starts.replace(tzinfo=None), PRICES, "INR")
    with pytest.raises(ShowSpecError):
        await create_show(movie, 10**9, starts, PRICES, "INR")
    with pytest.raises(ShowSpecError):
        await create_show(10**9, hall, starts, PRICES, "INR")
    with pytest.raises(ShowSpecError):
        await create_show(movie, hall, starts, {**PRICES, "PRIME": -5}, "INR")
    assert await _counts() == before


async def test_seed_demo_twice_changes_nothing(demo: None) -> None:
    first = await _counts()
    assert first["city"] >= 5 and first["show"] > 0
    snapshot = await db.pool().fetch(
        "SELECT id, movie, hall, starts_at, free_seats FROM show ORDER BY id")
    await seed_demo()
    assert await _counts() == first
    assert await db.pool().fetch(
        "SELECT id, movie, hall, starts_at, free_seats FROM show ORDER BY id") == snapshot


async def test_seed_demo_catalog_shape(demo: None) -> None:
    cities = {r["name"] for r in await db.pool().fetch("SELECT name FROM city")}
    assert {"Bangalore", "Mumbai", "Delhi", "Chennai", "Hyderabad"} <= cities
    # every cinema's postal code has a centroid
    assert await db.pool().fetchval(
        """SELECT count(*) FROM cinema c
           WHERE NOT EXISTS (SELECT 1 FROM postal_code p WHERE p.code = c.postal_code)""") == 0
    forum = await db.pool().fetchrow("SELECT * FROM cinema WHERE name = 'PVR Forum'")
    assert (forum["lat"], forum["lng"], forum["postal_code"]) == (12.9346, 77.6113, "560095")
    hall, movie = await _forum_screen_1()
    assert await db.pool().fetchval("SELECT count(*) FROM cinema_seat WHERE hall = $1", hall) == 200
    upcoming = await db.pool().fetchval(
        "SELECT count(*) FROM show WHERE hall = $1 AND movie = $2 AND starts_at > now()",
        hall, movie)
    assert upcoming > 0
    # every demo show is still ahead, whatever the hour the seed ran (examples pick the next one)
    assert await db.pool().fetchval("SELECT count(*) FROM show WHERE starts_at <= now()") == 0
    # shows span the next week, on whole half-hours
    span = await db.pool().fetchrow(
        """SELECT max(starts_at) - min(starts_at) AS span,
                  bool_and(extract(minute FROM starts_at)::int % 30 = 0) AS aligned FROM show""")
    assert span["span"] >= timedelta(days=6) and span["aligned"]


async def test_seed_scale_is_idempotent(clean: None) -> None:
    await seed_scale(2)
    first = await _counts()
    assert first["cinema"] == 2 and first["cinema_hall"] == 4
    assert first["show"] == 4 * 25 and first["show_seat"] == 4 * 25 * 200
    await seed_scale(2)
    assert await _counts() == first
    names = [r["name"] for r in await db.pool().fetch("SELECT name FROM cinema ORDER BY name")]
    assert names == ["Scale Cinema 0001", "Scale Cinema 0002"]
