"""The notification outbox: a row written in the same transaction as the event it announces."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from models.booking import NotificationStatus


async def add_notification(conn: asyncpg.Connection, *, user_id: int, show_id: int | None,
                           kind: str, channel: str, payload: dict[str, Any]) -> None:
    await conn.execute(
        f"""INSERT INTO notification ("user", show, kind, channel, payload, status, attempts,
               created_at)
           VALUES ($1, $2, $3, $4, $5::jsonb, '{NotificationStatus.PENDING}', 0, now())""",
        user_id, show_id, kind, channel, json.dumps(payload, separators=(",", ":")),
    )
