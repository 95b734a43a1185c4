"""A SQL audit of booking invariants, used after concurrency tests.

Returns a list of human-readable violations; empty means consistent. It is tested against a
deliberately corrupted database (tests/api/test_burst.py) so that it can fail.
"""

from __future__ import annotations

import asyncpg

from boxoffice import db


async def audit_show(show_id: int,
                     source: asyncpg.Pool | asyncpg.Connection | None = None) -> list[str]:
    """`source`: another database to audit (default: the test database's pool)."""
    p = source if source is not None else db.pool()
    problems: list[str] = []
    # a seat in two live reservations (HELD or CONFIRMED) — the double-booking we must never see
    rows = await p.fetch(
        """SELECT label, array_agg(id) AS ids FROM (
               SELECT id, unnest(seat_labels) AS label FROM reservation
               WHERE show = $1 AND status IN ('HELD', 'CONFIRMED')) x
           GROUP BY label HAVING count(*) > 1""",
        show_id,
    )
    problems += [f"seat {r['label']} in reservations {r['ids']}" for r in rows]
    # every seat of a live reservation is held/booked by exactly that reservation (no partial hold)
    rows = await p.fetch(
        """SELECT r.id, r.status, l.label, s.status AS seat_status, s.reservation
           FROM reservation r CROSS JOIN LATERAL unnest(r.seat_labels) AS l(label)
           LEFT JOIN show_seat s ON s.show = r.show AND s.label = l.label
           WHERE r.show = $1 AND r.status IN ('HELD', 'CONFIRMED')
             AND (s.reservation IS DISTINCT FROM r.id
                  OR s.status <> CASE r.status WHEN 'HELD' THEN 'HELD' ELSE 'BOOKED' END)""",
        show_id,
    )
    problems += [f"reservation {r['id']} ({r['status']}) seat {r['label']} is "
                 f"{r['seat_status']} by {r['reservation']}" for r in rows]
    # every non-FREE seat belongs to a live reservation that lists it
    rows = await p.fetch(
        """SELECT s.label, s.status, s.reservation, r.status AS rstatus
           FROM show_seat s LEFT JOIN reservation r ON r.id = s.reservation
           WHERE s.show = $1 AND s.status <> 'FREE'
             AND (r.id IS NULL OR NOT s.label = ANY(r.seat_labels)
                  OR r.status NOT IN ('HELD', 'CONFIRMED'))""",
        show_id,
    )
    problems += [f"seat {r['label']} {r['status']} for reservation {r['reservation']} "
                 f"({r['rstatus']})" for r in rows]
    # a seat booked by two bookings (tickets)
    rows = await p.fetch(
        """SELECT seat_label FROM ticket WHERE show = $1 GROUP BY seat_label HAVING count(*) > 1""",
        show_id,
    )
    problems += [f"seat {r['seat_label']} ticketed twice" for r in rows]
    return problems
