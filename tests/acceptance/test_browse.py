"""Browse: cities, movies, cinemas, search (every filter, sort, pagination), show, seatMap."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tests.acceptance import ops
from tests.acceptance.conftest import World
from tests.acceptance.support import Api

FORUM = {"lat": 12.9346, "lng": 77.6113}  # PVR Forum, Bangalore (demo catalog)


async def search(api: Api, **input: object) -> dict:
    return (await api(ops.SEARCH, {"input": input}))["search"]


async def test_cities_with_the_api_key_only(api: Api) -> None:
    cities = (await api(ops.CITIES))["cities"]
    assert {"Bangalore", "Mumbai", "Delhi", "Chennai", "Hyderabad"} <= {c["name"] for c in cities}
    assert all(c["id"] for c in cities)


async def test_movies_all_and_by_city(api: Api) -> None:
    every = (await api(ops.MOVIES))["movies"]
    assert {"Marvel: Secret Wars", "Frozen Peaks"} <= {m["title"] for m in every}
    marvel = next(m for m in every if m["title"] == "Marvel: Secret Wars")
    assert isinstance(marvel["rating"], float) and marvel["durationMinutes"] > 0
    assert marvel["languages"] and marvel["genres"]
    mumbai = {m["title"] for m in (await api(ops.MOVIES, {"city": "Mumbai"}))["movies"]}
    bangalore = {m["title"] for m in (await api(ops.MOVIES, {"city": "Bangalore"}))["movies"]}
    assert "Frozen Peaks" in mumbai and "Frozen Peaks" not in bangalore


async def test_cinemas_of_a_city(api: Api) -> None:
    cinemas = (await api(ops.CINEMAS, {"city": "Bangalore"}))["cinemas"]
    assert "PVR Forum" in {c["name"] for c in cinemas}
    for c in cinemas:
        assert c["city"] == "Bangalore" and c["postalCode"] and c["halls"]
        assert isinstance(c["lat"], float) and isinstance(c["lng"], float)


async def test_search_keyword_is_case_insensitive_fragment(api: Api) -> None:
    found = await search(api, keyword="sEcReT wa", first=100)
    assert found["edges"]
    assert all(e["node"]["movie"]["title"] == "Marvel: Secret Wars" for e in found["edges"])


async def test_search_by_city(api: Api) -> None:
    found = await search(api, city="Mumbai", first=100)
    assert found["edges"]
    assert {e["node"]["cinema"]["city"] for e in found["edges"]} == {"Mumbai"}
    # datetime defaults to now: nothing that has started already
    now = datetime.now().astimezone() - timedelta(seconds=5)
    assert all(datetime.fromisoformat(e["node"]["showtime"]) >= now for e in found["edges"])
    assert all(e["node"]["distanceKm"] is None for e in found["edges"])


async def test_search_near_with_radius_sorted_by_distance(api: Api) -> None:
    found = await search(api, near=FORUM, radiusKm=5.0, sort="DISTANCE", first=100)
    nodes = [e["node"] for e in found["edges"]]
    assert nodes
    distances = [n["distanceKm"] for n in nodes]
    assert all(d is not None and d <= 5.0 for d in distances)
    assert distances == sorted(distances)
    assert nodes[0]["cinema"]["name"] == "PVR Forum"
    wider = await search(api, near=FORUM, radiusKm=50.0, first=100)
    assert wider["totalCount"] > found["totalCount"]


async def test_search_by_postal_code_sets_distance(api: Api) -> None:
    found = await search(api, postalCode="560095", radiusKm=3.0, sort="DISTANCE", first=50)
    assert found["edges"]
    assert all(e["node"]["distanceKm"] is not None for e in found["edges"])
    assert found["edges"][0]["node"]["cinema"]["postalCode"] == "560095"


async def test_search_datetime_is_a_lower_bound_and_showtime_sort_ascends(api: Api) -> None:
    after = (datetime.now().astimezone() + timedelta(days=3)).replace(microsecond=0)
    found = await search(api, city="Bangalore", datetime=after.isoformat(), first=100)
    times = [datetime.fromisoformat(e["node"]["showtime"]) for e in found["edges"]]
    assert times and all(t >= after for t in times)
    assert all(t.tzinfo is not None for t in times)
    assert times == sorted(times)


async def test_search_sort_by_rating_descends(api: Api) -> None:
    found = await search(api, city="Bangalore", sort="RATING", first=100)
    ratings = [e["node"]["movie"]["rating"] for e in found["edges"]]
    assert ratings and ratings == sorted(ratings, reverse=True)


async def test_search_pages_with_cursors_cover_everything_once(api: Api) -> None:
    everything = await search(api, city="Chennai", first=100)
    total = everything["totalCount"]
    assert total == len(everything["edges"]) and total > 10
    seen: list[str] = []
    after = None
    while True:
        page = await search(api, city="Chennai", first=7, after=after)
        assert page["totalCount"] == total
        assert len(page["edges"]) <= 7
        seen += [e["node"]["showId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    assert seen == [e["node"]["showId"] for e in everything["edges"]]


async def test_search_page_size_is_at_most_100(api: Api) -> None:
    body = await api.raw(ops.SEARCH, {"input": {"first": 500}})
    if body.get("errors"):
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    else:
        assert len(body["data"]["search"]["edges"]) <= 100


async def test_search_keyword_typo_tolerance_is_a_plus_not_a_crash(api: Api) -> None:
    body = await api.raw(ops.SEARCH, {"input": {"keyword": "marvle"}})
    assert not body.get("errors"), body


async def test_show_and_its_seat_map(world: World) -> None:
    show_id = world.show(seats=200)
    show = (await world.main(ops.SHOW, {"id": show_id}))["show"]
    assert show["id"] == show_id and show["hallName"]
    assert datetime.fromisoformat(show["startsAt"]).tzinfo is not None
    assert show["totalSeats"] == 200 == show["availableSeats"]
    seat_map = show["seatMap"]
    assert seat_map["showId"] == show_id
    assert len(seat_map["seats"]) == 200
    assert (seat_map["free"], seat_map["held"], seat_map["booked"]) == (200, 0, 0)
    for seat in seat_map["seats"]:
        assert re.fullmatch(r"[A-Z]+-[1-9][0-9]*", seat["label"])
        assert seat["label"] == f"{seat['row']}-{seat['number']}"
        assert seat["status"] == "FREE" and seat["price"] > 0 and seat["currency"] == "INR"
    assert {"A-1", "J-20"} <= {s["label"] for s in seat_map["seats"]}
    direct = (await world.main(ops.SEAT_MAP, {"showId": show_id}))["seatMap"]
    assert direct == seat_map


async def test_unknown_show_is_null(api: Api) -> None:
    assert (await api(ops.SHOW, {"id": "987654321"}))["show"] is None
