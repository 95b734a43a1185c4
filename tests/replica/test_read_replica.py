"""DATABASE_READ_URL against a real streaming replica (initdb + pg_basebackup, tests/pgpair.py).

With the replica's replay paused, the API process must answer browse reads from the replica
(a catalog change made on the primary is invisible to search, the movie list and a cold seat
map) while booking works on the primary (a reserve on a show only the primary has succeeds);
after replay resumes, everything agrees, and the seat-map refresher corrects the cold map from
the primary within seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from boxoffice.services.seatcache import bitmap_key, index_key, meta_key
from tests.api.booking_ops import RESERVE
from tests.pgpair import PgPair, pg_pair
from tests.realtime.support import FAST_REALTIME, Server, graphql, uvicorn

BIN = str(Path(sys.executable).parent / "boxoffice")
SEARCH = """query($k: String!) { search(input: {keyword: $k, first: 50}) {
  totalCount edges { node { showId } } } }"""
MOVIES = "{ movies { title } }"
SEAT_MAP = """query($id: ID!) { seatMap(showId: $id) { showId seats { label status } } }"""


def cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([BIN, *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def pair() -> Iterator[PgPair]:
    with pg_pair("replica") as p:
        yield p


@pytest.fixture(scope="module")
def setup(pair: PgPair) -> Iterator[tuple[dict[str, str], Server, str, list[str]]]:
    subprocess.run(["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/createdb",
                    "-h", "127.0.0.1", "-p", str(pair.primary.port), "boxoffice"]
                   if os.geteuid() == 0 else
                   ["/usr/lib/postgresql/15/bin/createdb", "-h", "127.0.0.1", "-p",
                    str(pair.primary.port), "boxoffice"], check=True)
    env = {"DATABASE_URL": pair.primary.url("boxoffice")}
    cli(env, "migrate")
    cli(env, "seed-demo")
    key = cli(env, "apikey", "create", "--name", "replica").splitlines()[-1]
    tokens = cli(env, "token", "a@x.com", "b@x.com").splitlines()
    env["DATABASE_READ_URL"] = pair.standby.url("boxoffice")
    with uvicorn({**FAST_REALTIME, **env}) as server:
        yield env, server, key, tokens


def catalog_file(path: Path) -> Path:
    starts = (datetime.now().date() + timedelta(days=2)).isoformat() + "T11:00:00+05:30"
    path.write_text(json.dumps({
        "cities": [{"id": "blr", "name": "Bangalore"}],
        "movies": [{"id": "lag", "title": "Replica Lag Story", "rating": 7.0,
                    "durationMinutes": 100}],
        "cinemas": [{"id": "lag-cinema", "city": "blr", "name": "Lag Cinema",
                     "postalCode": "560001", "lat": 12.97, "lng": 77.59,
                     "halls": [{"id": "h1", "name": "Hall 1", "rows": [
                         {"row": "A", "seats": 6, "category": "CLASSIC", "price": 15000}]}]}],
        "shows": [{"id": "lag-1", "movie": "lag", "cinema": "lag-cinema", "hall": "h1",
                   "startsAt": starts, "currency": "INR"}]}))
    return path


async def titles(server: Server, key: str) -> set[str]:
    return {m["title"] for m in (await graphql(server.http, key, MOVIES))["movies"]}


async def seat(server: Server, key: str, show_id: int, label: str) -> str | None:
    data = await graphql(server.http, key, SEAT_MAP, {"id": str(show_id)})
    if data["seatMap"] is None:
        return None
    return {s["label"]: s["status"] for s in data["seatMap"]["seats"]}[label]


async def test_browse_reads_the_replica_and_booking_the_primary(
        pair: PgPair, setup: tuple[dict[str, str], Server, str, list[str]],
        tmp_path: Path) -> None:
    env, server, key, tokens = setup
    await pair.wait_caught_up()
    demo_show = int((await graphql(server.http, key, SEARCH, {"k": "marvel"}))[
        "search"]["edges"][0]["node"]["showId"])
    assert "Replica Lag Story" not in await titles(server, key)

    await pair.standby.fetchval("SELECT pg_wal_replay_pause()")
    try:
        # a catalog change and a hold, both on the primary
        out = cli({"DATABASE_URL": env["DATABASE_URL"]}, "import",
                  str(catalog_file(tmp_path / "c.json")))
        new_show = int(out.split()[-1])
        redis = Redis.from_url(os.environ["REDIS_URL"])
        try:
            await redis.delete(bitmap_key(demo_show), index_key(demo_show), meta_key(demo_show))
        finally:
            await redis.aclose()
        r = await graphql(server.http, key, RESERVE, {"input": {
            "showId": str(demo_show), "seats": ["A-1"]}}, token=tokens[0])
        assert r["reserve"]["__typename"] == "Reservation"

        # browse: the replica's (paused) picture
        assert "Replica Lag Story" not in await titles(server, key)
        found = await graphql(server.http, key, SEARCH, {"k": "replica lag"})
        assert found["search"]["totalCount"] == 0
        assert await seat(server, key, demo_show, "A-1") == "FREE"  # cold rebuild, stale

        # booking: the primary's — the new show exists there only
        r = await graphql(server.http, key, RESERVE, {"input": {
            "showId": str(new_show), "seats": ["A-2"]}}, token=tokens[1])
        assert r["reserve"]["__typename"] == "Reservation", r
    finally:
        await pair.standby.fetchval("SELECT pg_wal_replay_resume()")

    await pair.wait_caught_up()
    # a rendering made from the paused replica may be reused for its in-process TTL (1 s for
    # the catalog, 0.5 s for search: boxoffice/http/publicdocs.py): ask until it has aged out
    for _ in range(30):
        if "Replica Lag Story" in await titles(server, key):
            break
        await asyncio.sleep(0.2)
    assert "Replica Lag Story" in await titles(server, key)
    await asyncio.sleep(0.6)
    found = await graphql(server.http, key, SEARCH, {"k": "replica lag"})
    assert [e["node"]["showId"] for e in found["search"]["edges"]] == [str(new_show)]
    # the refresher reconciles watched shows against the primary: the stale map heals
    deadline = time.monotonic() + 15
    while await seat(server, key, demo_show, "A-1") != "HELD":
        assert time.monotonic() < deadline, "the cold seat map was never corrected"
        await asyncio.sleep(0.3)
    assert await seat(server, key, new_show, "A-2") == "HELD"


def test_a_process_without_the_replica_fails_fast(pair: PgPair) -> None:
    env = {**os.environ, "DATABASE_URL": pair.primary.url("boxoffice"),
           "DATABASE_READ_URL": "postgresql://postgres@127.0.0.1:1/boxoffice"}
    proc = subprocess.run([sys.executable, "-c", (
        "import asyncio\nfrom boxoffice import db\nasyncio.run(db.start_pool())")],
        env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0 and "Connect" in proc.stderr


def test_reads_without_a_replica_use_the_primary_pool(database: Any) -> None:
    from boxoffice import db

    assert db.read_pool() is db.pool()
