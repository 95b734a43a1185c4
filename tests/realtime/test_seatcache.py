"""The Redis seat-map cache: codec, cold rebuild, atomic patching, version floor, reconcile."""

from __future__ import annotations

import json
import random

from boxoffice import db
from boxoffice.events import seats_channel
from boxoffice.services import seatcache as sc
from tests.api.booking_ops import CANCEL, RESERVE
from tests.factories import make_show


async def reserve(api, token, show_id, seats):
    data = await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}}, token=token)
    return data["reserve"]


def statuses(view) -> dict[str, str]:
    return {s.label: s.status for s in view.seats}


def test_codec_round_trip_and_bitfield_bit_order():
    rng = random.Random(7)
    for n in (0, 1, 3, 4, 5, 257):
        codes = [rng.choice((0, 1, 2)) for _ in range(n)]
        assert sc.decode(sc.encode(codes), n) == codes
    # seat 0 is the top two bits of byte 0, as BITFIELD u2 #0 addresses it
    assert sc.encode([2, 0, 0, 1]) == bytes([0b10000001])


async def test_cold_read_builds_the_cache_and_publishes_patch_it(api, redis):
    show = await make_show(rows=3, per_row=4)
    cold = await sc.get_seat_map(redis, show.show_id)
    assert cold is not None and cold.version == 0 and cold.currency == "INR"
    assert [s.label for s in cold.seats] == show.labels  # rows A.., then number
    assert cold.count("FREE") == 12
    assert await redis.exists(sc.bitmap_key(show.show_id), sc.index_key(show.show_id)) == 2

    alice = await api.token("alice@example.com")
    r = await reserve(api, alice, show.show_id, ["B-2", "B-3"])
    assert r["__typename"] == "Reservation"
    # the publish Lua patched the bitmap in place, with the version bump
    raw = await redis.get(sc.bitmap_key(show.show_id))
    assert sc.decode(raw, 12)[5:7] == [1, 1]
    warm = await sc.get_seat_map(redis, show.show_id)
    assert warm is not None
    assert warm.version == 1 and statuses(warm)["B-2"] == "HELD" and warm.count("HELD") == 2

    await api(CANCEL, {"id": r["id"]}, token=alice)
    after = await sc.get_seat_map(redis, show.show_id)
    assert after is not None and after.version == 2 and after.count("FREE") == 12


async def test_unknown_show_is_none(redis, clean):
    assert await sc.get_seat_map(redis, 999_999) is None


async def test_a_missing_index_drops_the_bitmap_and_the_next_read_rebuilds_it(api, redis):
    show = await make_show(rows=2, per_row=3)
    await sc.get_seat_map(redis, show.show_id)
    await redis.delete(sc.index_key(show.show_id))  # e.g. expired on its own
    alice = await api.token("alice@example.com")
    await reserve(api, alice, show.show_id, ["A-1"])
    assert not await redis.exists(sc.bitmap_key(show.show_id))  # never a wrong bitmap
    view = await sc.get_seat_map(redis, show.show_id)
    assert view is not None
    assert view.version == 1 and statuses(view)["A-1"] == "HELD"  # rebuilt from Postgres
    assert await redis.exists(sc.bitmap_key(show.show_id))


async def test_versions_never_go_backwards_after_redis_loses_its_data(api, app, redis):
    show = await make_show(rows=2, per_row=3)
    alice = await api.token("alice@example.com")
    await reserve(api, alice, show.show_id, ["A-1"])
    refresher = app.state.boxoffice.realtime.refresher
    await refresher.stop()
    await refresher.reconcile(show.show_id)  # persists version 1
    assert await db.pool().fetchval("SELECT seat_version FROM show WHERE id = $1",
                                    show.show_id) == 1
    for key in (sc.version_key, sc.bitmap_key, sc.index_key, sc.meta_key):
        await redis.delete(key(show.show_id))
    sc.clear_seat_cache()
    view = await sc.get_seat_map(redis, show.show_id)
    assert view is not None
    assert view.version == 1 + sc.VERSION_GAP and statuses(view)["A-1"] == "HELD"
    bob = await api.token("bob@example.com")
    await reserve(api, bob, show.show_id, ["B-1"])
    view = await sc.get_seat_map(redis, show.show_id)
    assert view is not None
    assert view.version == 2 + sc.VERSION_GAP


async def test_reconcile_corrects_a_lost_event_for_cache_and_subscribers(api, app, redis,
                                                                       own_show_ids):
    show = await make_show(rows=2, per_row=3)
    await sc.get_seat_map(redis, show.show_id)
    alice = await api.token("alice@example.com")
    await reserve(api, alice, show.show_id, ["A-2"])
    # as if that change's event (and its bitmap patch) had been lost after COMMIT
    await redis.set(sc.bitmap_key(show.show_id), sc.encode([0] * 6))
    refresher = app.state.boxoffice.realtime.refresher
    await refresher.stop()  # drive the rounds by hand
    pubsub = redis.pubsub()
    await pubsub.subscribe(seats_channel(show.show_id))
    await refresher.reconcile(show.show_id)  # first sighting: could be an event in flight
    assert statuses(await sc.get_seat_map(redis, show.show_id))["A-2"] == "FREE"
    await refresher.reconcile(show.show_id)  # still there: correct it
    view = await sc.get_seat_map(redis, show.show_id)
    assert view is not None
    assert view.version == 2 and statuses(view)["A-2"] == "HELD"
    message = None
    for _ in range(20):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message:
            break
    await pubsub.aclose()
    assert message is not None
    assert json.loads(message["data"]) == {
        "showId": show.show_id, "version": 2, "changes": [{"label": "A-2", "status": "HELD"}]}
    assert refresher.corrections == 1
