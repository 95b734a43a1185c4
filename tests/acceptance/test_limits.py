"""Limits: body size, query cost, rate limits, malformed input of every kind."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import pytest
from graphql import get_introspection_query

from tests.acceptance import ops
from tests.acceptance.conftest import World
from tests.acceptance.support import Api, codes, server

MIB = 1024 * 1024
CLIENT_TIMEOUT = 10  # nothing here may hang; the contract's bound (100 ms) is far below


async def post_bytes(api: Api, body: bytes, key: Any = "default",
                     token: str | None = None) -> httpx2.Response:
    headers = {"Content-Type": "application/json"}
    headers.update(api.headers(token, api.key if key == "default" else key))
    async with httpx2.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
        return await client.post(api.server.http, content=body, headers=headers)


def padded(size: int) -> bytes:
    """A valid JSON GraphQL request of exactly `size` bytes."""
    head, tail = b'{"query": "{ cities { id } }", "variables": {"pad": "', b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


async def raw_status(api: Api, headers: dict[str, str], body: bytes | None) -> int:
    """Send a POST by hand (the body only when given) and read the status line: the server
    may answer as soon as the headers say too much, before reading anything."""
    reader, writer = await asyncio.open_connection("127.0.0.1", api.server.port)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
        if body is not None:
            writer.write(body)
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), CLIENT_TIMEOUT)
        return int(status.split()[1])
    finally:
        writer.close()


async def test_a_declared_body_over_one_mebibyte_is_413_before_it_is_sent(api: Api) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": str(MIB + 1),
               "X-API-Key": api.key}
    assert await raw_status(api, headers, None) == 413
    headers.pop("X-API-Key")
    assert await raw_status(api, headers, None) == 401


async def test_a_body_of_exactly_one_mebibyte_is_parsed(api: Api) -> None:
    resp = await post_bytes(api, padded(MIB))
    assert resp.status_code == 200 and resp.json()["data"]["cities"]


async def test_a_big_body_without_a_key_is_401(api: Api) -> None:
    resp = await post_bytes(api, padded(MIB + 1), key=None)
    assert resp.status_code == 401


def fragment_bomb(levels: int = 40) -> str:
    """Each fragment spreads the previous one twice: 2**levels fields if expanded."""
    parts = ["fragment F0 on Query { cities { id name } }"]
    for i in range(1, levels + 1):
        parts.append(f"fragment F{i} on Query {{ a: cities {{ id }} ...F{i - 1} ...F{i - 1} }}")
    return f"query Bomb {{ ...F{levels} }} " + " ".join(parts)


def assert_too_complex(body: dict[str, Any]) -> None:
    assert "QUERY_TOO_COMPLEX" in codes(body), body
    assert not body.get("data"), "refused before execution"


@pytest.fixture
def bomb_target(world: World) -> Any:
    """A server of its own: a document that wedges it must not take the suite down with it."""
    with server() as s:
        yield Api(s, world.main.key)


async def test_a_fragment_bomb_is_query_too_complex(bomb_target: Api) -> None:
    api = bomb_target
    resp = await api.post(fragment_bomb(), timeout=CLIENT_TIMEOUT)
    assert resp.status_code in (200, 400)
    assert_too_complex(resp.json())


async def test_aliases_times_list_sizes_is_query_too_complex(bomb_target: Api) -> None:
    api = bomb_target
    field = ("search(input: {first: 100}) { edges { node { showId "
             "cinema { halls } movie { genres languages } } } }")
    query = "{ " + " ".join(f"a{i}: {field}" for i in range(300)) + " }"
    resp = await api.post(query, timeout=CLIENT_TIMEOUT)
    assert resp.status_code in (200, 400)
    assert_too_complex(resp.json())


async def test_nested_seat_maps_are_query_too_complex(bomb_target: Api) -> None:
    api = bomb_target
    field = "seatMap(showId: \"1\") { seats { label status price } }"
    query = "{ " + " ".join(f"m{i}: {field}" for i in range(1000)) + " }"
    resp = await api.post(query, timeout=CLIENT_TIMEOUT)
    assert resp.status_code in (200, 400)
    assert_too_complex(resp.json())


async def test_graphiqls_introspection_query_is_within_budget(api: Api) -> None:
    body = await api.raw(get_introspection_query(descriptions=True))
    assert "QUERY_TOO_COMPLEX" not in codes(body), body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_the_apps_documents_are_within_budget(world: World) -> None:
    (fan,) = world.users(1)
    show_id = world.shows[-1]["showId"]
    for query, variables in ((ops.SEARCH, {"input": {"first": 100}}), (ops.SHOW, {"id": show_id}),
                             (ops.SEAT_MAP, {"showId": show_id}),
                             (ops.QUEUE_POSITION, {"showId": show_id})):
        body = await world.main.raw(query, variables, token=fan)
        assert not body.get("errors"), body


# --- malformed input --------------------------------------------------------------------

def coded_not_500(resp: httpx2.Response, allowed: set[str] | None = None) -> None:
    assert resp.status_code != 500 and resp.status_code < 500, resp.text[:500]
    if resp.status_code == 400:
        return
    body = resp.json()
    assert "errors" in body, body
    for error in body["errors"]:
        code = (error.get("extensions") or {}).get("code")
        assert code and code != "INTERNAL_SERVER_ERROR", body
        if allowed is not None:
            assert code in allowed, body


@pytest.mark.parametrize("raw", [
    b"{not json",
    b'{"query": "{ cities { id } }"',
    b"[]",
    b'"just a string"',
    b'{"query": 42}',
    b'{"query": "{ cities { id } }", "variables": [1, 2]}',
    b'{"query": "{ cities { id } }", "variables": "x"}',
    b"\xff\xfe\x00garbage",
    b"",
], ids=["broken", "truncated", "array", "string", "query-int", "variables-list",
        "variables-string", "not-utf8", "empty"])
async def test_bad_json_is_400_or_coded(api: Api, raw: bytes) -> None:
    coded_not_500(await post_bytes(api, raw))


async def test_nul_bytes_are_not_a_500(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    coded_not_500(await post_bytes(api, b'{"query": "{ cities { id } }\\u0000"}'))
    for request in (
            {"query": ops.SEARCH, "variables": {"input": {"keyword": "mar\u0000vel"}}},
            {"query": ops.SEARCH, "variables": {"input": {"city": "\u0000"}}},
            {"query": ops.SHOW, "variables": {"id": "1\u0000"}},
            {"query": ops.RESERVE, "variables": {"input": {
                "showId": world.shows[-1]["showId"], "seats": ["A-1\u0000"],
                "sessionId": "\u0000"}}}):
        resp = await post_bytes(api, json.dumps(request).encode(), token=fan)
        assert resp.status_code < 500, resp.text[:300]
        body = resp.json() if resp.status_code == 200 else {}
        assert "INTERNAL_SERVER_ERROR" not in codes(body), body
        if request["query"] == ops.RESERVE and resp.status_code == 200 and not body.get("errors"):
            assert body["data"]["reserve"]["__typename"] == "InvalidRequest", body


async def test_lone_surrogates_are_not_a_500(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    for raw in (b'{"query": "{ cities { id } }", "variables": {"x": "\\ud800"}}',
                b'{"query": "query S($i: SearchInput!) { search(input: $i) { totalCount } }",'
                b' "variables": {"i": {"keyword": "\\udc00abc"}}}',
                b'{"query": "{ show(id: \\"\\ud83d\\") { id } }"}',
                b'{"query": "{ search(input: {keyword: \\"\\ud800\\"}) { totalCount } }"}'):
        resp = await post_bytes(api, raw, token=fan)
        assert resp.status_code < 500, resp.text[:300]
        if resp.status_code == 200:
            assert "INTERNAL_SERVER_ERROR" not in codes(resp.json()), resp.text[:300]


async def test_100k_deep_json_is_not_a_500(api: Api) -> None:
    deep = b'{"query": "{ cities { id } }", "variables": {"x": ' + b"[" * 100_000 + \
        b"]" * 100_000 + b"}}"
    coded_not_500(await post_bytes(api, deep))
    deep_obj = b'{"query": "{ cities { id } }", "variables": ' + b'{"a":' * 100_000 + b"1" + \
        b"}" * 100_000 + b"}"
    coded_not_500(await post_bytes(api, deep_obj))


async def test_100k_deep_query_is_not_a_500(bomb_target: Api) -> None:
    api = bomb_target
    deep = "{ " + "cities { " * 50_000 + "id" + " }" * 50_000 + " }"
    coded_not_500(await api.post(deep, timeout=CLIENT_TIMEOUT))
    nested_list = ("{ search(input: {keyword: " + "[" * 100_000 + "]" * 100_000
                   + "}) { totalCount } }")
    coded_not_500(await api.post(nested_list, timeout=CLIENT_TIMEOUT))


async def test_unknown_ids_are_coded_not_found_or_bad_input(world: World) -> None:
    api, (fan,) = world.main, world.users(1)
    for query, variables in ((ops.SEAT_MAP, {"showId": "987654321"}),
                             (ops.SEAT_MAP, {"showId": "abc"}),
                             (ops.SEAT_MAP, {"showId": "99999999999999999999999"}),
                             (ops.QUEUE_POSITION, {"showId": "abc"})):
        resp = await api.post(query, variables, token=fan)
        coded_not_500(resp, {"BAD_USER_INPUT", "NOT_FOUND"})
    for query, variables, field in ((ops.SHOW, {"id": "abc"}, "show"),
                                    (ops.SHOW, {"id": "-1"}, "show"),
                                    (ops.RESERVATION, {"id": "abc"}, "reservation"),
                                    (ops.BOOKING, {"id": "99999999999999999999"}, "booking")):
        resp = await api.post(query, variables, token=fan)
        assert resp.status_code < 500
        body = resp.json()
        if body.get("errors"):
            coded_not_500(resp, {"BAD_USER_INPUT", "NOT_FOUND"})
        else:
            assert body["data"][field] is None


async def test_out_of_range_numbers_are_coded(api: Api) -> None:
    for variables in ({"input": {"first": 2**31}}, {"input": {"first": -1}},
                      {"input": {"after": "not-a-cursor"}},
                      {"input": {"near": {"lat": 1e308, "lng": -1e308}, "radiusKm": -5}},
                      {"input": {"datetime": "yesterday"}}):
        resp = await api.post(ops.SEARCH, variables)
        assert resp.status_code < 500, resp.text[:300]
        if resp.status_code == 200:
            assert "INTERNAL_SERVER_ERROR" not in codes(resp.json()), resp.text[:300]


# --- rate limits (a server of its own with RATE_LIMITS on) ------------------------------

def rate_limited(resp: httpx2.Response) -> bool:
    if resp.status_code == 429:
        assert int(resp.headers["Retry-After"]) >= 0
        return True
    if resp.status_code == 200:
        body = resp.json()
        for error in body.get("errors") or []:
            ext = error.get("extensions") or {}
            if ext.get("code") == "RATE_LIMITED":
                assert int(ext["retryAfterSeconds"]) >= 0
                return True
    return False


@pytest.fixture(scope="module")
def limited(world: World) -> Any:
    with server({"RATE_LIMITS": "on"}) as s:
        yield Api(s, world.main.key)


async def test_a_flood_from_one_key_is_rate_limited(limited: Api) -> None:
    seen = False
    async with httpx2.AsyncClient(timeout=30) as client:
        for _ in range(30):  # up to 3,000 cheap requests, 100 at a time
            batch = await asyncio.gather(*(
                client.post(limited.server.http, json={"query": "{ __typename }"},
                            headers={"X-API-Key": limited.key}) for _ in range(100)),
                return_exceptions=True)
            responses = [r for r in batch if isinstance(r, httpx2.Response)]
            assert all(r.status_code in (200, 429) for r in responses)
            if any(rate_limited(r) for r in responses):
                seen = True
                break
    assert seen, "3,000 requests from one key and one address were never rate limited"


async def test_reserving_over_and_over_is_rate_limited(limited: Api, world: World) -> None:
    (fan,) = world.users(1)
    show_id = world.show()
    answers = []
    for i in range(40):
        resp = await limited.post(ops.RESERVE, {"input": {"showId": show_id,
                                                          "seats": [f"A-{i % 8 + 1}"]}},
                                  token=fan)
        if rate_limited(resp):
            answers.append("limited")
            break
        typename = resp.json()["data"]["reserve"]["__typename"]
        if typename == "RateLimited":
            assert resp.json()["data"]["reserve"]["retryAfterSeconds"] > 0
            answers.append("limited")
            break
        answers.append(typename)
    assert answers[-1] == "limited", answers
