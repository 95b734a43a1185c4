"""The compact seat map: a show's static layout under its own version, statuses as a string.

A phone keeps the layout (labels, positions, categories, prices: ~10 KB for 200 seats) and, per
refresh, reads only `statusString` (one character a seat, in layout order) with `version` and
`layoutVersion`: ~250 bytes instead of ~14 KB. `layoutVersion` is a hash of the layout's content,
so it changes exactly when the layout does, on every process, after any cache loss.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from boxoffice.services.catalog import SeatRow
from models.booking import SeatStatus

STATUS_CHAR: dict[str, str] = {SeatStatus.FREE: "F", SeatStatus.HELD: "H", SeatStatus.BOOKED: "B"}


def layout_version(currency: str, seats: Sequence[SeatRow]) -> str:
    """16 hex characters naming the layout (not the statuses) of these seats."""
    layout = [[s.label, s.row, s.number, s.x, s.y, s.category, s.price] for s in seats]
    raw = json.dumps([currency, layout], separators=(",", ":")).encode()
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def status_string(seats: Sequence[SeatRow]) -> str:
    """One character per seat in layout order: F free, H held, B booked."""
    return "".join(STATUS_CHAR[s.status] for s in seats)
