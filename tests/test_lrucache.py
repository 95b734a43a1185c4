"""Bounded in-process caches: a full cache drops its least recently used entry, never all."""

from __future__ import annotations

from cachetools import LRUCache

from boxoffice.lrucache import bounded, clear_all
from boxoffice.services import seatcache as sc
from resolvers import subscriptions


def test_a_full_cache_evicts_the_least_recently_used_entry_only() -> None:
    cache: LRUCache[int, str] = bounded(3)
    for show in (1, 2, 3):
        cache[show] = f"event {show}"
    assert cache.get(1) == "event 1"  # a read makes it recent
    cache[4] = "event 4"
    assert sorted(cache) == [1, 3, 4]  # only the coldest (2) went
    clear_all()
    assert len(cache) == 0


def test_subscription_memos_keep_the_event_being_fanned_out_when_full() -> None:
    memo = subscriptions._SNAPSHOTS
    maxsize = memo.maxsize  # a float in the cachetools stubs
    assert isinstance(maxsize, int) and maxsize > 0, f"not a bounded memo: {maxsize}"
    for show in range(maxsize + 10):  # more shows than it holds
        memo[show] = (None, show)  # type: ignore[assignment]
        assert memo.get(0) is not None  # show 0 keeps being read, as during a fan-out
    assert len(memo) == maxsize and 0 in memo
    memo.clear()


def _meta(token: str = "t1") -> sc.SeatMeta:
    return sc.SeatMeta(7, token, "INR", ("A-1", "A-2"), ("A", "A"), (1, 2), ("STD", "STD"),
                       (100, 100), (1, 2), (1, 1))


def test_equal_seat_map_contents_give_one_view_object() -> None:
    """Subscribers share a snapshot's rendering by the view's identity: a warm read and a
    rebuild (or two rebuilds) that see the same version and bitmap must return one object."""
    sc.clear_seat_cache()
    first = sc._view(_meta(), 5, bytes(sc.encode([0, 1])))
    again = sc._view(_meta(), 5, bytes(sc.encode([0, 1])))  # equal, not identical, inputs
    assert again is first
    assert sc._view(_meta(), 6, bytes(sc.encode([0, 1]))) is not first  # a new version
    assert sc._view(_meta("t2"), 6, bytes(sc.encode([0, 1]))).version == 6
    sc.clear_seat_cache()
