"""Public reads: persisted queries over GET and POST, Cache-Control/ETag/304, the in-process
rendered-response cache, and private data that is never shared."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from typing import Any

import httpx2
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from boxoffice import db, metrics
from boxoffice.auth import create_api_key
from boxoffice.http import apq as apq_module
from boxoffice.http.publicdocs import POLICIES, Policy
from boxoffice.services import responsecache, seatcache
from boxoffice.services.responsecache import bump_catalog_epoch
from tests.api.booking_ops import RESERVATION, RESERVE, operation
from tests.factories import make_show

SEAT_MAP = operation("SeatMap")
SHOW = operation("Show")
SEARCH = operation("Search")
CITIES = operation("Cities")
MIXED = """query Mixed($showId: ID!, $id: ID!) {
  seatMap(showId: $showId) { version free }
  reservation(id: $id) { id seats }
}"""


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def apq(query: str, variables: dict[str, Any], *, register: bool = False) -> dict[str, str]:
    """The query-string parameters of an Apollo persisted-query GET."""
    params = {"extensions": json.dumps({"persistedQuery": {"version": 1,
                                                           "sha256Hash": sha(query)}}),
              "variables": json.dumps(variables)}
    if register:
        params["query"] = query
    return params


async def get(api: Any, params: dict[str, str], *, key: str | None = "default",
              token: str | None = None, etag: str | None = None) -> httpx2.Response:
    headers = {"Accept": "application/json"}
    if key:
        headers["X-API-Key"] = api.api_key if key == "default" else key
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if etag:
        headers["If-None-Match"] = etag
    resp: httpx2.Response = await api.client.get("/graphql", params=params, headers=headers)
    return resp


async def post(api: Any, body: dict[str, Any], *, token: str | None = None,
               key: str | None = "default") -> httpx2.Response:
    headers = {}
    if key:
        headers["X-API-Key"] = api.api_key if key == "default" else key
    if token:
        headers["Authorization"] = f"Bearer {token}"
    resp: httpx2.Response = await api.client.post("/graphql", json=body, headers=headers)
    return resp


async def reserve(api: Any, token: str, show_id: int, seats: list[str]) -> dict[str, Any]:
    data = await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}}, token=token)
    result: dict[str, Any] = data["reserve"]
    assert result["__typename"] == "Reservation", result
    return result


async def changed_within(api: Any, params: dict[str, str], etag: str,
                         seconds: float = 1.0) -> httpx2.Response:
    """The first answer with a new ETag, asking until `seconds` have passed (the contract:
    a committed change shows within 1 s)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        resp = await get(api, params, etag=etag)
        if resp.status_code != 304 or loop.time() > deadline:
            return resp
        await asyncio.sleep(0.02)


async def test_persisted_seat_map_over_get(api: Any) -> None:
    show = await make_show(rows=2, per_row=5)
    variables = {"showId": str(show.show_id)}

    unknown = await get(api, apq(SEAT_MAP, variables))
    assert unknown.status_code == 200
    assert unknown.json() == {"errors": [{"message": "PersistedQueryNotFound",
                                          "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
    assert "no-store" in unknown.headers["cache-control"]

    registered = await get(api, apq(SEAT_MAP, variables, register=True))
    assert registered.status_code == 200, registered.text
    assert registered.json()["data"]["seatMap"]["free"] == 10
    assert registered.headers["cache-control"] == "public, max-age=1"
    # keyed by API key (the CORS layer adds Origin)
    assert "X-API-Key" in [v.strip() for v in registered.headers["vary"].split(",")]
    etag = registered.headers["etag"]

    again = await get(api, apq(SEAT_MAP, variables))  # the hash alone now
    assert again.status_code == 200 and again.content == registered.content
    assert again.headers["etag"] == etag

    not_modified = await get(api, apq(SEAT_MAP, variables), etag=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert (await get(api, apq(SEAT_MAP, variables), etag='"other"')).status_code == 200

    token = await api.token("fan@example.com")
    await reserve(api, token, show.show_id, ["A-1", "A-2"])
    fresh = await changed_within(api, apq(SEAT_MAP, variables), etag)
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag
    seat_map = fresh.json()["data"]["seatMap"]
    assert (seat_map["free"], seat_map["held"]) == (8, 2)
    assert {s["label"]: s["status"] for s in seat_map["seats"]}["A-2"] == "HELD"


async def test_persisted_queries_over_post_and_bad_hashes(api: Any) -> None:
    show = await make_show(rows=1, per_row=4)
    ext = {"persistedQuery": {"version": 1, "sha256Hash": sha(SHOW)}}
    variables = {"id": str(show.show_id)}
    missing = await post(api, {"extensions": ext, "variables": variables})
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await post(api, {"query": SHOW, "extensions": ext, "variables": variables})
    assert registered.json()["data"]["show"]["totalSeats"] == 4
    assert registered.headers["cache-control"] == "public, max-age=1"
    by_hash = await post(api, {"extensions": ext, "variables": variables})
    assert by_hash.content == registered.content

    wrong = await post(api, {"query": SHOW + " ", "extensions": ext, "variables": variables})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad: object
    for bad in ({"persistedQuery": {"version": 2, "sha256Hash": sha(SHOW)}},
                {"persistedQuery": {"version": 1, "sha256Hash": "zz"}},
                {"persistedQuery": "x"}, []):
        resp = await get(api, {"extensions": json.dumps(bad), "variables": "{}"})
        assert resp.status_code == 400, bad
        assert resp.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_public_answers_are_rendered_once(api: Any) -> None:
    show = await make_show(rows=3, per_row=10)
    body = {"query": SEAT_MAP, "variables": {"showId": str(show.show_id)}}
    first = await post(api, body)
    hits = metrics.value("response_cache_hits")
    for _ in range(3):
        again = await post(api, body)
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert metrics.value("response_cache_hits") == hits + 3

    # catalog reads are public too, for longer; a search is kept briefly
    cities = await get(api, {"query": CITIES})
    assert cities.headers["cache-control"] == "public, max-age=30" and "etag" in cities.headers
    search = await post(api, {"query": SEARCH, "variables": {"input": {"first": 5}}})
    assert search.headers["cache-control"] == "public, max-age=1"
    assert search.json()["data"]["search"]["totalCount"] == 1


async def test_private_data_is_never_shared(api: Any) -> None:
    show = await make_show(rows=1, per_row=6)
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    held = await reserve(api, alice, show.show_id, ["A-1"])
    params = apq(RESERVATION, {"id": held["id"]}, register=True)

    mine = await get(api, params, token=alice)
    assert mine.json()["data"]["reservation"]["seats"] == ["A-1"]
    theirs = await get(api, params, token=bob)  # the very same URL, another user
    assert theirs.json()["data"]["reservation"] is None
    hash_only = await get(api, apq(RESERVATION, {"id": held["id"]}), token=bob)
    assert hash_only.json()["data"]["reservation"] is None
    for resp in (mine, theirs, hash_only):
        assert resp.headers["cache-control"] == "private, no-store"
        assert "etag" not in resp.headers

    posted = await post(api, {"query": RESERVATION, "variables": {"id": held["id"]}},
                        token=alice)
    assert posted.headers["cache-control"] == "private, no-store"
    assert (await post(api, {"query": RESERVATION, "variables": {"id": held["id"]}},
                       token=bob)).json()["data"]["reservation"] is None

    # public and private fields in one document: the whole answer is private
    mixed = {"query": MIXED, "variables": {"showId": str(show.show_id), "id": held["id"]}}
    a, b = await post(api, mixed, token=alice), await post(api, mixed, token=bob)
    assert a.json()["data"]["reservation"]["id"] == held["id"]
    assert b.json()["data"]["reservation"] is None
    assert a.headers["cache-control"] == b.headers["cache-control"] == "private, no-store"
    # mutations are never cached, and never run from a GET
    reserve_get = await get(api, apq(RESERVE, {"input": {"showId": str(show.show_id),
                                                         "seats": ["A-3"]}}, register=True),
                            token=bob)
    assert reserve_get.status_code in (400, 405) and "no-store" in reserve_get.headers[
        "cache-control"]
    seats = (await post(api, {"query": SEAT_MAP, "variables": {"showId": str(show.show_id)}}))
    statuses = {s["label"]: s["status"] for s in seats.json()["data"]["seatMap"]["seats"]}
    assert statuses["A-3"] == "FREE"


async def test_no_valid_key_never_gets_a_cached_answer(api: Any) -> None:
    show = await make_show(rows=1, per_row=3)
    variables = {"showId": str(show.show_id)}
    body = {"query": SEAT_MAP, "variables": variables}
    params = apq(SEAT_MAP, variables, register=True)
    assert (await post(api, body)).json()["data"]["seatMap"]["free"] == 3
    assert (await get(api, params)).json()["data"]["seatMap"]["free"] == 3
    hits = metrics.value("response_cache_hits")
    for key in (None, "bo_wrong", ""):
        for resp in (await post(api, body, key=key), await get(api, params, key=key),
                     await get(api, {**params, "query": ""}, key=key)):
            assert resp.status_code in (200, 400, 401), resp.status_code
            assert "seatMap" not in resp.text and "public" not in resp.headers["cache-control"]
            if resp.status_code == 200:
                assert resp.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert metrics.value("response_cache_hits") == hits


async def test_fresh_after_redis_loses_its_data(api: Any, redis: Redis) -> None:
    show = await make_show(rows=2, per_row=4)
    variables = {"showId": str(show.show_id)}
    token = await api.token("fan@example.com")
    first = await get(api, apq(SEAT_MAP, variables, register=True))
    assert first.json()["data"]["seatMap"]["free"] == 8

    await redis.flushdb()  # a Redis restart without persistence: counter, bitmap, APQ gone
    await reserve(api, token, show.show_id, ["A-1"])
    fresh = await changed_within(api, apq(SEAT_MAP, variables, register=True),
                                 first.headers["etag"])
    assert fresh.json()["data"]["seatMap"]["held"] == 1

    await redis.delete(seatcache.version_key(show.show_id))  # only the counter lost
    await reserve(api, await api.token("other@example.com"), show.show_id, ["B-1"])
    fresher = await changed_within(api, apq(SEAT_MAP, variables), fresh.headers["etag"])
    assert fresher.json()["data"]["seatMap"]["held"] == 2


async def test_unknown_hash_is_per_hash(api: Any) -> None:
    params = {"extensions": json.dumps({"persistedQuery": {
        "version": 1, "sha256Hash": secrets.token_hex(32)}})}
    resp = await get(api, params)
    assert resp.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    # GraphiQL stays where browsers look for it
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


async def test_catalog_changes_move_the_epoch(api: Any, redis: Redis,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Catalog answers are keyed by an epoch that mutations other than seat changes (and
    catalog imports, through bump_catalog_epoch) move: no waiting for a TTL."""
    monkeypatch.setitem(POLICIES, "cities", Policy(ttl=3600.0, max_age=30))
    await make_show(rows=1, per_row=2, name="Epoch")
    before = (await post(api, {"query": CITIES})).json()["data"]["cities"]
    await db.pool().execute("INSERT INTO city (name, lat, lng) VALUES ('Atlantis', 0, 0)")
    cached = (await post(api, {"query": CITIES})).json()["data"]["cities"]
    assert cached == before  # served from the cache: nothing announced the new city

    # the same mutation from a key that may not call it (FORBIDDEN) changes nothing and must
    # not move the epoch: any client key could otherwise flush every process' cache at will
    cancel = {"query": 'mutation { cancelShow(showId: "1", reason: "x") { showId } }'}
    epoch = await redis.get(responsecache.EPOCH_KEY)
    refused = (await post(api, cancel)).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await redis.get(responsecache.EPOCH_KEY) == epoch
    assert (await post(api, {"query": CITIES})).json()["data"]["cities"] == before

    # an admin mutation (cancelShow and the like) moves the epoch before its answer leaves
    admin = await create_api_key("epoch-admin", "admin")
    await api.client.post("/graphql", json=cancel, headers={"X-API-Key": admin})
    after = (await post(api, {"query": CITIES})).json()["data"]["cities"]
    assert "Atlantis" in {c["name"] for c in after}

    # seat mutations do not (their changes move the show's seat version instead)
    await db.pool().execute("INSERT INTO city (name, lat, lng) VALUES ('Lemuria', 0, 0)")
    token = await api.token("fan@example.com")
    await api.raw(RESERVE, {"input": {"showId": "999999", "seats": ["A-1"]}}, token=token)
    assert (await post(api, {"query": CITIES})).json()["data"]["cities"] == after

    # another process (e.g. `boxoffice import`) announces through Redis
    await bump_catalog_epoch(redis)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1
    while True:
        names = {c["name"] for c in (await post(api, {"query": CITIES})).json()["data"]["cities"]}
        if "Lemuria" in names or loop.time() > deadline:
            break
        await asyncio.sleep(0.02)
    assert "Lemuria" in names


async def test_a_client_reads_its_own_seat_changes_at_once(
        api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the map, reserve, read again straight away: the hold is there (no 0.1 s window
    in the process that ran the mutation), even past the key's render budget."""
    monkeypatch.setattr(responsecache, "RENDER_BURST", 1.0)  # one render, never refilled:
    monkeypatch.setattr(responsecache, "RENDER_RATE", 0.0)  # only the writer rule renders
    show = await make_show(rows=2, per_row=5)
    body = {"query": SEAT_MAP, "variables": {"showId": str(show.show_id)}}
    for i, seat in enumerate(show.labels):
        before = (await post(api, body)).json()["data"]["seatMap"]
        assert before["held"] == i
        await reserve(api, await api.token(f"fan{i}@example.com"), show.show_id, [seat])
        after = (await post(api, body)).json()["data"]["seatMap"]
        assert after["held"] == i + 1 and after["version"] > before["version"]


async def test_redis_unreachable_degrades_to_uncached_answers(
        api: Any, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Persisted queries and versions live in Redis; without it a client is asked for the
    query and gets an uncached answer, never a 500."""
    await make_show(rows=1, per_row=2, name="NoRedis")
    redis = app.state.boxoffice.redis

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(redis, "get", down)
    monkeypatch.setattr(redis, "set", down)
    apq_module.clear_local()
    unknown = await get(api, apq(CITIES, {}))
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    answered = await get(api, apq(CITIES, {}, register=True))
    assert answered.status_code == 200
    assert answered.json()["data"]["cities"][0]["name"] == "City NoRedis"
    assert answered.headers["cache-control"] == "private, no-store"
