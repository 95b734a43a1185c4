"""Browse API over the demo catalog, sent as the front end's own operation documents."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from boxoffice import db
from devtools.seed import IST, today_ist

OPS = Path(__file__).resolve().parents[2] / "frontend_contract" / "operations"
SEARCH = (OPS / "Search.graphql").read_text()
SHOW = (OPS / "Show.graphql").read_text()
SEAT_MAP = (OPS / "SeatMap.graphql").read_text()
FORUM = {"lat": 12.9346, "lng": 77.6113}
ALL_SEATS = [f"{r}-{n}" for r in "ABCDEFGHIJ" for n in range(1, 21)]


async def search(api: Any, **input: Any) -> dict[str, Any]:
    data = await api(SEARCH, {"input": input})
    result: dict[str, Any] = data["search"]
    return result


async def search_error(api: Any, **input: Any) -> dict[str, Any]:
    body = await api.raw(SEARCH, {"input": input})
    assert body.get("data") is None, body
    error: dict[str, Any] = body["errors"][0]
    return error


async def all_pages(api: Any, **input: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """Walk every page; returns the nodes and the totalCount seen on each page."""
    nodes: list[dict[str, Any]] = []
    totals: list[int] = []
    after = None
    for _ in range(200):
        page = await search(api, **input, after=after)
        nodes += [e["node"] for e in page["edges"]]
        totals.append(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            assert page["edges"] == [] or page["pageInfo"]["endCursor"] == page["edges"][-1][
                "cursor"]
            return nodes, totals
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("pagination never ended")


async def test_cities_movies_cinemas(api: Any, demo: None) -> None:
    cities = (await api((OPS / "Cities.graphql").read_text()))["cities"]
    assert {"Bangalore", "Mumbai", "Delhi", "Chennai", "Hyderabad"} <= {c["name"] for c in cities}
    assert all(c["id"].isdigit() for c in cities)

    movies_op = (OPS / "Movies.graphql").read_text()
    everything = {m["title"] for m in (await api(movies_op))["movies"]}
    assert {"Marvel: Secret Wars", "Frozen Peaks", "Tiger's Shadow"} <= everything
    bangalore = (await api(movies_op, {"city": "bangalore"}))["movies"]
    titles = {m["title"] for m in bangalore}
    assert "Marvel: Secret Wars" in titles
    assert "Frozen Peaks" not in titles and "Tiger's Shadow" not in titles  # no shows there
    marvel = next(m for m in bangalore if m["title"] == "Marvel: Secret Wars")
    assert marvel["rating"] == 8.4 and marvel["durationMinutes"] == 150
    assert marvel["languages"] == ["English", "Hindi"] and "Action" in marvel["genres"]
    assert marvel["releaseDate"] == "2026-11-06"
    assert (await api(movies_op, {"city": "Atlantis"}))["movies"] == []

    cinemas_op = (OPS / "Cinemas.graphql").read_text()
    cinemas = (await api(cinemas_op, {"city": "Bangalore"}))["cinemas"]
    forum = next(c for c in cinemas if c["name"] == "PVR Forum")
    assert forum["city"] == "Bangalore" and forum["postalCode"] == "560095"
    assert (forum["lat"], forum["lng"]) == (12.9346, 77.6113)
    assert forum["halls"] == ["Screen 1", "Screen 2"]
    assert {c["city"] for c in cinemas} == {"Bangalore"} and len(cinemas) >= 5
    assert (await api(cinemas_op, {"city": "Atlantis"}))["cinemas"] == []


async def test_marvel_in_bangalore_has_a_free_forum_screen_1(api: Any, demo: None) -> None:
    nodes, _ = await all_pages(api, keyword="marvel", city="Bangalore", first=100)
    assert nodes and {n["movie"]["title"] for n in nodes} == {"Marvel: Secret Wars"}
    assert {n["cinema"]["city"] for n in nodes} == {"Bangalore"}
    forum = [n for n in nodes if n["cinema"]["name"] == "PVR Forum"]
    assert forum and all(n["distanceKm"] is None for n in nodes)

    show = None
    for node in forum:
        show = (await api(SHOW, {"id": node["showId"]}))["show"]
        if show["hallName"] == "Screen 1":
            break
    assert show is not None and show["hallName"] == "Screen 1"
    assert (show["totalSeats"], show["availableSeats"]) == (200, 200)
    assert show["movie"]["title"] == "Marvel: Secret Wars"
    assert show["cinema"]["name"] == "PVR Forum"
    assert datetime.fromisoformat(show["startsAt"]).tzinfo is not None

    seat_map = (await api(SEAT_MAP, {"showId": show["id"]}))["seatMap"]
    assert seat_map["showId"] == show["id"] and seat_map["version"] == 0
    assert (seat_map["free"], seat_map["held"], seat_map["booked"]) == (200, 0, 0)
    assert [s["label"] for s in seat_map["seats"]] == ALL_SEATS
    assert {s["status"] for s in seat_map["seats"]} == {"FREE"}
    seats = {s["label"]: s for s in seat_map["seats"]}
    assert (seats["A-1"]["category"], seats["A-1"]["price"]) == ("CLASSIC", 20000)
    assert (seats["H-3"]["category"], seats["H-3"]["price"]) == ("PRIME", 30000)
    assert (seats["J-12"]["row"], seats["J-12"]["number"]) == ("J", 12)
    assert (seats["J-12"]["category"], seats["J-12"]["currency"]) == ("RECLINER", "INR")
    assert seats["A-11"]["x"] - seats["A-10"]["x"] == 2  # the aisle


async def test_keyword_is_case_and_typo_tolerant(api: Any, demo: None) -> None:
    exact = await search(api, keyword="Marvel", first=100)
    assert exact["totalCount"] > 0
    for kw in ("MARVEL", "marvle", "  secret   wars ", "secrt wars"):
        page = await search(api, keyword=kw, first=100)
        assert page["totalCount"] == exact["totalCount"], kw
        assert {e["node"]["movie"]["title"] for e in page["edges"]} == {"Marvel: Secret Wars"}
    assert (await search(api, keyword="qwxzv"))["totalCount"] == 0
    assert (await search(api, keyword="100%_"))["totalCount"] == 0  # LIKE wildcards escaped


async def test_city_filter(api: Any, demo: None) -> None:
    nodes, _ = await all_pages(api, city="mumbai", first=50)
    assert nodes and {n["cinema"]["city"] for n in nodes} == {"Mumbai"}
    empty = await search(api, city="Atlantis")
    assert empty == {"totalCount": 0, "edges": [],
                     "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def test_near_sorted_by_distance_within_radius(api: Any, demo: None) -> None:
    nodes, _ = await all_pages(api, near=FORUM, radiusKm=10, sort="DISTANCE", first=100)
    distances = [n["distanceKm"] for n in nodes]
    assert distances == sorted(distances) and distances[0] == 0.0
    assert all(0 <= d <= 10 for d in distances)
    names = {n["cinema"]["name"] for n in nodes}
    assert {"PVR Forum", "INOX Garuda Mall", "Gopalan Cinemas", "PVR Soul Spirit"} <= names
    assert "PVR Orion Mall" not in names and "Cinepolis Nexus Shantiniketan" not in names
    # ties on distance (same cinema) fall back to showtime
    forum = [n["showtime"] for n in nodes if n["cinema"]["name"] == "PVR Forum"]
    assert forum == sorted(forum, key=datetime.fromisoformat)

    wider, _ = await all_pages(api, near=FORUM, radiusKm=11, sort="DISTANCE", first=100)
    assert "PVR Orion Mall" in {n["cinema"]["name"] for n in wider}


async def test_postal_code_uses_its_centroid(api: Any, demo: None) -> None:
    by_code, _ = await all_pages(api, postalCode="560095", radiusKm=10, sort="DISTANCE", first=100)
    assert by_code and all(n["distanceKm"] is not None and n["distanceKm"] <= 10 for n in by_code)
    forum = next(n for n in by_code if n["cinema"]["name"] == "PVR Forum")
    assert 0 < forum["distanceKm"] < 1  # the centroid is near, not on, the cinema
    default_radius = await search(api, postalCode="560095")  # radius defaults to 10 km
    assert default_radius["totalCount"] == len(by_code)

    error = await search_error(api, postalCode="000000")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "postalCode"}


async def test_radius_zero_is_that_spot_only(api: Any, demo: None) -> None:
    nodes, _ = await all_pages(api, near=FORUM, radiusKm=0, first=100)
    assert nodes and {n["cinema"]["name"] for n in nodes} == {"PVR Forum"}
    assert {n["distanceKm"] for n in nodes} == {0.0}
    nowhere = await search(api, near={"lat": 0.0, "lng": 0.0}, radiusKm=0)
    assert nowhere["totalCount"] == 0


async def test_datetime_filter(api: Any, demo: None) -> None:
    now = datetime.now(IST)
    upcoming, _ = await all_pages(api, city="Chennai", first=100)
    assert all(datetime.fromisoformat(n["showtime"]) >= now - timedelta(seconds=5)
               for n in upcoming)
    since = datetime.combine(today_ist() + timedelta(days=3), datetime.min.time(), IST)
    later, _ = await all_pages(api, city="Chennai", datetime=since.isoformat(), first=100)
    assert later and all(datetime.fromisoformat(n["showtime"]) >= since for n in later)
    assert len(later) < len(upcoming)
    # past shows are found when asked for
    earlier, _ = await all_pages(api, city="Chennai", first=100,
                                 datetime=(since - timedelta(days=10)).isoformat())
    assert len(earlier) >= len(upcoming)
    error = await search_error(api, datetime="2031-01-01T10:00:00")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "datetime"}


async def test_rating_sort_is_descending(api: Any, demo: None) -> None:
    nodes, _ = await all_pages(api, city="Bangalore", sort="RATING", first=37)
    ratings = [n["movie"]["rating"] for n in nodes]
    assert ratings == sorted(ratings, reverse=True) and len(set(ratings)) > 2
    keys = [(-n["movie"]["rating"], datetime.fromisoformat(n["showtime"]), int(n["showId"]))
            for n in nodes]
    assert keys == sorted(keys)


@pytest.mark.parametrize("sort", ["SHOWTIME", "RATING", "DISTANCE"])
async def test_pages_partition_the_results(api: Any, demo: None, sort: str) -> None:
    where: dict[str, Any] = {"near": {"lat": 19.0, "lng": 72.85}, "radiusKm": 50}  # Mumbai
    whole = await search(api, **where, sort=sort, first=100)
    assert not whole["pageInfo"]["hasNextPage"]
    nodes, totals = await all_pages(api, **where, sort=sort, first=7)
    ids = [n["showId"] for n in nodes]
    assert len(ids) == len(set(ids)) == whole["totalCount"] > 7  # no overlaps, none missing
    assert ids == [e["node"]["showId"] for e in whole["edges"]]  # same total order
    assert set(totals) == {whole["totalCount"]}
    # past the end: no rows, the total still right (counted separately)
    last = await search(api, **where, sort=sort, first=7)
    while last["pageInfo"]["hasNextPage"]:
        last = await search(api, **where, sort=sort, first=7, after=last["pageInfo"]["endCursor"])
    beyond = await search(api, **where, sort=sort, first=7, after=last["edges"][-1]["cursor"])
    assert beyond["edges"] == [] and beyond["totalCount"] == whole["totalCount"]


async def test_bad_search_input(api: Any, demo: None) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"first": 101}, "first"),
        ({"first": 0}, "first"),
        ({"first": -5}, "first"),
        ({"radiusKm": -1, "near": FORUM}, "radiusKm"),
        ({"radiusKm": 5}, "radiusKm"),
        ({"sort": "DISTANCE"}, "sort"),
        ({"near": {"lat": 91, "lng": 0}}, "near"),
        ({"near": FORUM, "postalCode": "560095"}, "postalCode"),
        ({"keyword": "x" * 101}, "keyword"),
        ({"after": "garbage"}, "after"),
        ({"city": "x" * 500}, "city"),
    ]
    for input, field in cases:
        error = await search_error(api, **input)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, input
    # a NUL never gets that far: the request's JSON is refused (HTTP 400, coded)
    error = await search_error(api, keyword="mar\x00vel")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert len((await search(api, first=100))["edges"]) == 100  # the cap itself is fine
    everywhere = await search(api, near=FORUM, radiusKm=1e300, first=1)  # clamped, same meaning
    assert everywhere["totalCount"] == (await search(api, first=1))["totalCount"]


async def test_cursors_are_tamper_proof_and_bound_to_their_search(api: Any, demo: None) -> None:
    page = await search(api, city="Bangalore", first=3)
    cursor = page["pageInfo"]["endCursor"]
    assert (await search(api, city="Bangalore", first=3, after=cursor))["edges"]
    flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    for bad in (flipped, cursor + "x", "e30." + cursor, cursor[::-1]):
        error = await search_error(api, city="Bangalore", first=3, after=bad)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    for other in ({"city": "Mumbai"}, {"city": "Bangalore", "sort": "RATING"},
                  {"city": "Bangalore", "keyword": "marvel"}):
        error = await search_error(api, **other, first=3, after=cursor)
        assert error["extensions"]["field"] == "after", other


async def test_unknown_and_malformed_ids(api: Any, demo: None) -> None:
    for bad in ("999999", "0", "-1", "abc", "1.5", "99999999999999999999", ""):
        assert (await api(SHOW, {"id": bad}))["show"] is None, bad
    body = await api.raw(SEAT_MAP, {"showId": "999999"})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await api.raw(SEAT_MAP, {"showId": "abc"})
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "showId"}


async def test_available_seats_is_the_maintained_counter(api: Any, demo: None) -> None:
    node = (await search(api, keyword="marvel", city="Bangalore", first=1))["edges"][0]["node"]
    await db.pool().execute("UPDATE show SET free_seats = 123 WHERE id = $1", int(node["showId"]))
    # popular searches are served from rendered answers for up to 0.5 s (the contract lets
    # availableSeats be ~2 s stale): ask until the counter shows, within that allowance
    deadline = asyncio.get_running_loop().time() + 2
    while True:
        again = (await search(api, keyword="marvel", city="Bangalore", first=1))["edges"][0]
        if again["node"]["availableSeats"] == 123 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert again["node"]["showId"] == node["showId"] and again["node"]["availableSeats"] == 123


@contextmanager
def count_queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement any asyncpg connection sends (prepared or simple), while active, except
    the reset the pool runs when a connection is released (one per query anyway)."""
    seen: list[str] = []
    real_execute = asyncpg.connection.Connection._execute
    real_simple = asyncpg.connection.Connection.execute

    async def _execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(query)
        return await real_execute(self, query, *args, **kwargs)

    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if not args and "RESET ALL" not in query:  # with args: counted in _execute
            seen.append(query)
        return await real_simple(self, query, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(asyncpg.connection.Connection, "_execute", _execute)
        m.setattr(asyncpg.connection.Connection, "execute", execute)
        yield seen


async def test_a_page_costs_a_fixed_number_of_queries(
    api: Any, demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    await search(api, first=1)  # warms the API-key cache
    counts = {}
    for first in (1, 20):
        with count_queries(monkeypatch) as seen:
            page = await search(api, city="Bangalore", first=first)
        assert len(page["edges"]) == first
        assert len({e["node"]["movie"]["id"] for e in page["edges"]}) > (first > 1)
        counts[first] = len(seen)
    # page with its total + one batch of movies + one batch of cinemas, whatever the page size
    assert counts == {1: 3, 20: 3}, counts
    with count_queries(monkeypatch) as seen:
        await search(api, first=20)  # unfiltered: the total is a separate, lean count
    assert len(seen) == 4
    with count_queries(monkeypatch) as seen:
        await api("query($i: SearchInput!) { search(input: $i) { edges { cursor } } }",
                  {"i": {"first": 20}})
    assert len(seen) == 1  # totalCount is only counted when asked for
    total = page["totalCount"]
    with count_queries(monkeypatch) as seen:
        data = await api("""query($i: SearchInput!) { search(input: $i) { ...T } }
                            fragment T on SearchConnection { ... on SearchConnection {
                              totalCount } }""", {"i": {"city": "Bangalore", "first": 5}})
    assert data["search"]["totalCount"] == total and len(seen) == 1
