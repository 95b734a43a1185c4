"""The on-sale waiting room's rules against real Redis and Postgres: the lottery, late arrivals,
rate-limited admission in line order, idempotent joins and a Redis wipe."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from boxoffice import db
from boxoffice.auth import get_or_create_user
from boxoffice.events import room_channel
from boxoffice.services import waitingroom as room
from boxoffice.services.deps import Deps
from boxoffice.settings import get_settings
from tests.factories import make_show


def deps_with(redis: Redis, rate: float = 0.001, seconds: int = 600) -> Deps:
    """A tiny rate makes admissions deterministic: one token at opening, then none for ages."""
    settings = replace(get_settings(), admission_rate=rate, admission_seconds=seconds)
    return Deps(settings=settings, redis=redis, arq=redis)  # type: ignore[arg-type]


async def set_on_sale(show_id: int, at: str) -> datetime:
    """`at` is a Postgres interval from now ('1 hour', '-1 second'); returns the instant."""
    value = await db.pool().fetchval(
        """UPDATE show SET on_sale_at = now() + $2::text::interval WHERE id = $1
           RETURNING on_sale_at""", show_id, at)
    room.clear_room_shows()
    return value  # type: ignore[no-any-return]


async def users(n: int, prefix: str = "fan") -> list[int]:
    return [(await get_or_create_user(f"{prefix}{i}@example.com")).id for i in range(n)]


def place(t: room.RoomTicket) -> int:
    """0 for the admitted, else the position: a fan's rank in the line."""
    return 0 if t.admitted else t.position


@pytest.fixture
async def show(clean: None) -> int:
    s = await make_show(rows=2, per_row=5)
    await set_on_sale(s.show_id, "1 hour")
    return s.show_id


async def test_joins_before_on_sale_get_a_random_order_not_arrival_order(redis, show):
    deps = deps_with(redis)
    fans = await users(50)
    for i, uid in enumerate(fans):
        t = await room.join(deps, show, uid)
        # before the draw a fan sees the draw's size (their worst place), never their rank
        assert (t.position, t.admitted, t.admitted_until) == (i + 1, False, None)
        assert t.etr_seconds >= 3500
    await set_on_sale(show, "-1 millisecond")
    tickets = [await room.ticket(deps, show, uid) for uid in fans]
    ranks = [place(t) for t in tickets if t is not None]
    assert len(ranks) == 50
    assert sorted(ranks) == list(range(50))  # one admitted (the opening token), then 1..49
    assert ranks != list(range(50))  # arrival order: probability 1/50!
    assert sum(t.admitted for t in tickets if t is not None) == 1


async def test_late_arrivals_go_to_the_back_in_arrival_order(redis, show):
    deps = deps_with(redis)
    early, late = await users(5, "early"), await users(4, "late")
    for uid in early:
        await room.join(deps, show, uid)
    await set_on_sale(show, "-1 millisecond")
    positions = [(await room.join(deps, show, uid)).position for uid in late]
    assert positions == [5, 6, 7, 8]  # 4 early fans still waiting (one admitted at opening)
    again = [(await room.join(deps, show, uid)).position for uid in late]
    assert again == positions  # a second join returns the current ticket
    # the room's keys outlive the show (starting in 24 h) by an hour, then Redis forgets them
    for key in (room.line_key(show), room.admitted_key(show), room.state_key(show)):
        assert 24 * 3600 < await redis.ttl(key) <= 25 * 3600


async def test_a_thousand_joins_from_one_user_take_one_place(redis, show):
    deps = deps_with(redis)
    bot, fan = await users(2, "bot")
    tickets = await asyncio.gather(*(room.join(deps, show, bot) for _ in range(1000)))
    assert {t.position for t in tickets} == {1}
    assert (await room.join(deps, show, fan)).position == 2
    assert await redis.zcard(room.line_key(show)) == 2
    await set_on_sale(show, "-1 millisecond")
    tickets = await asyncio.gather(*(room.join(deps, show, bot) for _ in range(1000)))
    assert len({(t.position, t.admitted) for t in tickets}) == 1
    assert await redis.zcard(room.line_key(show)) + await redis.zcard(room.admitted_key(show)) == 2


async def test_admission_follows_the_line_at_the_configured_rate(redis, show):
    rate = 8.0
    deps = deps_with(redis, rate=rate)
    fans = await users(24)
    for uid in fans:
        await room.join(deps, show, uid)
    opened = await set_on_sale(show, "0 seconds")
    line = [int(x) for x in await redis.zrange(room.line_key(show), 0, -1)]
    assert sorted(line) == sorted(fans)
    pubsub = redis.pubsub()
    await pubsub.subscribe(room_channel(show))
    try:
        admitted: list[int] = []
        deadline = time.monotonic() + 60
        while len(admitted) < len(fans):
            assert time.monotonic() < deadline, "admission stalled"
            # the worker's cron: nobody reads a ticket, the line moves anyway
            await room.advance_active_rooms(deps)
            now = datetime.now(UTC)  # read after the advance: an upper bound on its clock
            admitted = [int(x) for x in await redis.zrange(room.admitted_key(show), 0, -1)]
            # front first: the admitted are always the head of the line (in any order)
            assert sorted(admitted) == sorted(line[: len(admitted)])
            # never faster than one opening token + the rate since opening
            elapsed = (now - opened) / timedelta(seconds=1)
            assert len(admitted) <= 1 + rate * (elapsed + 0.002)
            await asyncio.sleep(0.05)
        kinds = [(await pubsub.get_message(timeout=1.0) or {}).get("type") for _ in range(2)]
        assert "message" in kinds  # admissions were announced to subscribers
    finally:
        await pubsub.aclose()
    # admitted fans keep the room active (and reserve gated) until their admissions lapse
    assert await redis.sismember(room.ACTIVE_KEY, str(show))


async def test_admission_expires_and_the_fan_queues_again(redis, show):
    deps = deps_with(redis, seconds=1)
    first, second = await users(2)
    await room.join(deps, show, first)
    await room.join(deps, show, second)
    await set_on_sale(show, "-1 millisecond")
    tickets = {uid: await room.ticket(deps, show, uid) for uid in (first, second)}
    lucky = next(uid for uid, t in tickets.items() if t is not None and t.admitted)
    other = second if lucky == first else first
    admitted = tickets[lucky]
    assert admitted is not None and admitted.admitted_until is not None
    assert await room.admission_check(deps, lucky, show) is None
    blocked = await room.admission_check(deps, other, show)
    assert isinstance(blocked, room.NotAdmittedOutcome) and blocked.position == 1
    await asyncio.sleep(max(0.0, room.seconds_until(admitted.admitted_until)) + 0.2)
    assert await room.ticket(deps, show, lucky) is None  # the admission lapsed
    again = await room.admission_check(deps, lucky, show)
    # joined again implicitly, behind the fan who was waiting
    assert isinstance(again, room.NotAdmittedOutcome) and again.position == 2


async def test_before_on_sale_reserve_is_refused_with_the_opening_time(redis, show):
    deps = deps_with(redis)
    (fan,) = await users(1)
    refused = await room.admission_check(deps, fan, show)
    assert isinstance(refused, room.InvalidOutcome) and refused.field == "showId"
    assert "open at" in refused.message


async def test_a_show_without_on_sale_at_has_no_room_and_costs_no_redis_call(redis, clean):
    s = await make_show(rows=1, per_row=2)
    deps = deps_with(redis)
    (fan,) = await users(1)
    assert await room.admission_check(deps, fan, s.show_id) is None
    t = await room.join(deps, s.show_id, fan)
    assert (t.position, t.admitted, t.admitted_until) == (0, True, None)
    assert await redis.dbsize() == 0


async def test_a_redis_wipe_empties_the_room_and_it_reforms(redis, show):
    deps = deps_with(redis)
    fans = await users(3)
    for uid in fans:
        await room.join(deps, show, uid)
    await set_on_sale(show, "-1 millisecond")
    assert [await room.ticket(deps, show, uid) for uid in fans].count(None) == 0
    await redis.flushdb()  # this test's own Redis database only
    assert [await room.ticket(deps, show, uid) for uid in fans] == [None, None, None]
    # an empty room after opening stops nobody ...
    assert await room.admission_check(deps, fans[0], show) is None
    # ... and re-forms as fans come back: the first is admitted, the rest queue in order
    rejoined = [await room.join(deps, show, uid) for uid in fans]
    assert [place(t) for t in rejoined] == [0, 1, 2]


async def test_join_refuses_unknown_and_cancelled_shows(redis, show):
    deps = deps_with(redis)
    (fan,) = await users(1)
    with pytest.raises(room.RoomError) as unknown:
        await room.join(deps, 999_999, fan)
    assert unknown.value.code == "NOT_FOUND"
    await db.pool().execute("UPDATE show SET status = 'CANCELLED' WHERE id = $1", show)
    room.clear_room_shows()
    with pytest.raises(room.RoomError) as cancelled:
        await room.join(deps, show, fan)
    assert cancelled.value.code == "BAD_USER_INPUT"


async def test_a_zero_rate_pauses_admission(redis, show):
    deps = deps_with(redis, rate=0)
    fans = await users(3)
    for uid in fans:
        await room.join(deps, show, uid)
    await set_on_sale(show, "-1 millisecond")
    await room.advance_active_rooms(deps)
    tickets = [await room.ticket(deps, show, uid) for uid in fans]
    assert sorted(t.position for t in tickets if t is not None) == [1, 2, 3]
    assert isinstance(await room.admission_check(deps, fans[0], show), room.NotAdmittedOutcome)
