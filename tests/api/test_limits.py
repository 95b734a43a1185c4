"""Document limits: linear analysis (fragments once), worst-case cost, introspection counted and
switchable, query-text cap, byte-bounded document cache, per-query time budget."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx2
import pytest
from graphql import get_introspection_query, parse

from boxoffice.auth import create_api_key
from boxoffice.settings import get_settings, reset_settings_cache
from schema.documents import AST_BYTES_PER_CHAR, _ByteLRU, _Entry
from schema.limits import Limits, analyse
from schema.root import schema
from tests.api.booking_ops import RESERVE
from tests.factories import make_show
from tests.realtime.support import uvicorn

OPERATIONS = Path(__file__).resolve().parents[2] / "frontend_contract" / "operations"
FULL_NODE = ("showId showtime availableSeats distanceKm movie { id title rating durationMinutes "
             "languages genres } cinema { id name city postalCode lat lng }")


def fragment_bomb(levels: int) -> str:
    """`{ ...F0 } fragment F0 on Query { ...F1 ...F1 } … fragment Fn on Query { __typename }`:
    2^levels fields once expanded (20 levels = the 792-byte document of issue 8)."""
    body = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}"
                    for i in range(levels))
    return f"{{ ...F0 }} {body} fragment F{levels} on Query {{ __typename }}"


def code_of(body: dict[str, Any]) -> str:
    assert body.get("data") is None, body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def default_limits() -> Limits:
    s = get_settings()
    return Limits(cost=s.query_cost_budget, depth=s.query_max_depth,
                  aliases=s.query_max_aliases, introspection=True)


def test_default_budget_admits_every_contract_operation_and_graphiql_introspection() -> None:
    files = sorted(OPERATIONS.glob("*.graphql"))
    assert files
    for path in files:
        analyse(schema._schema, parse(path.read_text()), default_limits())  # raises if refused
    for query in (get_introspection_query(),
                  get_introspection_query(descriptions=True, specified_by_url=True,
                                          directive_is_repeatable=True, schema_description=True,
                                          input_value_deprecation=True)):
        figures = analyse(schema._schema, parse(query), default_limits())
        assert figures.cost < get_settings().query_cost_budget / 2


def test_page_sizes_follow_first_and_its_default() -> None:
    def cost(doc: str) -> int:
        return analyse(schema._schema, parse(doc), default_limits()).cost

    edges = "{ edges { node { showId } } }"
    assert cost(f'{{ search(input: {{keyword: "x", first: 5}}) {edges} }}') == 1 + 1 + 5 * 2
    assert cost(f'{{ search(input: {{keyword: "x"}}) {edges} }}') == 1 + 1 + 20 * 2  # default
    assert cost(f"query Q($i: SearchInput!) {{ search(input: $i) {edges} }}") == 1 + 1 + 100 * 2
    assert cost("{ cities { id } }") == 1 + 1_000 * 1  # a catalog list


async def test_graphiql_introspection_answers_through_the_api(api: Any) -> None:
    data = await api(get_introspection_query(descriptions=True))
    assert any(t["name"] == "Reservation" for t in data["__schema"]["types"])


async def test_fragment_bomb_is_refused_in_process(api: Any) -> None:
    assert len(fragment_bomb(19)) < 800
    for levels in (20, 40):
        assert code_of(await api.raw(fragment_bomb(levels))) == "QUERY_TOO_COMPLEX"
    # an unused fragment is analysed as well: nothing unbounded reaches graphql-core validation
    unused = fragment_bomb(40).replace("{ ...F0 }", "{ __typename }", 1)
    assert code_of(await api.raw(unused)) == "QUERY_TOO_COMPLEX"


async def test_fragment_bomb_refused_by_a_server_that_keeps_answering_healthz(
        clean: None) -> None:
    """The issue's attack against a real server process (40 levels would run for weeks
    unpatched), while /healthz is polled from another connection: both complete."""
    key = await create_api_key("bomb")

    def attack(url: str, headers: dict[str, str]) -> list[httpx2.Response]:
        with httpx2.Client(timeout=60) as c:
            return [c.post(url, json={"query": fragment_bomb(n)}, headers=headers)
                    for n in (20, 40, 20, 40)]

    def probe(url: str) -> list[str]:
        with httpx2.Client(timeout=60) as c:
            return [c.get(url).text for _ in range(20)]

    with uvicorn() as server:
        health = server.http.removesuffix("/graphql") + "/healthz"
        anonymous, answers, probes = await asyncio.gather(
            asyncio.to_thread(attack, server.http, {}),
            asyncio.to_thread(attack, server.http, {"X-API-Key": key}),
            asyncio.to_thread(probe, health),
        )
    assert all(r.status_code == 401 for r in anonymous)
    assert all(code_of(r.json()) == "QUERY_TOO_COMPLEX" for r in answers)
    assert probes == ["ok"] * 20


async def test_thirty_full_search_pages_are_too_complex_one_is_fine(api: Any) -> None:
    one = f"{{ search(input: {{first: 100}}) {{ edges {{ cursor node {{ {FULL_NODE} }} }} }} }}"
    assert (await api.raw(one)).get("errors") is None
    thirty = "{ " + " ".join(
        f"a{i}: search(input: {{first: 100}}) {{ edges {{ cursor node {{ {FULL_NODE} }} }} }}"
        for i in range(30)) + " }"
    assert code_of(await api.raw(thirty)) == "QUERY_TOO_COMPLEX"
    # a variable page size counts as the largest page (100)
    doc = "query Q($i: SearchInput!) { " + " ".join(
        f"a{i}: search(input: $i) {{ edges {{ node {{ {FULL_NODE} }} }} }}"
        for i in range(14)) + " }"  # 14 x 100 x 20 values
    assert code_of(await api.raw(doc, {"i": {"first": 1}})) == "QUERY_TOO_COMPLEX"


async def test_introspection_is_counted_depth_and_cost(api: Any) -> None:
    of_type = "ofType { " * 20 + "name" + " }" * 20
    deep = f"{{ __schema {{ types {{ fields {{ type {{ {of_type} }} }} }} }} }}"
    assert code_of(await api.raw(deep)) == "QUERY_TOO_COMPLEX"
    full = get_introspection_query().split("fragment", 1)
    # many aliases of the whole schema: each is counted
    many = "query { " + " ".join(
        f"s{i}: __schema {{ types {{ ...FullType }} }}" for i in range(12)
    ) + " } fragment" + full[1]
    assert code_of(await api.raw(many)) == "QUERY_TOO_COMPLEX"


async def test_introspection_off_is_refused_with_a_code(api: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTROSPECTION", "off")
    reset_settings_cache()
    try:
        for doc in ("{ __schema { types { name } } }", '{ __type(name: "Show") { name } }'):
            assert code_of(await api.raw(doc)) == "INTROSPECTION_DISABLED"
        assert (await api("{ __typename }")) == {"__typename": "Query"}
    finally:
        monkeypatch.delenv("INTROSPECTION")
        reset_settings_cache()
    assert (await api("{ __schema { queryType { name } } }"))["__schema"]["queryType"]


async def test_query_text_cap(api: Any) -> None:
    padded = "{ cities { id } }" + " " * 25_000
    assert code_of(await api.raw(padded)) == "QUERY_TOO_COMPLEX"
    assert (await api.raw("{ cities { id } }" + " " * 1_000)).get("errors") is None


def test_document_cache_is_bounded_in_bytes() -> None:
    cache = _ByteLRU(max_bytes=AST_BYTES_PER_CHAR * 10_000)  # ~10,000 characters of text
    document = parse("{ __typename }")
    limits = default_limits()
    for i in range(100):
        cache.put((f"{{ __typename }} #{i:04d}" + " " * 900, limits), _Entry(document))
    assert cache.bytes <= cache.max_bytes
    assert len(cache.entries) < 20
    assert cache.get((f"{{ __typename }} #{99:04d}" + " " * 900, limits)) is not None
    assert cache.get((f"{{ __typename }} #{0:04d}" + " " * 900, limits)) is None


async def test_time_budget_turns_a_slow_query_into_a_coded_error(
        api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUERY_TIME_BUDGET_SECONDS", "0.000001")
    reset_settings_cache()
    try:
        body = await api.raw("{ cities { id } }")  # one database round trip: over budget
        assert code_of(body) == "TIMEOUT"
        # mutations are exempt: cancelling one mid-payment would leave work half done
        show = await make_show()
        token = await api.token("budget@example.com")
        held = await api(RESERVE, {"input": {"showId": str(show.show_id), "seats": ["A-1"]}},
                         token=token)
        assert held["reserve"]["__typename"] == "Reservation"
    finally:
        monkeypatch.delenv("QUERY_TIME_BUDGET_SECONDS")
        reset_settings_cache()
    assert len((await api("{ cities { id } }"))["cities"]) == 1
