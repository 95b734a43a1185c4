"""The worker keeps on-sale waiting rooms moving when no fan asks (cron every second)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from boxoffice import db
from boxoffice.auth import get_or_create_user
from boxoffice.services import waitingroom as room
from boxoffice.services.deps import Deps
from boxoffice.settings import get_settings
from tests.factories import make_show
from tests.workers.conftest import running_worker


async def test_the_worker_admits_fans_nobody_polls_for(redis, clean):
    settings = replace(get_settings(), admission_rate=5.0)
    deps = Deps(settings=settings, redis=redis, arq=redis)  # type: ignore[arg-type]
    show = (await make_show(rows=1, per_row=4)).show_id
    await db.pool().execute(
        "UPDATE show SET on_sale_at = now() + interval '1 hour' WHERE id = $1", show)
    fans = [(await get_or_create_user(f"fan{i}@example.com")).id for i in range(3)]
    for uid in fans:
        await room.join(deps, show, uid)
    await db.pool().execute("UPDATE show SET on_sale_at = now() WHERE id = $1", show)
    room.clear_room_shows()
    async with running_worker(settings):
        deadline = time.monotonic() + 20
        while await redis.zcard(room.admitted_key(show)) < len(fans):
            assert time.monotonic() < deadline, "the worker did not admit the waiting fans"
            await asyncio.sleep(0.1)
    assert await redis.zcard(room.line_key(show)) == 0
