"""Malformed input of every kind gets HTTP 400 or a coded GraphQL error, never a 500 or
INTERNAL_SERVER_ERROR; ids are parsed canonically; echoed input is clipped."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from boxoffice import db
from boxoffice.ids import parse_id
from tests.api.booking_ops import RESERVE
from tests.factories import make_show

CINEMAS = "query C($city: String!) { cinemas(city: $city) { id } }"


async def post(api: Any, content: bytes, content_type: str = "application/json"
               ) -> httpx2.Response:
    resp: httpx2.Response = await api.client.post(
        "/graphql", content=content,
        headers={"X-API-Key": api.api_key, "Content-Type": content_type})
    return resp


def assert_refused(resp: httpx2.Response) -> None:
    """HTTP 400 with a coded GraphQL-shaped body, or a 200 whose errors are all coded."""
    assert resp.status_code in (200, 400), resp.text[:500]
    body = resp.json()
    assert body.get("data") is None or body.get("errors"), body
    for error in body["errors"]:
        code = (error.get("extensions") or {}).get("code")
        assert code not in (None, "INTERNAL_SERVER_ERROR") or not error.get("path"), error
        assert code != "INTERNAL_SERVER_ERROR", error


@pytest.mark.parametrize("content", [
    b"{not json",
    b'{"query": "{ cities { id } }"',  # truncated
    b"\xff\xfe\x00{",  # not UTF-8
    b"[" * 100_000 + b"]" * 100_000,  # 100k-deep nesting: RecursionError in json.loads
    b'{"query": "{ cities { id } }", "variables": ' + b'{"a":' * 5_000 + b"1" + b"}" * 5_001,
    b'{"query": "{ cities { id } }", "variables": [1]}',
    b'{"query": 7}',
    b'"just a string"',
], ids=["syntax", "truncated", "not-utf8", "deep-array", "deep-variables", "variables-list",
        "query-not-string", "not-an-object"])
async def test_malformed_bodies_are_400_with_a_code(api: Any, content: bytes) -> None:
    resp = await post(api, content)
    assert resp.status_code == 400, resp.text[:300]
    assert resp.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_wrong_content_type_and_get_mutation_are_400(api: Any) -> None:
    resp = await post(api, b"query=x", "application/x-www-form-urlencoded")
    assert resp.status_code == 400 and resp.json()["errors"][0]["extensions"]["code"]
    resp = await api.client.get("/graphql", params={"query": "mutation { leaveQueue(showId: 1) }"},
                                headers={"X-API-Key": api.api_key})
    assert resp.status_code == 400 and resp.json()["errors"][0]["extensions"]["code"]


async def test_lone_surrogate_in_cinemas_city(api: Any) -> None:
    # as a JSON escape in the variables: the request is refused before any query runs
    resp = await post(api, json.dumps({"query": CINEMAS, "variables": {"city": "\ud800"}})
                      .encode())
    assert_refused(resp)
    assert resp.status_code == 400
    # as a GraphQL escape in the document: a syntax error, coded or plain, never a 500
    resp = await post(api, json.dumps({"query": '{ cinemas(city: "\\uD800") { id } }'}).encode())
    assert_refused(resp)


async def test_nul_in_session_id_is_refused_and_holds_nothing(api: Any) -> None:
    show = await make_show()
    token = await api.token("nul@example.com")
    variables = {"input": {"showId": str(show.show_id), "seats": ["A-1"], "sessionId": "a\x00b"}}
    resp = await api.client.post("/graphql", json={"query": RESERVE, "variables": variables},
                                 headers={"X-API-Key": api.api_key,
                                          "Authorization": f"Bearer {token}"})
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # the same NUL spelled as a GraphQL escape inside the document
    literal = (f'mutation {{ reserve(input: {{showId: "{show.show_id}", seats: ["A-1"], '
               'sessionId: "a\\u0000b"}) { __typename } }')
    body = await api.raw(literal, token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert await db.pool().fetchval("SELECT count(*) FROM reservation") == 0


def test_parse_id_accepts_only_canonical_ascii_digits() -> None:
    assert parse_id("3") == 3 and parse_id("2147483647") == 2**31 - 1
    for raw in ("٣", "2_0", "+3", "-3", " 3", "3 ", "03", "0", "", "3.0", "1e3", "\uff10",
                "2147483648", "99999999999", "0x10", None, True, 3.0):
        assert parse_id(raw) is None, raw


@pytest.mark.parametrize("spelling", ["٣", "2_0", "+1", " 1", "01"])
async def test_non_canonical_ids_name_nothing(api: Any, spelling: str) -> None:
    show = await make_show()
    canonical = str(show.show_id)
    assert (await api("query S($id: ID!) { show(id: $id) { id } }", {"id": canonical}))["show"]
    odd = spelling.replace("1", canonical) if "1" in spelling else spelling
    data = await api("query S($id: ID!) { show(id: $id) { id } }", {"id": odd})
    assert data["show"] is None
    body = await api.raw("query M($id: ID!) { seatMap(showId: $id) { free } }", {"id": odd})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_huge_seat_label_is_not_echoed_whole(api: Any) -> None:
    show = await make_show()
    token = await api.token("echo@example.com")
    label = "Z" * 100_000
    data = await api(RESERVE, {"input": {"showId": str(show.show_id), "seats": [label]}},
                     token=token)
    result = data["reserve"]
    assert result["__typename"] == "InvalidRequest" and result["field"] == "seats"
    assert len(result["message"]) < 200 and "ZZZZ" in result["message"]
    # graphql-core's own coercion messages are clipped as well
    body = await api.raw("query S($id: ID!) { show(id: $id) { id } }", {"id": ["x" * 100_000]})
    assert len(json.dumps(body)) < 2_000, len(json.dumps(body))
