"""Public reads over HTTP GET as Apollo automatic persisted queries: Cache-Control, ETag,
304 on If-None-Match, a new ETag after a committed change, PersistedQueryNotFound."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx2

from tests.acceptance import ops
from tests.acceptance.conftest import World
from tests.acceptance.support import Api, eventually
from tests.acceptance.test_booking import reserve


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def params(query: str | None, variables: dict[str, Any], digest: str) -> dict[str, str]:
    p = {"variables": json.dumps(variables),
         "extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})}
    if query is not None:
        p["query"] = query
    return p


async def get(api: Api, query: str | None, variables: dict[str, Any], digest: str | None = None,
              headers: dict[str, str] | None = None, token: str | None = None
              ) -> httpx2.Response:
    digest = digest or sha256(query or "")
    async with httpx2.AsyncClient(timeout=10) as client:
        return await client.get(api.server.http, params=params(query, variables, digest),
                                headers={**api.headers(token, api.key), **(headers or {})})


async def registered(api: Api, query: str, variables: dict[str, Any]) -> httpx2.Response:
    """Apollo's flow: the hash alone first (may be unknown), then hash + query."""
    resp = await get(api, None, variables, sha256(query))
    if resp.status_code == 200 and "PersistedQueryNotFound" in resp.text:
        resp = await get(api, query, variables)
    return resp


async def test_an_unknown_hash_is_persisted_query_not_found(api: Api) -> None:
    resp = await get(api, None, {}, "0" * 64)
    assert resp.status_code in (200, 400, 404)
    body = resp.json()
    assert any(e.get("message") == "PersistedQueryNotFound" for e in body["errors"]), body


async def test_seat_map_over_get_is_cacheable_with_etag_and_304(world: World) -> None:
    api = world.main
    show_id = world.show()
    variables = {"showId": show_id}
    first = await registered(api, ops.SEAT_MAP, variables)
    assert first.status_code == 200, first.text[:500]
    assert first.json()["data"]["seatMap"]["showId"] == show_id
    assert first.headers.get("Cache-Control") and first.headers.get("ETag")
    assert "private" not in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    # known now: the hash alone is enough
    again = await get(api, None, variables, sha256(ops.SEAT_MAP))
    assert again.status_code == 200 and again.json()["data"] == first.json()["data"]
    unchanged = await get(api, None, variables, sha256(ops.SEAT_MAP),
                          headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and not unchanged.content

    (fan,) = world.users(1)
    await reserve(api, fan, show_id, ["A-1"])

    async def new_etag() -> httpx2.Response | None:
        resp = await get(api, ops.SEAT_MAP, variables, headers={"If-None-Match": etag})
        return resp if resp.status_code == 200 and resp.headers.get("ETag") != etag else None

    changed = await eventually(new_etag, within=1.0, every=0.1)
    assert changed, "the ETag did not change within 1 s of a committed reserve"
    seats = {s["label"]: s["status"] for s in changed.json()["data"]["seatMap"]["seats"]}
    assert seats["A-1"] == "HELD"


async def test_show_and_search_over_get_are_cacheable(world: World) -> None:
    api = world.main
    for query, variables in ((ops.SHOW, {"id": world.shows[-1]["showId"]}),
                             (ops.SEARCH, {"input": {"city": "Delhi", "first": 3}})):
        resp = await registered(api, query, variables)
        assert resp.status_code == 200 and not resp.json().get("errors"), resp.text[:500]
        assert resp.headers.get("Cache-Control") and resp.headers.get("ETag")
        etag = resp.headers["ETag"]
        again = await get(api, query, variables, headers={"If-None-Match": etag})
        assert again.status_code == 304


async def test_private_data_is_never_shared(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    r = await reserve(api, fan, world.show(), ["B-2"])
    resp = await get(api, ops.RESERVATION, {"id": r["id"]}, token=fan)
    cache = resp.headers.get("Cache-Control", "")
    assert resp.status_code < 500
    assert "public" not in cache and ("private" in cache or "no-store" in cache), cache
    post = await api.post(ops.RESERVATION, {"id": r["id"]}, token=fan)
    cache = post.headers.get("Cache-Control", "")
    assert "public" not in cache and ("s-maxage" not in cache), cache
