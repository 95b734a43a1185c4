"""`boxoffice import`: the contract's catalog file, against real Postgres (and the API for search
and holds). The console script itself is exercised in tests/test_import_cli.py."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from boxoffice import db
from boxoffice.catalog_import import (
    CatalogConflict,
    CatalogFileError,
    import_catalog,
    parse_catalog,
)
from tests.api.booking_ops import RESERVE
from tests.api.test_browse import search

CATALOG_TABLES = ["city", "postal_code", "movie", "cinema", "cinema_hall", "seat_category",
                  "cinema_seat", "show", "show_price", "show_seat"]


def future(days: int, hour: int = 9) -> str:
    day = (datetime.now().date() + timedelta(days=days)).isoformat()
    return f"{day}T{hour:02d}:00:00+05:30"


def catalog() -> dict[str, Any]:
    """The contract's example, grown a little: two halls, two shows, two cities."""
    return {
        "cities": [{"id": "blr", "name": "Bangalore"}, {"id": "mum", "name": "Mumbai"}],
        "movies": [{"id": "sw", "title": "Marvel: Secret Wars", "rating": 8.7,
                    "durationMinutes": 150, "languages": ["English"], "genres": ["Action"]},
                   {"id": "kt", "title": "Kantara", "rating": 8.1, "durationMinutes": 155,
                    "languages": ["Kannada", "Hindi"], "genres": ["Drama"]}],
        "cinemas": [{"id": "pvr-forum", "city": "blr", "name": "PVR Forum",
                     "postalCode": "560095", "lat": 12.9346, "lng": 77.6113,
                     "halls": [{"id": "s1", "name": "Screen 1",
                                "rows": [{"row": "A", "seats": 20, "category": "CLASSIC",
                                          "price": 20000},
                                         {"row": "B", "seats": 10, "category": "RECLINER",
                                          "price": 50000}]},
                               {"id": "s2", "name": "Screen 2",
                                "rows": [{"row": "A", "seats": 8, "category": "CLASSIC",
                                          "price": 15000}]}]}],
        "shows": [{"id": "sw-0900", "movie": "sw", "cinema": "pvr-forum", "hall": "s1",
                   "startsAt": future(3), "onSaleAt": None, "currency": "INR"},
                  {"id": "kt-1900", "movie": "kt", "cinema": "pvr-forum", "hall": "s2",
                   "startsAt": future(3, 19), "onSaleAt": future(1, 10), "currency": "INR"}],
    }


async def load(data: dict[str, Any]) -> dict[str, int]:
    report = await import_catalog(parse_catalog(json.dumps(data)))
    return dict(report.shows)


async def snapshot() -> dict[str, list[Any]]:
    """Every catalog row with its xmin: any write, even of equal values, changes it."""
    out = {}
    for table in CATALOG_TABLES:
        rows = await db.pool().fetch(f"SELECT xmin::text AS xmin, * FROM {table} ORDER BY id")
        out[table] = [tuple(r.values()) for r in rows]
    return out


async def test_import_then_search_finds_the_shows(api: Any) -> None:
    ids = await load(catalog())
    assert set(ids) == {"sw-0900", "kt-1900"}
    page = await search(api, keyword="marvel", city="Bangalore")
    assert [e["node"]["showId"] for e in page["edges"]] == [str(ids["sw-0900"])]
    node = page["edges"][0]["node"]
    assert node["availableSeats"] == 30
    assert node["cinema"]["name"] == "PVR Forum" and node["cinema"]["postalCode"] == "560095"
    assert node["movie"]["languages"] == ["English"] and node["movie"]["durationMinutes"] == 150
    near = await search(api, postalCode="560095", sort="DISTANCE")
    assert {e["node"]["showId"] for e in near["edges"]} == {str(i) for i in ids.values()}

    show = await db.pool().fetchrow(
        "SELECT total_seats, free_seats, on_sale_at, currency FROM show WHERE id = $1",
        ids["kt-1900"])
    assert (show["total_seats"], show["free_seats"], show["currency"]) == (8, 8, "INR")
    assert show["on_sale_at"] == datetime.fromisoformat(future(1, 10))
    seats = await db.pool().fetch(
        "SELECT label, category, price, status FROM show_seat WHERE show = $1 ORDER BY id",
        ids["sw-0900"])
    assert len(seats) == 30
    by_label = {s["label"]: s for s in seats}
    assert (by_label["A-20"]["category"], by_label["A-20"]["price"]) == ("CLASSIC", 20000)
    assert (by_label["B-10"]["category"], by_label["B-10"]["price"]) == ("RECLINER", 50000)
    assert {s["status"] for s in seats} == {"FREE"}
    city = await db.pool().fetchrow("SELECT lat, lng FROM city WHERE source_id = 'blr'")
    assert (city["lat"], city["lng"]) == (12.9346, 77.6113)  # its cinemas' mean
    mumbai = await db.pool().fetchrow("SELECT lat, lng FROM city WHERE source_id = 'mum'")
    assert (mumbai["lat"], mumbai["lng"]) == (None, None)  # no cinema: position unknown


async def test_reimport_changes_nothing(clean: None) -> None:
    first = await load(catalog())
    before = await snapshot()
    seq_before = await db.pool().fetchval("SELECT last_value FROM show_id_seq")
    assert await load(catalog()) == first
    assert await snapshot() == before
    assert await db.pool().fetchval("SELECT last_value FROM show_id_seq") == seq_before


async def test_adding_shows_keeps_the_existing_ones(clean: None) -> None:
    first = await load(catalog())
    data = catalog()
    data["shows"].append({"id": "sw-2100", "movie": "sw", "cinema": "pvr-forum", "hall": "s1",
                          "startsAt": future(3, 21), "currency": "INR"})
    second = await load(data)
    assert {k: second[k] for k in first} == first and second["sw-2100"] not in first.values()
    assert await db.pool().fetchval("SELECT count(*) FROM show") == 3


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["shows"][1].update(hall="s9"),
     'shows[1].hall: unknown hall "s9" of cinema "pvr-forum"'),
    (lambda d: d["shows"][0].update(movie="nope"), 'shows[0].movie: unknown movie "nope"'),
    (lambda d: d["shows"][1].update(startsAt="2026-12-01T09:00:00"),
     'shows[1].startsAt: Input should have timezone info (got "2026-12-01T09:00:00")'),
    (lambda d: d["cinemas"][0]["halls"][0]["rows"][1].update(price="500"),
     'cinemas[0].halls[0].rows[1].price: Input should be a valid integer (got "500")'),
    (lambda d: d["cinemas"][0]["halls"][0]["rows"][1].update(category="CLASSIC"),
     'cinemas[0].halls[0].rows[1].price: category "CLASSIC" costs 20000 in row "A" and 50000 '
     "here (one price per category and hall)"),
    (lambda d: d["cinemas"][0].update(city="del"), 'cinemas[0].city: unknown city "del"'),
    (lambda d: d["movies"][1].pop("durationMinutes"), "movies[1].durationMinutes: Field required"),
    (lambda d: d["movies"][0].update(rating=11), "movies[0].rating: Input should be less than "
                                                 "or equal to 10 (got 11)"),
    (lambda d: d["shows"].append(dict(d["shows"][0])),
     'shows[2].id: duplicate id "sw-0900" (also shows[0])'),
    (lambda d: d["shows"][1].update(currency="rupees"),
     'shows[1].currency: must be an ISO 4217 currency code such as INR (got "rupees")'),
    (lambda d: d["shows"][0].update(onSaleAt=future(5)), "shows[0].onSaleAt: after the show "
                                                         "starts"),
    (lambda d: d["cities"][1].update(population=3), "cities[1].population: Extra inputs are "
                                                    "not permitted (got 3)"),
])
async def test_bad_file_names_the_first_bad_entry_and_changes_nothing(
        clean: None, mutate: Any, message: str) -> None:
    await load(catalog())
    before = await snapshot()
    bad = catalog()
    bad["cities"][0]["name"] = "Bengaluru"  # a valid change earlier in the file: not applied
    mutate(bad)
    with pytest.raises(CatalogFileError) as caught:
        await load(bad)
    assert str(caught.value) == message
    assert await snapshot() == before


def test_malformed_json_names_line_and_column() -> None:
    with pytest.raises(CatalogFileError, match=r"not valid JSON: .* at line 2 column"):
        parse_catalog('{"cities": [\n  {"id": "x",, }]}')


async def test_changed_time_without_holds_is_updated_in_place(clean: None) -> None:
    ids = await load(catalog())
    data = catalog()
    data["shows"][0]["startsAt"] = future(4, 10)
    data["shows"][0]["onSaleAt"] = future(2)
    assert await load(data) == ids
    row = await db.pool().fetchrow("SELECT starts_at, on_sale_at FROM show WHERE id = $1",
                                   ids["sw-0900"])
    assert row["starts_at"] == datetime.fromisoformat(future(4, 10))
    assert row["on_sale_at"] == datetime.fromisoformat(future(2))


async def hold(api: Any, show_id: int, seats: list[str]) -> None:
    token = await api.token("fan@example.com")
    data = await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}}, token=token)
    assert data["reserve"]["__typename"] == "Reservation", data


async def test_changed_time_with_a_hold_is_refused_and_nothing_changes(api: Any) -> None:
    ids = await load(catalog())
    await hold(api, ids["sw-0900"], ["A-1"])
    before = await snapshot()
    data = catalog()
    data["cities"][0]["name"] = "Bengaluru"
    data["shows"][1]["startsAt"] = future(5)  # no holds: would be fine on its own
    data["shows"][0]["startsAt"] = future(4)
    with pytest.raises(CatalogConflict) as caught:
        await load(data)
    assert str(caught.value) == (f'shows[0].startsAt: show "sw-0900" (ID {ids["sw-0900"]}) has '
                                 "holds or bookings, so its startsAt cannot change")
    assert await snapshot() == before
    # onSaleAt is not guarded, and the unchanged file still imports
    data = catalog()
    data["shows"][0]["onSaleAt"] = future(1)
    assert await load(data) == ids


async def test_changed_hall_reseats_an_idle_show(api: Any) -> None:
    ids = await load(catalog())
    data = catalog()
    data["shows"][0]["hall"] = "s2"
    await load(data)
    row = await db.pool().fetchrow("SELECT hall, total_seats, free_seats FROM show WHERE id = $1",
                                   ids["sw-0900"])
    assert (row["total_seats"], row["free_seats"]) == (8, 8)
    labels = await db.pool().fetch("SELECT label, price FROM show_seat WHERE show = $1",
                                   ids["sw-0900"])
    assert sorted(r["label"] for r in labels) == [f"A-{n}" for n in range(1, 9)]
    assert {r["price"] for r in labels} == {15000}
    await hold(api, ids["sw-0900"], ["A-3"])  # the new seats work for booking
    data["shows"][0]["hall"] = "s1"
    with pytest.raises(CatalogConflict, match=r'^shows\[0\]\.hall: show "sw-0900"'):
        await load(data)


async def test_changed_layout_and_prices_reseat_idle_shows_only(api: Any) -> None:
    ids = await load(catalog())
    data = catalog()
    data["shows"][1]["onSaleAt"] = None  # on sale now, so a fan can hold a seat below
    data["cinemas"][0]["halls"][1]["rows"].append(
        {"row": "B", "seats": 4, "category": "PRIME", "price": 30000})
    await load(data)
    seats = await db.pool().fetch("SELECT label, price FROM show_seat WHERE show = $1",
                                  ids["kt-1900"])
    assert len(seats) == 12 and {r["price"] for r in seats} == {15000, 30000}
    assert await db.pool().fetchval("SELECT total_seats FROM show WHERE id = $1",
                                    ids["kt-1900"]) == 12
    await hold(api, ids["kt-1900"], ["B-4"])
    data["cinemas"][0]["halls"][1]["rows"][1]["price"] = 35000
    with pytest.raises(CatalogConflict, match=r'^shows\[1\]\.hall: show "kt-1900" .* its '
                                              r"hall's prices cannot change"):
        await load(data)
    data["cinemas"][0]["halls"][1]["rows"][1].update(price=30000, seats=5)
    with pytest.raises(CatalogConflict, match=r'^shows\[1\]\.hall: show "kt-1900" .* its '
                                              r"hall's seat layout cannot change"):
        await load(data)
    # without that show in the file, the hall is refitted and the held show keeps its seats
    data["shows"] = [data["shows"][0], {
        "id": "kt-2200", "movie": "kt", "cinema": "pvr-forum", "hall": "s2",
        "startsAt": future(3, 22), "currency": "INR"}]
    data["cinemas"][0]["halls"][1]["rows"] = [
        {"row": "A", "seats": 6, "category": "CLASSIC", "price": 15000},
        {"row": "B", "seats": 5, "category": "PRIME", "price": 30000}]
    new = (await load(data))["kt-2200"]
    old_seats = await db.pool().fetch("SELECT label, status FROM show_seat WHERE show = $1",
                                      ids["kt-1900"])
    assert len(old_seats) == 12 and {r["label"]: r["status"] for r in old_seats}["B-4"] == "HELD"
    new_seats = await db.pool().fetch("SELECT label FROM show_seat WHERE show = $1", new)
    assert sorted(r["label"] for r in new_seats) == sorted(
        [f"A-{n}" for n in range(1, 7)] + [f"B-{n}" for n in range(1, 6)])
    assert await db.pool().fetchval("SELECT total_seats FROM show WHERE id = $1", new) == 11


async def test_adopts_the_demo_catalog_by_name_and_leaves_its_shows_alone(api: Any) -> None:
    from devtools.seed import seed_demo

    await seed_demo()
    tables = ("city", "cinema", "cinema_hall")
    counts = {t: await db.pool().fetchval(f"SELECT count(*) FROM {t}") for t in tables}
    forum = await db.pool().fetchval("SELECT id FROM cinema WHERE name = 'PVR Forum'")
    demo_show = await db.pool().fetchval(
        """SELECT s.id FROM show s JOIN cinema_hall h ON h.id = s.hall
           WHERE h.cinema = $1 AND h.name = 'Screen 1' AND s.starts_at > now()
           ORDER BY s.starts_at LIMIT 1""", forum)
    await hold(api, demo_show, ["J-20"])  # a fan holds a seat the file's layout does not have
    before = await db.pool().fetch("SELECT * FROM show_seat WHERE show = $1 ORDER BY id",
                                   demo_show)
    ids = await load(catalog())  # PVR Forum's Screen 1 becomes 2 rows: a refit
    assert await db.pool().fetchval("SELECT source_id FROM cinema WHERE id = $1",
                                    forum) == "pvr-forum"
    assert {t: await db.pool().fetchval(f"SELECT count(*) FROM {t}") for t in tables} == counts
    after = await db.pool().fetch("SELECT * FROM show_seat WHERE show = $1 ORDER BY id",
                                  demo_show)
    assert after == before  # the demo's show is untouched, its hold included
    labels = await db.pool().fetch("SELECT label FROM show_seat WHERE show = $1",
                                   ids["sw-0900"])
    assert len(labels) == 30 and "J-20" not in {r["label"] for r in labels}


async def test_a_name_taken_by_another_entry_is_named(clean: None) -> None:
    await load(catalog())
    other = copy.deepcopy(catalog())
    other["cities"] = [{"id": "bengaluru", "name": "Bangalore"}]
    other["cinemas"][0]["city"] = "bengaluru"
    other["cinemas"][0]["id"] = "forum-2"
    for show in other["shows"]:
        show["cinema"] = "forum-2"
    with pytest.raises(CatalogConflict,
                       match=r'^cities\[0\]\.name: "Bangalore" already names city "blr"$'):
        await load(other)


async def test_a_hall_name_taken_by_another_hall_is_named(clean: None) -> None:
    await load(catalog())
    other = catalog()
    other["cinemas"][0]["halls"][1]["id"] = "screen-2"  # a new id for an existing name
    for show in other["shows"]:
        show["hall"] = "screen-2" if show["hall"] == "s2" else show["hall"]
    with pytest.raises(CatalogConflict, match=r'^cinemas\[0\]\.halls\[1\]\.name: "Screen 2" '
                                              r'already names hall "s2" of cinema "pvr-forum"$'):
        await load(other)


def test_numeric_ids_are_taken_as_text() -> None:
    data = catalog()
    data["movies"][0]["id"] = 7
    data["shows"][0]["movie"] = 7
    parsed = parse_catalog(json.dumps(data))
    assert parsed.movies[0].id == parsed.shows[0].movie == "7"
    data["shows"][0]["movie"] = True
    with pytest.raises(CatalogFileError, match=r"^shows\[0\]\.movie: Input should be a valid "
                                               r"string \(got True\)$"):
        parse_catalog(json.dumps(data))
