"""Test fixtures: real Postgres and Redis, one event loop, migrate once, truncate per test.

URLs: `DATABASE_URL`/`REDIS_URL` when set (the Makefile sets them, bringing up project-local
services when the machine has none). The test database is created and migrated once a session.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from redis.asyncio import Redis

from boxoffice import db
from boxoffice.app import create_app
from boxoffice.auth import create_api_key, get_or_create_user, issue_token
from boxoffice.migrate import ensure_migrated
from boxoffice.settings import get_settings, reset_settings_cache
from devtools.localsvc import resolve_test_environment
from tests.factories import assert_no_leaked_sessions, truncate_all


def pytest_configure(config: pytest.Config) -> None:
    """Before collection: fill the URLs (settings and the engine are built on first use)."""
    resolve_test_environment()
    reset_settings_cache()


@pytest.fixture(scope="session", autouse=True)
async def database() -> AsyncIterator[None]:
    await ensure_migrated(os.environ["DATABASE_URL"])
    await db.start_pool()
    yield
    await db.close_pool()


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    r: Redis = Redis.from_url(get_settings().redis_url)
    await r.flushdb()
    yield r
    await r.aclose()


@pytest.fixture
async def clean(redis: Redis) -> AsyncIterator[None]:
    """Empty tables, Redis and in-process caches before a test; after it, fail if a session
    of our pool is still busy (a leaked transaction or a task that outlived its request)."""
    from boxoffice.lrucache import clear_all
    from boxoffice.services.seatcache import clear_seat_cache
    from boxoffice.services.seatruns import clear_hall_runs
    from boxoffice.services.showmeta import clear_show_meta
    from boxoffice.services.waitingroom import clear_room_shows

    await truncate_all()
    clear_show_meta()
    clear_room_shows()
    clear_hall_runs()
    # show ids restart at 1 after TRUNCATE: seat-map metadata and hotness of the previous
    # test's shows must not leak into this one (the refresher would re-read them)
    clear_seat_cache()
    clear_all()  # every bounded in-process cache (boxoffice/lrucache.py)
    yield
    await assert_no_leaked_sessions()


@pytest.fixture
async def app(clean: None) -> AsyncIterator[Any]:
    reset_settings_cache()
    application = create_app()
    async with application.router.lifespan_context(application):
        yield application


class Api:
    """A GraphQL client over the in-process ASGI app, with a valid API key."""

    def __init__(self, client: httpx2.AsyncClient, api_key: str) -> None:
        self.client = client
        self.api_key = api_key

    async def raw(self, query: str, variables: dict[str, Any] | None = None,
                  token: str | None = None, api_key: str | None = "default") -> dict[str, Any]:
        headers = {}
        key = self.api_key if api_key == "default" else api_key
        if key:
            headers["X-API-Key"] = key
        if token:
            headers["Authorization"] = f"Bearer {token}"
        resp = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = resp.json()
        return body

    async def __call__(self, query: str, variables: dict[str, Any] | None = None,
                       token: str | None = None) -> dict[str, Any]:
        body = await self.raw(query, variables, token)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def token(self, email: str) -> str:
        return issue_token(await get_or_create_user(email))


@pytest.fixture
async def api(app: Any) -> AsyncIterator[Api]:
    key = await create_api_key("tests")
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, key)


@pytest.fixture
async def demo(clean: None) -> None:
    from devtools.seed import seed_demo

    await seed_demo()


@pytest.fixture(params=["read_committed", "serializable"])
def isolation(request: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run a test at each BOOKING_ISOLATION level (request it before `api`)."""
    monkeypatch.setenv("BOOKING_ISOLATION", request.param)
    reset_settings_cache()
    yield request.param
    monkeypatch.undo()
    reset_settings_cache()
