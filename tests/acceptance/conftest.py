"""The acceptance world: a fresh database of its own, set up with the real console scripts
(`migrate`, `seed-demo`, `apikey create`, `token`), and `boxoffice serve` / `boxoffice worker`
running as child processes for the whole package.

Every process: RATE_LIMITS=off and a slow ADMISSION_RATE (the waiting room can be watched).
Settings groups: `main` (otherwise defaults) and `fast` (HOLD_SECONDS/OFFER_SECONDS of a few
seconds, for expiry and lapsed offers), with one worker. Tests that need other settings start
their own short-lived server.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from redis import Redis

from tests.acceptance import ops
from tests.acceptance.support import BASE_ENV, Api, Process, cli_ok, spawn, start_server

FAST_SECONDS = 6  # HOLD_SECONDS and OFFER_SECONDS of the fast group
SMALL_HALL = 40  # seats of the demo's small halls (5 rows of 8)
N_USERS = 120


def _acceptance_database_url() -> str:
    base = os.environ["DATABASE_URL"]
    head, _, query = base.partition("?")
    return f"{head}_acceptance" + (f"?{query}" if query else "")


def _recreate_database(url: str) -> None:
    import asyncpg

    async def go() -> None:
        head = url.split("?")[0]
        base, name = head.rsplit("/", 1)
        admin = await asyncpg.connect(base + "/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    # a thread of its own: pytest-asyncio's session loop may already exist in this one
    worker = threading.Thread(target=lambda: asyncio.run(go()))
    worker.start()
    worker.join()


@dataclass
class World:
    main: Api
    fast: Api
    door_key: str
    admin_key: str
    shows: list[dict[str, Any]]
    tokens: list[str]
    _used_shows: set[str] = field(default_factory=set)
    _token_iter: Iterator[str] = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._token_iter = iter(self.tokens)

    def users(self, n: int) -> list[str]:
        """`n` bearer tokens of users no other test has used."""
        with self._lock:
            return list(itertools.islice(self._token_iter, n))

    def show(self, seats: int | None = None, city: str | None = None) -> str:
        """The id of a demo show no other test has touched (`seats` FREE seats, in `city`);
        by default a small hall (rows A-E, seats 1-8 at least)."""
        with self._lock:
            for s in self.shows:
                if s["showId"] in self._used_shows:
                    continue
                if seats is not None and s["availableSeats"] != seats:
                    continue
                if seats is None and s["availableSeats"] > 50:
                    continue  # the few 200-seat shows are for the checks that need them
                if city is not None and s["cinema"]["city"] != city:
                    continue
                self._used_shows.add(s["showId"])
                return str(s["showId"])
        raise LookupError(f"no unused demo show with {seats} seats in {city}")


async def _all_shows(api: Api) -> list[dict[str, Any]]:
    shows: dict[str, dict[str, Any]] = {}
    for city in ("Bangalore", "Mumbai", "Delhi", "Chennai", "Hyderabad"):
        after = None
        for _ in range(10):
            data = await api(ops.SEARCH, {"input": {"city": city, "first": 100, "after": after}})
            for edge in data["search"]["edges"]:
                shows[edge["node"]["showId"]] = edge["node"]
            if not data["search"]["pageInfo"]["hasNextPage"]:
                break
            after = data["search"]["pageInfo"]["endCursor"]
    # the latest shows first: far from their start, nothing time-dependent bites
    return sorted(shows.values(), key=lambda s: s["showtime"], reverse=True)


def last_line(out: str) -> str:
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines, "no output"
    return lines[-1]


@pytest.fixture(scope="package")
def processes() -> Iterator[dict[str, Process]]:
    BASE_ENV.update({
        "DATABASE_URL": _acceptance_database_url(),
        "BOXOFFICE_ENV": "dev",
        "RATE_LIMITS": "off",
        "ADMISSION_RATE": "1",  # one fan a second: the waiting room stays full a while
    })
    BASE_ENV.pop("SECRET_KEY", None)
    _recreate_database(BASE_ENV["DATABASE_URL"])
    Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    cli_ok("migrate")
    cli_ok("migrate")  # idempotent
    cli_ok("seed-demo")
    cli_ok("seed-demo")  # idempotent
    fast_env = {"HOLD_SECONDS": str(FAST_SECONDS), "OFFER_SECONDS": str(FAST_SECONDS)}
    started: dict[str, Process] = {}
    try:
        started["main"] = start_server()
        started["fast"] = start_server(fast_env)
        started["worker"] = spawn(["worker"], fast_env)
        yield started
    finally:
        for p in started.values():
            p.stop()


@pytest.fixture(scope="package")
def keys(processes: dict[str, Process]) -> dict[str, str]:
    return {
        "client": last_line(cli_ok("apikey", "create", "--name", "acc-client")),
        "door": last_line(cli_ok("apikey", "create", "--name", "acc-door", "--role", "door")),
        "admin": last_line(cli_ok("apikey", "create", "--name", "acc-admin", "--role", "admin")),
    }


@pytest.fixture(scope="package")
async def world(processes: dict[str, Process], keys: dict[str, str]) -> World:
    emails = [f"fan{i}@acceptance.test" for i in range(N_USERS)]
    tokens = cli_ok("token", *emails).splitlines()
    assert len(tokens) == N_USERS and all(t.strip() == t and t for t in tokens)
    main = Api(processes["main"], keys["client"])
    fast = Api(processes["fast"], keys["client"])
    shows = await _all_shows(main)
    assert len(shows) > 100, len(shows)
    return World(main, fast, keys["door"], keys["admin"], shows, tokens)


@pytest.fixture
def api(world: World) -> Api:
    return world.main
