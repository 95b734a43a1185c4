"""Realtime fixtures: two uvicorn processes for the session, a fresh seat cache, users."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator

import pytest

from boxoffice import db
from boxoffice.auth import create_api_key, get_or_create_user, issue_token
from boxoffice.services.seatcache import clear_seat_cache
from tests.realtime.support import Server, World, uvicorn


@pytest.fixture(autouse=True)
async def _fresh_seat_cache() -> AsyncIterator[None]:
    clear_seat_cache()
    yield
    clear_seat_cache()


@pytest.fixture(scope="package")
def servers(database: None) -> Iterator[tuple[Server, Server]]:
    """Processes A and B (`python -m uvicorn boxoffice.asgi:app`), shared by the realtime
    tests and stopped when they are done; every test makes its own show, key and users."""
    with uvicorn() as a, uvicorn() as b:
        yield a, b


@pytest.fixture
async def own_show_ids(clean: None) -> None:
    """After the truncate, start show ids at a random offset. Pub/sub channels are global to
    the Redis server: another test run on this machine publishing for show 1 must not reach
    our subscribers."""
    await db.pool().execute("SELECT setval('show_id_seq', $1)",
                            random.randrange(10_000, 500_000_000))


@pytest.fixture
async def world(own_show_ids: None) -> AsyncIterator[World]:
    key = await create_api_key("realtime-tests")
    tokens = [issue_token(await get_or_create_user(f"fan{i}@example.com")) for i in range(5)]
    yield World(key, tokens)
