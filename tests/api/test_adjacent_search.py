"""search(minAdjacentSeats:): only shows with N adjacent FREE seats in one row, from the seat-map
cache, with pages, cursors and totalCount that agree."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from boxoffice.services.seatcache import clear_seat_cache
from boxoffice.services.seatruns import longest_run, run_key
from tests.api.booking_ops import RESERVE, operation
from tests.factories import make_show

SEARCH = operation("Search")


@pytest.fixture(autouse=True)
def _forget_seat_cache() -> Iterator[None]:
    """Show ids recur across tests: leave no in-process seat metadata or hot shows behind."""
    clear_seat_cache()
    yield
    clear_seat_cache()


async def search(api, **inp: Any) -> dict[str, Any]:
    return (await api(SEARCH, {"input": inp}))["search"]  # type: ignore[no-any-return]


async def ids(api, **inp: Any) -> list[int]:
    return [int(e["node"]["showId"]) for e in (await search(api, **inp))["edges"]]


async def ids_within_staleness(api, want: list[int], **inp: Any) -> list[int]:
    """The contract lets minAdjacentSeats be as stale as availableSeats (~2 s; searches are
    served from the response cache): ask until the answer is `want` or 2 s have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2
    while True:
        got = sorted(await ids(api, **inp))
        if got == sorted(want) or loop.time() > deadline:
            return got
        await asyncio.sleep(0.1)


async def hold(api, token: str, show_id: int, seats: list[str]) -> None:
    r = (await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}},
                   token=token))["reserve"]
    assert r["__typename"] == "Reservation", r


def test_longest_run_counts_adjacent_free_seats_in_one_row():
    assert longest_run([]) == 0
    row = [("A", x, x not in (3, 7)) for x in range(1, 10)]  # 1-2, 4-6, 8-9 free
    assert longest_run(row) == 3
    aisle = [("B", x, True) for x in (1, 2, 3, 5, 6)]  # a gap in x is an aisle
    assert longest_run(aisle) == 3
    assert longest_run([("A", 1, True), ("B", 2, True)]) == 1  # different rows


async def test_min_adjacent_seats_filters_from_the_cache(api, redis):
    whole = await make_show(rows=2, per_row=5, name="whole")  # untouched: run 5
    split = await make_show(rows=1, per_row=6, name="split")
    small = await make_show(rows=1, per_row=4, name="small")
    a, b = await api.token("a@example.com"), await api.token("b@example.com")
    await hold(api, a, split.show_id, ["A-3"])  # runs 2 and 3
    await hold(api, a, small.show_id, ["A-2"])  # runs 1 and 2
    assert sorted(await ids(api)) == [whole.show_id, split.show_id, small.show_id]
    assert sorted(await ids(api, minAdjacentSeats=2)) == sorted(
        [whole.show_id, split.show_id, small.show_id])
    assert sorted(await ids(api, minAdjacentSeats=3)) == [whole.show_id, split.show_id]
    assert await ids(api, minAdjacentSeats=4) == [whole.show_id]
    assert await ids(api, minAdjacentSeats=6) == []
    assert await redis.exists(run_key(split.show_id))  # cached with its seat version
    # a new hold patches the cached seat map and the stored run goes stale with its version
    await hold(api, b, split.show_id, ["A-5"])  # runs 2, 1, 1
    assert await ids_within_staleness(api, [whole.show_id], minAdjacentSeats=3) == [
        whole.show_id]
    # a Redis wipe: the cache refills from Postgres, same answer
    await redis.flushdb()
    assert await ids_within_staleness(api, [whole.show_id], minAdjacentSeats=3) == [
        whole.show_id]
    assert sorted(await ids(api, minAdjacentSeats=2)) == sorted(
        [whole.show_id, split.show_id, small.show_id])


async def test_pages_cursors_and_total_count_agree_under_the_filter(api):
    shows = [await make_show(rows=1, per_row=4, name=f"s{i}", starts_in_hours=10 + i)
             for i in range(6)]
    blocked = {shows[1].show_id, shows[4].show_id}
    for i, s in enumerate(shows):
        if s.show_id in blocked:
            await hold(api, await api.token(f"f{i}@example.com"), s.show_id, ["A-2"])
    expected = [s.show_id for s in shows if s.show_id not in blocked]
    seen: list[int] = []
    after = None
    while True:
        page = await search(api, minAdjacentSeats=3, first=1,
                            **({"after": after} if after else {}))
        assert page["totalCount"] == len(expected)
        seen += [int(e["node"]["showId"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected  # SHOWTIME order, each once
    # a cursor is bound to its filter
    wrong = await api.raw(SEARCH, {"input": {"minAdjacentSeats": 2, "first": 1,
                                             "after": after}})
    assert wrong["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_min_adjacent_seats_out_of_range_is_bad_input(api):
    for n in (0, -3, 101):
        body = await api.raw(SEARCH, {"input": {"minAdjacentSeats": n}})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", n
        assert body["errors"][0]["extensions"]["field"] == "minAdjacentSeats"
