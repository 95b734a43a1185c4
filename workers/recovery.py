"""What a (re)starting worker rebuilds from Postgres: the expiry timers of live holds.

Expiry jobs live in Redis. A Redis that came back empty has none, so each worker start
re-enqueues `expire:{id}` for every live hold at its due time (arq keeps an existing job with the
same id, so a Redis that kept its data is unchanged). Holds already overdue are the sweeper's.
"""

from __future__ import annotations

import asyncio
import logging

from arq.connections import ArqRedis

from boxoffice import db
from boxoffice.services.jobs import schedule_expiry
from models.booking import ReservationStatus

log = logging.getLogger(__name__)

_LIVE = f"""SELECT id, greatest(expires_at, payment_pending_until) AS due FROM reservation
           WHERE status = '{ReservationStatus.HELD}'
             AND greatest(expires_at, payment_pending_until) > now()"""


async def reschedule_live_holds(arq: ArqRedis, concurrency: int = 32) -> int:
    rows = await db.pool().fetch(_LIVE)
    sem = asyncio.Semaphore(concurrency)

    async def one(rid: int, due: object) -> None:
        async with sem:
            await schedule_expiry(arq, rid, due)  # type: ignore[arg-type]

    await asyncio.gather(*(one(r["id"], r["due"]) for r in rows))
    return len(rows)
