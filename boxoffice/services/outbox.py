"""The notification outbox: a row written in the same transaction as the event it announces."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from models.booking import NotificationStatus

# inside confirm's transaction (the BOOKING_CONFIRMED row): raw asyncpg
_INSERT = f"""INSERT INTO notification ("user", show, kind, channel, payload, status, attempts,
    created_at) VALUES ($1, $2, $3, $4, $5::jsonb, '{NotificationStatus.PENDING}', 0, now())"""

async def add_notification(conn: asyncpg.Connection, *, user_id: int, show_id: int | None,
                           kind: str, channel: str, payload: dict[str, Any]) -> None:
    await conn.execute(
        _INSERT, user_id, show_id, kind, channel, json.dumps(payload, separators=(",", ":")),
    )
