"""The one place a GraphQL `ID` becomes a database key.

Canonical form only: ASCII digits, no sign, no leading zero, no underscore or whitespace, within
Postgres `integer`. Python's `int()` also accepts "٣", "2_0", "+3" and " 7 ", so two spellings
could name one row (caches, idempotency, logs would disagree); anything else names nothing.
"""

from __future__ import annotations

import re

_CANONICAL = re.compile(r"[1-9][0-9]{0,9}")
MAX_ID = 2**31 - 1


def parse_id(raw: object) -> int | None:
    """The positive integer key `raw` spells canonically, else None (callers answer "not found")."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw <= MAX_ID else None
    if not isinstance(raw, str) or not _CANONICAL.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None
