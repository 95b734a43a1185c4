"""Realtime fixtures: a fresh in-process seat cache per test, an API key and users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from boxoffice.services.seatcache import clear_seat_cache


@pytest.fixture(autouse=True)
async def _fresh_seat_cache() -> AsyncIterator[None]:
    clear_seat_cache()
    yield
    clear_seat_cache()
