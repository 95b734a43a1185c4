"""The `waitingRoom` feed: a fan's ticket now and on every change, until they are admitted.

Subscribing is joining (idempotent), so a fan whose place was lost with Redis's data is put
back by their own subscription. The ticket is re-read when the room announces admissions, at
the on-sale instant, and at least every second (each re-read also advances the room, so the
line moves for subscribers even without a worker running).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from boxoffice.db import Busy
from boxoffice.events import room_channel
from boxoffice.realtime.hub import Hub
from boxoffice.services import waitingroom
from boxoffice.services.deps import Deps
from boxoffice.services.waitingroom import RoomTicket

IDLE_REREAD_SECONDS = 1.0
BEFORE_REREAD_SECONDS = 5.0  # before the draw only the room's size changes


async def room_updates(hub: Hub, deps: Deps, show_id: int,
                       user_id: int) -> AsyncGenerator[RoomTicket, None]:
    """Tickets for `user_id` in `show_id`'s room; ends with the admission. Raises
    waitingroom.RoomError for an unknown, cancelled or started show."""
    async with hub.subscribe(room_channel(show_id)) as inbox:
        last: RoomTicket | None = None
        while True:
            try:
                ticket = await waitingroom.join(deps, show_id, user_id)
            except Busy:  # Redis unreachable for a moment: the hub reconnects, we look again
                await asyncio.sleep(IDLE_REREAD_SECONDS)
                continue
            if ticket != last:
                yield ticket
                last = ticket
            if ticket.admitted:
                return
            wait = IDLE_REREAD_SECONDS
            show = await waitingroom.room_show(show_id)
            if show is not None and show.on_sale_at is not None:
                to_open = waitingroom.seconds_until(show.on_sale_at)
                if to_open > 0:
                    # wake just after opening: that is when the drawn place becomes known
                    wait = min(BEFORE_REREAD_SECONDS, to_open + 0.01)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(inbox.get(), wait)
            inbox.drain()  # a burst of "room changed" needs one re-read
