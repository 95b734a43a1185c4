"""The ASGI gate in front of /graphql: API key before the body, body limit, rate limits, CORS,
operator endpoints. Each test reproduces a finding of issue 8 against the real app."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx2
import pytest

from boxoffice import auth
from boxoffice.app import create_app
from boxoffice.auth import create_api_key, verify_api_key
from boxoffice.lrucache import bounded
from boxoffice.settings import get_settings
from schema.documents import CACHE

QUERY = "{ cities { id name } }"
MIB = 1 << 20


@contextlib.asynccontextmanager
async def client_for(app: Any, address: str = "127.0.0.1") -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=app, client=(address, 4321))
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@contextlib.asynccontextmanager
async def app_with(**overrides: Any) -> AsyncIterator[Any]:
    """An app built with other settings (middleware is configured when the app is built)."""
    application = create_app(dataclasses.replace(get_settings(), **overrides))
    async with application.router.lifespan_context(application):
        yield application


def assert_coded(resp: httpx2.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert body["errors"][0]["extensions"]["code"] == code, body
    return body


async def test_missing_key_is_401_before_the_body_is_read(app: Any) -> None:
    async with client_for(app) as c:
        marker = "{ cities { id } } # never parsed 7f3a"
        resp = await c.post("/graphql", json={"query": marker})
        assert_coded(resp, 401, "UNAUTHENTICATED")
        assert not any(k[0] == marker for k in CACHE.entries)  # the parser never saw it
        # not JSON at all, and bigger than the body limit: still 401, nothing was read
        resp = await c.post("/graphql", content=b"{" * (2 * MIB),
                            headers={"Content-Type": "application/json"})
        assert_coded(resp, 401, "UNAUTHENTICATED")
        # the 792-byte fragment bomb without a key: refused before parsing
        resp = await c.post("/graphql", json={"query": "{ ...F0 } fragment F0 on Query "
                                                       "{ ...F1 ...F1 }"})
        assert_coded(resp, 401, "UNAUTHENTICATED")


async def test_wrong_or_revoked_key_is_401_and_get_needs_a_key_too(app: Any) -> None:
    key = await create_api_key("gate-tests")
    async with client_for(app) as c:
        resp = await c.post("/graphql", json={"query": QUERY}, headers={"X-API-Key": "bo_wrong"})
        assert_coded(resp, 401, "UNAUTHENTICATED")
        resp = await c.get("/graphql", params={"query": QUERY})
        assert_coded(resp, 401, "UNAUTHENTICATED")
        resp = await c.get("/graphql", params={"query": QUERY}, headers={"X-API-Key": key})
        assert resp.status_code == 200 and resp.json()["data"]["cities"] == []


async def test_wrong_keys_are_cached_negatively_in_a_bounded_lru(
        app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_KEY_CACHE", bounded(50))
    for i in range(80):
        assert await verify_api_key(f"bo_made-up-{i}") is None
    assert len(auth._KEY_CACHE) <= 50
    assert "bo_made-up-79" in auth._KEY_CACHE  # the newest stay, the oldest went
    assert "bo_made-up-0" not in auth._KEY_CACHE
    _expires, client = auth._KEY_CACHE["bo_made-up-79"]
    assert client is None  # a negative answer, kept for the TTL (so revocation lands in 5 s)


async def test_body_over_1_mib_is_413_by_length_and_when_streamed(app: Any) -> None:
    key = await create_api_key("gate-tests")
    big = json.dumps({"query": QUERY, "variables": {"pad": "x" * (MIB + 10)}}).encode()
    async with client_for(app) as c:
        resp = await c.post("/graphql", content=big,
                            headers={"X-API-Key": key, "Content-Type": "application/json"})
        assert_coded(resp, 413, "PAYLOAD_TOO_LARGE")

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
            for i in range(0, len(big), 64 * 1024):
                yield big[i:i + 64 * 1024]

        resp = await c.post("/graphql", content=chunks(),
                            headers={"X-API-Key": key, "Content-Type": "application/json"})
        assert "content-length" not in resp.request.headers
        assert_coded(resp, 413, "PAYLOAD_TOO_LARGE")
        # just under the limit is fine
        ok = json.dumps({"query": QUERY, "variables": {"pad": "x" * (MIB - 200)}}).encode()
        resp = await c.post("/graphql", content=ok,
                            headers={"X-API-Key": key, "Content-Type": "application/json"})
        assert resp.status_code == 200, resp.text


async def test_rate_limit_per_address_answers_429_with_retry_after(app: Any) -> None:
    state = app.state.boxoffice
    state.settings = dataclasses.replace(state.settings, rate_per_address=0.5,
                                         burst_per_address=3)
    keys = [await create_api_key(f"k{i}") for i in range(5)]
    async with client_for(app, "203.0.113.7") as c, client_for(app, "203.0.113.8") as other:
        statuses = []
        for key in keys:  # a different key each time: the address is what runs dry
            resp = await c.post("/graphql", json={"query": QUERY}, headers={"X-API-Key": key})
            statuses.append(resp.status_code)
        assert statuses == [200, 200, 200, 429, 429]
        body = assert_coded(resp, 429, "RATE_LIMITED")
        retry = int(resp.headers["Retry-After"])
        assert 1 <= retry <= 2 and body["errors"][0]["extensions"]["retryAfterSeconds"] == retry
        # made-up keys from that address are throttled too, before any key lookup
        resp = await c.post("/graphql", json={"query": QUERY}, headers={"X-API-Key": "bo_x"})
        assert resp.status_code == 429
        # another address is unaffected
        resp = await other.post("/graphql", json={"query": QUERY},
                                headers={"X-API-Key": keys[0]})
        assert resp.status_code == 200


async def test_rate_limit_per_key_across_addresses(app: Any) -> None:
    state = app.state.boxoffice
    state.settings = dataclasses.replace(state.settings, rate_per_key=0.5, burst_per_key=2)
    key = await create_api_key("busy-app")
    statuses = []
    for i in range(4):
        async with client_for(app, f"198.51.100.{i}") as c:
            resp = await c.post("/graphql", json={"query": QUERY}, headers={"X-API-Key": key})
            statuses.append(resp.status_code)
    assert statuses == [200, 200, 429, 429]
    assert_coded(resp, 429, "RATE_LIMITED")


async def test_rate_limits_off_disables_them(app: Any) -> None:
    state = app.state.boxoffice
    state.settings = dataclasses.replace(state.settings, rate_per_address=0.1,
                                         burst_per_address=1, rate_limits_enabled=False)
    key = await create_api_key("load-test")
    async with client_for(app) as c:
        for _ in range(5):
            resp = await c.post("/graphql", json={"query": QUERY}, headers={"X-API-Key": key})
            assert resp.status_code == 200


async def test_cors_for_allowed_origins_also_on_refusals(clean: None) -> None:
    async with app_with(allowed_origins=("https://fans.example",)) as application, \
            client_for(application) as c:
        pre = await c.options("/graphql", headers={
            "Origin": "https://fans.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type"})
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "https://fans.example"
        assert "x-api-key" in pre.headers["access-control-allow-headers"].lower()
        resp = await c.post("/graphql", json={"query": QUERY},
                            headers={"Origin": "https://fans.example"})
        assert resp.status_code == 401  # readable by the web app: it carries the CORS header
        assert resp.headers["access-control-allow-origin"] == "https://fans.example"
        evil = await c.options("/graphql", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in evil.headers


async def test_graphiql_page_needs_no_key_and_can_be_turned_off(app: Any) -> None:
    html = {"Accept": "text/html,application/xhtml+xml"}
    async with client_for(app) as c:
        page = await c.get("/graphql", headers=html)
        assert page.status_code == 200 and "<html" in page.text.lower()
    async with app_with(graphiql=False) as application, client_for(application) as c:
        off = await c.get("/graphql", headers=html)
        assert off.status_code == 404 and "graphiql" not in off.text.lower()
        assert_coded(off, 404, "NOT_FOUND")


async def test_metrics_and_readyz_detail_need_operator_credentials(clean: None) -> None:
    async with app_with(env="production", metrics_token="m" * 40) as application, \
            client_for(application) as c:
        assert (await c.get("/healthz")).text == "ok"
        assert (await c.get("/metrics")).status_code == 401
        assert (await c.get("/metrics", headers={"X-API-Key": await create_api_key("app")})
                ).status_code == 401  # a client key is not an operator
        ok = await c.get("/metrics", headers={"Authorization": "Bearer " + "m" * 40})
        assert ok.status_code == 200
        admin = await create_api_key("ops", "admin")
        assert (await c.get("/metrics", headers={"X-API-Key": admin})).status_code == 200
        # readiness: anyone learns ready or not, only operators learn the details
        public = await c.get("/readyz")
        assert public.status_code == 200 and public.json() == {"ready": True}
        checked_at = application.state.ready_cache.at
        detailed = await c.get("/readyz", headers={"X-API-Key": admin})
        assert detailed.json() == {"ready": True, "database": True, "redis": True}
        assert application.state.ready_cache.at == checked_at  # answered from the 1 s cache


async def test_a_percent_encoded_query_parameter_is_no_way_around_the_key(app: Any) -> None:
    """`GET /graphql?%71uery=…` with `Accept: text/html`: the view decodes `%71uery` as `query`
    and runs it, so the gate must not take it for a browser opening GraphiQL."""
    async with client_for(app) as c:
        for query in ["{ cities { id } } # review-html-1", "{ nope } # review-html-2"]:
            resp = await c.get("/graphql?%71uery=" + quote(query),
                               headers={"Accept": "text/html"})
            assert_coded(resp, 401, "UNAUTHENTICATED")
            assert not any(k[0] == query for k in CACHE.entries)  # the parser never saw it
        resp = await c.get("/graphql?%65xtensions=%7B%7D", headers={"Accept": "text/html"})
        assert_coded(resp, 401, "UNAUTHENTICATED")
