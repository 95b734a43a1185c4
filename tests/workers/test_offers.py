"""The fair queue: offers made in the releasing transaction, FIFO with skip-ahead, lapsing offers,
and no seat offered twice when several workers expire holds at once."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

from boxoffice import db, metrics
from boxoffice.services import queue
from boxoffice.services.deps import Deps
from boxoffice.services.expiry import expire_overdue, expire_reservation
from tests.api.booking_ops import CANCEL, CONFIRM, RESERVE
from tests.audit import audit_show
from tests.factories import make_show
from tests.workers.conftest import (
    make_due,
    reservation_status,
    running_worker,
    seat_statuses,
    state_of,
    wait_until,
)

QUEUE_POSITION = """query Q($s: ID!) { queuePosition(showId: $s) {
  position etrSeconds seatsWanted offer { id seats status expiresAt } } }"""


async def reserve(api, token, show_id, seats):
    return (await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}},
                      token=token))["reserve"]


async def confirm(api, token, rid, key="k"):
    return (await api(CONFIRM, {"input": {"reservationId": rid, "paymentToken": "tok_visa",
                                          "idempotencyKey": key}}, token=token))["confirm"]


async def ticket(api, token, show_id):
    return (await api(QUEUE_POSITION, {"s": str(show_id)}, token=token))["queuePosition"]


async def live_offer(user_email: str, show_id: int):
    return await db.pool().fetchrow(
        """SELECT r.id, r.seat_labels, r.expires_at FROM reservation r
           JOIN app_user u ON u.id = r."user"
           WHERE u.email = $1 AND r.show = $2 AND r.status = 'HELD' AND r.is_offer""",
        user_email, show_id,
    )


class Hammer:
    """A user who keeps asking for the same seats, as fast as the API answers."""

    def __init__(self, api, token, show_id, seats):
        self.api, self.token, self.show_id, self.seats = api, token, show_id, seats
        self.results: list[str] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def _run(self):
        while not self._stop.is_set():
            r = await reserve(self.api, self.token, self.show_id, self.seats)
            self.results.append(r["__typename"])
            await asyncio.sleep(0)

    def start(self):
        self._stop.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self):
        self._stop.set()
        assert self._task is not None
        await self._task


async def test_fifo_with_skip_ahead_lapse_and_confirm(api):
    """The acceptance scenario: waiters for 4, 2 and 1 seats; 2 seats come back."""
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, rate_limits_enabled=False)
    show = await make_show(rows=1, per_row=7)
    sid = show.show_id
    emails = ["yuri", "xena", "w4", "w2", "w1", "hammer"]
    yuri, xena, w4, w2, w1, hammer = [await api.token(f"{e}@example.com") for e in emails]
    # sold out: five seats booked, two held by xena
    booked = await reserve(api, yuri, sid, ["A-1", "A-2", "A-3", "A-4", "A-5"])
    assert (await confirm(api, yuri, booked["id"]))["__typename"] == "Booking"
    held = await reserve(api, xena, sid, ["A-6", "A-7"])
    assert held["__typename"] == "Reservation"
    for token, seats, position in [(w4, ["A-1", "A-2", "A-3", "A-4"], 1),
                                   (w2, ["A-6", "A-7"], 2), (w1, ["A-6"], 3)]:
        q = await reserve(api, token, sid, seats)
        assert q["__typename"] == "Queued" and q["position"] == position

    h = Hammer(api, hammer, sid, ["A-6", "A-7"])
    async with running_worker():
        # 1. xena's hold lapses: her two seats go straight to the 2-seat waiter
        h.start()
        await make_due(held["id"])
        offer2 = await wait_until(lambda: live_offer("w2@example.com", sid), within=6)
        await asyncio.sleep(0.2)  # keep hammering a little after the handover
        await h.stop()
        assert "Reservation" not in h.results and h.results, h.results
        assert await reservation_status(held["id"]) == "EXPIRED"
        assert sorted(offer2["seat_labels"]) == ["A-6", "A-7"]
        offer_seconds = (offer2["expires_at"] - datetime.now(UTC)).total_seconds()
        assert 290 < offer_seconds <= 300
        statuses = await seat_statuses(sid)
        assert statuses["A-6"] == statuses["A-7"] == "HELD"

        t4 = await ticket(api, w4, sid)
        assert t4["position"] == 1 and t4["seatsWanted"] == 4 and t4["offer"] is None
        t2 = await ticket(api, w2, sid)
        assert t2["offer"]["id"] == str(offer2["id"]) and t2["offer"]["status"] == "HELD"
        assert sorted(t2["offer"]["seats"]) == ["A-6", "A-7"] and t2["etrSeconds"] == 0
        t1 = await ticket(api, w1, sid)
        assert t1["position"] == 2 and t1["offer"] is None
        kinds = await db.pool().fetch(
            "SELECT kind FROM notification n JOIN app_user u ON u.id = n.\"user\" "
            "WHERE u.email = 'w2@example.com'")
        assert [k["kind"] for k in kinds] == ["OFFER_MADE"]

        # 2. the 2-seat waiter lets the offer lapse: it passes to the 1-seat waiter, and the
        #    4-seat waiter still does not fit and stays first
        h.start()
        await make_due(offer2["id"])
        offer1 = await wait_until(lambda: live_offer("w1@example.com", sid), within=6)
        await asyncio.sleep(0.2)
        await h.stop()
        assert "Reservation" not in h.results, h.results
    assert await reservation_status(offer2["id"]) == "EXPIRED"
    assert len(offer1["seat_labels"]) == 1 and offer1["seat_labels"][0] in ("A-6", "A-7")
    assert await ticket(api, w2, sid) is None
    assert (await ticket(api, w4, sid))["position"] == 1
    t1 = await ticket(api, w1, sid)
    assert t1["offer"]["id"] == str(offer1["id"]) and t1["offer"]["seats"] == \
        list(offer1["seat_labels"])

    # 3. the 1-seat waiter confirms the offer through the API
    booking = await confirm(api, w1, str(offer1["id"]), key="w1")
    assert booking["__typename"] == "Booking"
    assert [t["seat"] for t in booking["tickets"]] == list(offer1["seat_labels"])
    assert (await seat_statuses(sid))[offer1["seat_labels"][0]] == "BOOKED"
    assert await ticket(api, w1, sid) is None
    assert await audit_show(sid) == []


async def test_cancel_hands_the_seats_to_the_waiter_in_the_same_transaction(api, redis):
    show = await make_show(rows=1, per_row=4)
    sid = show.show_id
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    r = await reserve(api, alice, sid, ["A-1", "A-2", "A-3", "A-4"])
    assert (await reserve(api, bob, sid, ["A-2", "A-3"]))["__typename"] == "Queued"

    cancelled = (await api(CANCEL, {"id": r["id"]}, token=alice))["cancelReservation"]
    assert cancelled["status"] == "CANCELLED"
    offer = await live_offer("bob@example.com", sid)  # made by the cancel itself, no worker
    assert offer is not None
    # best adjacent pair; the two others are the only FREE seats
    statuses = await seat_statuses(sid)
    assert sorted(lbl for lbl, st in statuses.items() if st == "HELD") == \
        sorted(offer["seat_labels"])
    labels = sorted(int(lbl.split("-")[1]) for lbl in offer["seat_labels"])
    assert labels[1] - labels[0] == 1
    assert await queue.position(redis, sid, 2) is None  # served: out of the queue
    free = await db.pool().fetchval("SELECT free_seats FROM show WHERE id = $1", sid)
    assert free == 2
    assert await audit_show(sid) == []


async def test_waiter_already_holding_seats_is_skipped_and_keeps_the_place(api, redis):
    show = await make_show(rows=1, per_row=4)
    sid = show.show_id
    yuri, xena, zoe = [await api.token(f"{n}@example.com") for n in ("yuri", "xena", "zoe")]
    await reserve(api, yuri, sid, ["A-1", "A-2"])
    x = await reserve(api, xena, sid, ["A-3", "A-4"])
    assert (await reserve(api, yuri, sid, ["A-3"]))["__typename"] == "Queued"  # holds
    assert (await reserve(api, zoe, sid, ["A-4"]))["__typename"] == "Queued"
    await make_due(x["id"])
    handover = await expire_reservation(state_of(api).deps, int(x["id"]))
    assert handover is not None and len(handover.offers) == 1
    assert await live_offer("zoe@example.com", sid) is not None
    assert (await ticket(api, yuri, sid))["position"] == 1  # skipped, not dropped


async def test_two_expiry_runs_at_once_never_offer_a_seat_twice(isolation, api):
    """Two sweepers (as in two workers) and per-hold expiries, all at once, on one show."""
    show = await make_show(rows=4, per_row=10)
    sid = show.show_id
    holders = [await api.token(f"h{i}@example.com") for i in range(20)]
    holds = []
    for i, token in enumerate(holders):  # 20 holds x 2 seats: sold out
        row, n = "ABCD"[i // 5], (i % 5) * 2 + 1
        r = await reserve(api, token, sid, [f"{row}-{n}", f"{row}-{n + 1}"])
        assert r["__typename"] == "Reservation", r
        holds.append(int(r["id"]))
    wants = [3, 1, 2, 2, 1, 3, 1, 2, 3, 1, 2, 1, 3, 2, 1, 1, 2, 3, 1, 2, 2, 1, 3, 1, 2]
    for i, n in enumerate(wants):
        q = await reserve(api, await api.token(f"w{i}@example.com"), sid, ["A-1", "A-2", "A-3"][:n])
        assert q["__typename"] == "Queued"
    await make_due(*holds)

    state = state_of(api)
    one, two = state.deps, Deps(state.settings, state.redis, state.arq)
    conflicts_before = metrics.value("txn_conflicts_total")

    async def expire_quietly(rid: int) -> None:
        try:
            await expire_reservation(two, rid)
        except db.Busy:
            pass  # contention beyond the retries: the sweepers finish it

    await asyncio.gather(expire_overdue(one), expire_overdue(two),
                         *(expire_quietly(rid) for rid in reversed(holds)))
    await expire_overdue(one)  # whatever contention left over
    if isolation == "serializable":
        # the runs really did collide: serialization failures were raised and retried
        assert metrics.value("txn_conflicts_total") > conflicts_before

    assert all([await reservation_status(rid) == "EXPIRED" for rid in holds])
    assert await audit_show(sid) == []
    offers = await db.pool().fetch(
        """SELECT "user", seat_labels FROM reservation
           WHERE show = $1 AND status = 'HELD' AND is_offer""", sid)
    labels = [lbl for o in offers for lbl in o["seat_labels"]]
    assert len(labels) == len(set(labels))  # no seat offered twice
    assert len({o["user"] for o in offers}) == len(offers)  # one offer per waiter
    statuses = await seat_statuses(sid)
    assert sorted(lbl for lbl, st in statuses.items() if st == "HELD") == sorted(labels)
    free = sum(1 for st in statuses.values() if st == "FREE")
    # skip-ahead never leaves FREE seats that a remaining waiter would fit
    remaining = await queue.waiters(state.redis, sid)
    assert all(w.seats_wanted > free for w in remaining), (free, remaining)
    assert len(remaining) + len(offers) == len(wants)
    assert sum(len(o["seat_labels"]) for o in offers) + free == 40


async def test_redis_down_at_release_frees_the_seats_and_the_queue_pass_serves_later(
        api, monkeypatch):
    """Seat state never depends on Redis; the periodic queue pass closes the gap."""
    from boxoffice.services import offers
    from workers.queue import serve_waiting

    show = await make_show(rows=1, per_row=2)
    sid = show.show_id
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    held = await reserve(api, alice, sid, ["A-1", "A-2"])
    assert (await reserve(api, bob, sid, ["A-1"]))["__typename"] == "Queued"

    async def redis_down(*args, **kwargs):
        raise ConnectionError("redis is restarting")

    monkeypatch.setattr(offers.queue, "waiters", redis_down)
    await make_due(held["id"])
    handover = await expire_reservation(state_of(api).deps, int(held["id"]))
    assert handover is not None and handover.offers == ()
    assert set((await seat_statuses(sid)).values()) == {"FREE"}  # freed all the same
    monkeypatch.undo()

    assert await serve_waiting({"deps": state_of(api).deps}) == 1
    offer = await live_offer("bob@example.com", sid)
    assert offer is not None and len(offer["seat_labels"]) == 1
    assert await serve_waiting({"deps": state_of(api).deps}) == 0  # nobody left who fits
    assert await audit_show(sid) == []
