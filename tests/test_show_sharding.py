"""Everything a booking does stays inside one show, so Redis Cluster (hash tag `{show:ID}`) and
Citus (distribution column `show`) can shard by show: docs/scaling.md.

- Redis: after a realistic flow over two shows (seat map, search, reserve, confirm, cancel,
  queue, offer, expiry, waiting room), SCAN the test db: every key names one of the shows
  only through its hash tag, or is global by design (rediskeys.py lists them).
- Postgres: triggers installed by the test record, per transaction, the `show` of every row
  written; every booking transaction (reserve, confirm, cancel, expiry, offer) writes rows of
  one show only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.crc import key_slot

from boxoffice import db, rediskeys
from boxoffice.services.expiry import expire_overdue
from tests.api.booking_ops import CANCEL, CONFIRM, RESERVE, operation
from tests.api.test_waitingroom import join, on_sale, slow_admission
from tests.factories import make_show
from tests.workers.conftest import make_due, state_of

SEAT_MAP = operation("SeatMap")
SEARCH = operation("Search")

# keys that belong to no single show, by design (see boxoffice/rediskeys.py)
GLOBAL_KEYS = [
    r"rooms:active",  # the shows whose waiting room the worker advances
    r"catalog:epoch",  # moved by catalog-wide changes
    r"apq:[0-9a-f]{64}",  # persisted queries
    r"rl:(reserve:user|confirm:card|tb:addr|tb:key):.+",  # rate limits
    r"sandbox:.+",  # the sandbox payment gateway (stands in for an external service)
    r"arq:.+",  # arq's own keys (queue, jobs, results, health check)
]
_GLOBAL = re.compile("|".join(f"(?:{p})" for p in GLOBAL_KEYS))
_TAG = re.compile(r"\{show:(\d+)\}")


async def reserve(api: Any, token: str, show_id: int, seats: list[str]) -> dict[str, Any]:
    data = await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}}, token=token)
    return data["reserve"]  # type: ignore[no-any-return]


async def confirm(api: Any, token: str, rid: str) -> dict[str, Any]:
    data = await api(CONFIRM, {"input": {"reservationId": rid, "paymentToken": "tok_visa",
                                         "idempotencyKey": f"k{rid}"}}, token=token)
    return data["confirm"]  # type: ignore[no-any-return]


async def booking_flow(api: Any, show_id: int, tokens: dict[str, str]) -> None:
    """reserve + confirm, a hold cancelled into an offer for a queued fan, the offer lapsing
    (the sweeper), a plain hold lapsing: a 3-seat show."""
    a, b, c = tokens["alice"], tokens["bob"], tokens["carol"]
    held = await reserve(api, a, show_id, ["A-1"])
    assert (await confirm(api, a, held["id"]))["__typename"] == "Booking"
    carols = await reserve(api, c, show_id, ["A-2", "A-3"])
    assert carols["__typename"] == "Reservation"
    assert (await reserve(api, b, show_id, ["A-2"]))["__typename"] == "Queued"
    cancelled = await api(CANCEL, {"id": carols["id"]}, token=c)  # bob gets an offer
    assert cancelled["cancelReservation"]["status"] == "CANCELLED"
    offer = await db.pool().fetchval(
        "SELECT id FROM reservation WHERE show = $1 AND is_offer AND status = 'HELD'", show_id)
    assert offer is not None
    lapsing = await reserve(api, c, show_id, ["A-3"])
    assert lapsing["__typename"] == "Reservation"
    await make_due(offer, lapsing["id"])


async def two_shows_flow(api: Any, app: Any) -> tuple[int, int, int]:
    """The booking flow on two shows at once (so a cross-show write would show), expiry by the
    sweeper over both, a seat map, a search and a waiting room. Returns the shows' ids."""
    state = state_of(api)
    one, two = await make_show(rows=1, per_row=3), await make_show(rows=1, per_row=3, name="Two")
    room = await make_show(rows=1, per_row=3, name="Room")
    tokens = {n: await api.token(f"{n}@example.com") for n in ("alice", "bob", "carol")}
    for show in (one, two):
        seat_map = await api(SEAT_MAP, {"showId": str(show.show_id)})
        assert seat_map["seatMap"]["free"] == 3
    for show in (one, two):
        await booking_flow(api, show.show_id, tokens)
    assert await expire_overdue(state.deps) == 4  # two offers and two holds, both shows
    search = await api(SEARCH, {"input": {"city": "City Test", "minAdjacentSeats": 2}})
    assert search["search"]["totalCount"] >= 1
    slow_admission(app)
    await on_sale(room.show_id, "1 hour")
    assert (await join(api, tokens["alice"], room.show_id))["position"] == 1
    return one.show_id, two.show_id, room.show_id


# ---------------------------------------------------------------------------------------------
# Redis


async def test_every_key_of_a_show_carries_its_hash_tag(api, app, redis: Redis):
    shows = set(await two_shows_flow(api, app))
    keys = sorted([k.decode() async for k in redis.scan_iter(count=1000)])
    untagged = [k for k in keys if not _TAG.search(k) and not _GLOBAL.fullmatch(k)]
    assert untagged == [], "keys of no show that are not global by design"
    for key in keys:
        tagged = _TAG.findall(key)
        if tagged:
            assert len(tagged) == 1 and int(tagged[0]) in shows, key
            # the show's id appears only inside its tag
            assert not re.search(r"(?<![\w:])show:\d", _TAG.sub("", key)), key
    by_show: dict[int, set[str]] = defaultdict(set)
    for key in keys:
        for tagged in _TAG.findall(key):
            by_show[int(tagged)].add(_TAG.sub("{show:N}", key))
    one, two, room = sorted(shows)
    seat_map = {"seatmap:{show:N}:version", "seatmap:{show:N}:bits",
                "seatmap:{show:N}:index", "seatmap:{show:N}:meta"}
    # the flow created what it should (else this test could not fail)
    for show_id in (one, two):
        assert seat_map | {"queue:{show:N}:seq"} <= by_show[show_id], by_show[show_id]
    assert {"room:{show:N}:line"} <= by_show[room]
    assert "rooms:active" in keys
    assert any(k.startswith("seatmap:") and k.endswith(":maxrun") for k in keys)
    assert any(k.startswith("rl:reserve:user:") for k in keys)


def test_channels_carry_the_show_tag_and_the_db():
    """Channels outside db 0 carry the db (tests run on another db); the prefix is outside the
    hash tag, so the slot is the show's."""
    names = [rediskeys.seats_channel(42), rediskeys.queue_channel(42),
             rediskeys.room_channel(42), rediskeys.reservation_channel(42, 7)]
    db_number = db_of_redis_url()
    for name in names:
        assert "{show:42}" in name
        assert name.startswith(f"db{db_number}:" if db_number not in ("", "0") else "events:")
    assert rediskeys.show_of_seats_channel(names[0]) == 42
    assert rediskeys.show_of_seats_channel(names[1]) is None


def test_every_key_and_channel_of_a_show_is_in_one_slot():
    """What lets one Lua call touch a show's keys (seat events, queue, waiting room) on a
    Redis Cluster: one slot per show."""
    per_show = [rediskeys.seat_version, rediskeys.seat_bitmap, rediskeys.seat_index,
                rediskeys.seat_meta, rediskeys.seat_max_run, rediskeys.seat_map_closed,
                rediskeys.seat_refresh_lock, rediskeys.queue, rediskeys.queue_wants,
                rediskeys.queue_seq, rediskeys.room_line, rediskeys.room_admitted,
                rediskeys.room_state, rediskeys.seats_channel, rediskeys.queue_channel,
                rediskeys.room_channel]
    for show_id in (1, 42, 99_999):
        slots = {key_slot(f(show_id).encode()) for f in per_show}
        slots.add(key_slot(rediskeys.reservation_channel(show_id, 5).encode()))
        assert slots == {key_slot(rediskeys.show_tag(show_id).encode())}
    assert key_slot(rediskeys.seat_version(1).encode()) != key_slot(
        rediskeys.seat_version(2).encode())
    assert rediskeys.show_of_queue(rediskeys.queue(42).encode()) == 42
    assert rediskeys.show_of_queue(rediskeys.queue_wants(42)) is None


def db_of_redis_url() -> str:
    from urllib.parse import urlsplit

    from boxoffice.settings import get_settings

    return urlsplit(get_settings().redis_url).path.strip("/")


# ---------------------------------------------------------------------------------------------
# Postgres

_RECORD = """
CREATE TABLE IF NOT EXISTS test_show_touch (txid bigint, tbl text, show int);
CREATE OR REPLACE FUNCTION test_record_show_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
  r := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  INSERT INTO test_show_touch VALUES (txid_current(), TG_TABLE_NAME,
    (r ->> (CASE WHEN TG_TABLE_NAME = 'show' THEN 'id' ELSE 'show' END))::int);
  IF TG_OP = 'UPDATE' AND TG_TABLE_NAME <> 'show' THEN  -- a row moved to another show
    INSERT INTO test_show_touch VALUES (txid_current(), TG_TABLE_NAME,
      (to_jsonb(OLD) ->> 'show')::int);
  END IF;
  RETURN NULL;
END $$;
"""
# every table a booking may write: the per-show ones and the global ones (users, keys)
_TABLES = ["show", "show_seat", "reservation", "payment", "booking", "ticket", "notification",
           "show_cancellation", "show_price", "app_user", "api_key"]
# written without a show by design: none today inside a booking transaction
GLOBAL_TABLES: set[str] = set()


@pytest.fixture
async def show_touches(clean: None) -> AsyncIterator[None]:
    async with db.pool().acquire() as conn:
        await conn.execute(_RECORD + "TRUNCATE test_show_touch;" + "".join(
            f"CREATE TRIGGER test_show_touch AFTER INSERT OR UPDATE OR DELETE ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION test_record_show_touch();" for t in _TABLES))
    try:
        yield
    finally:
        async with db.pool().acquire() as conn:
            await conn.execute("".join(f"DROP TRIGGER IF EXISTS test_show_touch ON {t};"
                                       for t in _TABLES) + "DROP TABLE test_show_touch;")


async def multi_show_transactions() -> list[str]:
    rows = await db.pool().fetch("SELECT txid, tbl, show FROM test_show_touch")
    by_tx: dict[int, set[tuple[str, int | None]]] = defaultdict(set)
    for r in rows:
        by_tx[r["txid"]].add((r["tbl"], r["show"]))
    problems = []
    for txid, touched in sorted(by_tx.items()):
        shows = {s for _, s in touched if s is not None}
        showless = {t for t, s in touched if s is None} - GLOBAL_TABLES
        if len(shows) > 1 or (shows and showless):
            problems.append(f"transaction {txid}: {sorted(touched, key=str)}")
    return problems


async def test_the_detector_sees_a_transaction_spanning_two_shows(show_touches):
    one, two = await make_show(rows=1, per_row=2), await make_show(rows=1, per_row=2, name="B")
    async with db.pool().acquire() as conn, conn.transaction():
        await conn.execute("UPDATE show_seat SET price = price WHERE show = ANY($1::int[])",
                           [one.show_id, two.show_id])
    async with db.pool().acquire() as conn, conn.transaction():
        await conn.execute("UPDATE show_seat SET price = price WHERE show = $1", one.show_id)
    problems = await multi_show_transactions()
    assert len(problems) == 1 and "show_seat" in problems[0]


async def test_every_booking_transaction_writes_rows_of_one_show(api, app, show_touches):
    await two_shows_flow(api, app)
    seen = await db.pool().fetch(
        "SELECT DISTINCT tbl FROM test_show_touch WHERE show IS NOT NULL ORDER BY tbl")
    # the flow wrote what a booking writes (else this test could not fail)
    assert {"booking", "payment", "reservation", "show", "show_seat", "ticket",
            "notification"} <= {r["tbl"] for r in seen}
    assert await multi_show_transactions() == []
