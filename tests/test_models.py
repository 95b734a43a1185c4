"""Database constraints the booking rules rely on, checked against the real schema."""

from __future__ import annotations

import asyncpg
import pytest

from boxoffice import db


async def _a_seat() -> asyncpg.Record:
    row = await db.pool().fetchrow(
        "SELECT * FROM show_seat WHERE label = 'A-1' ORDER BY show LIMIT 1"
    )
    assert row is not None
    return row


async def _insert_copy(seat: asyncpg.Record, **changes: object) -> None:
    values = {k: seat[k] for k in ("show", "cinema_seat", "label", "row", "number", "x", "y",
                                   "category", "price", "status", "reservation")}
    values.update(changes)
    cols = ", ".join(f'"{k}"' for k in values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await db.pool().execute(f"INSERT INTO show_seat ({cols}) VALUES ({params})", *values.values())


async def test_duplicate_show_seat_is_rejected(demo: None) -> None:
    seat = await _a_seat()
    with pytest.raises(asyncpg.UniqueViolationError) as err:
        await _insert_copy(seat)
    assert err.value.constraint_name in {"unique_show_cinema_seat", "show_seat_show_label"}
    # the same label under another physical seat is still a duplicate of the show's label
    other = await db.pool().fetchval(
        "SELECT cinema_seat FROM show_seat WHERE show = $1 AND label = 'B-1'", seat["show"])
    await db.pool().execute("DELETE FROM show_seat WHERE show = $1 AND label = 'B-1'",
                            seat["show"])
    with pytest.raises(asyncpg.UniqueViolationError) as err:
        await _insert_copy(seat, cinema_seat=other)
    assert err.value.constraint_name == "show_seat_show_label"


async def _a_reservation(show_id: int) -> int:
    user = await db.pool().fetchval(
        "INSERT INTO app_user (email, created_at) VALUES ('m@example.com', now()) RETURNING id")
    rid: int = await db.pool().fetchval(
        """INSERT INTO reservation (show, "user", status, seat_labels, amount, currency,
               expires_at, is_offer, created_at, updated_at)
           VALUES ($1, $2, 'HELD', '{A-1}', 20000, 'INR', now() + interval '5 minutes', false,
                   now(), now()) RETURNING id""",
        show_id, user)
    return rid


async def test_unknown_seat_status_is_rejected(demo: None) -> None:
    seat = await _a_seat()
    reservation = await _a_reservation(seat["show"])
    # with a reservation set, only the status check can object
    with pytest.raises(asyncpg.CheckViolationError) as err:
        await db.pool().execute(
            "UPDATE show_seat SET status = 'SOLD', reservation = $2 WHERE id = $1",
            seat["id"], reservation)
    assert err.value.constraint_name == "show_seat_status_check"


@pytest.mark.parametrize("status", ["HELD", "BOOKED"])
async def test_taken_seat_needs_a_reservation(demo: None, status: str) -> None:
    seat = await _a_seat()
    with pytest.raises(asyncpg.CheckViolationError) as err:
        await db.pool().execute("UPDATE show_seat SET status = $2 WHERE id = $1", seat["id"],
                                status)
    assert err.value.constraint_name == "show_seat_held_has_reservation"
    # and with one it is fine
    reservation = await _a_reservation(seat["show"])
    await db.pool().execute("UPDATE show_seat SET status = $2, reservation = $3 WHERE id = $1",
                            seat["id"], status, reservation)


async def test_counters_and_prices_cannot_go_negative(demo: None) -> None:
    seat = await _a_seat()
    with pytest.raises(asyncpg.CheckViolationError):
        await db.pool().execute("UPDATE show SET free_seats = -1 WHERE id = $1", seat["show"])
    with pytest.raises(asyncpg.CheckViolationError):
        await db.pool().execute("UPDATE show_seat SET price = -1 WHERE id = $1", seat["id"])
