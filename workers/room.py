"""The on-sale waiting rooms keep moving when nobody asks: admit fans every second."""

from __future__ import annotations

import logging
from typing import Any

from boxoffice.services.waitingroom import advance_active_rooms
from workers.context import deps_of

log = logging.getLogger(__name__)


async def advance_rooms(ctx: dict[str, Any]) -> int:
    """Cron, every second: returns how many fans were admitted."""
    admitted = await advance_active_rooms(deps_of(ctx))
    if admitted:
        log.debug("waiting rooms admitted %s fan(s)", admitted)
    return admitted
