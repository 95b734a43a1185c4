"""A field error cancels its sibling fields (graphql-core); a sibling cancelled while its query
was prepared but not yet executed must not leave its server session inside a transaction.

asyncpg prepares with Parse/Describe/Flush (no Sync): cancelled at that point, the session sat
`active` (ClientRead) in an implicit transaction, holding locks and a snapshot until reused —
the "stragglers" test clean-up used to terminate. boxoffice/dburl.py ends it on release.
"""

from __future__ import annotations

import asyncio

from boxoffice import db

# cities and movies query Postgres; seatMap with a bad id fails at once, nulling `data` and
# cancelling the siblings still running
DOCUMENT = """{ cities { name } movies { title } cinemas(city: "Bangalore") { name }
                seatMap(showId: "-1") { free } }"""


async def busy_sessions() -> list[str]:
    rows = await db.pool().fetch(
        """SELECT state, wait_event, query FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()
             AND state <> 'idle'"""
    )
    return [f"{r['state']}/{r['wait_event']}: {r['query'][:80]}" for r in rows]


async def test_cancelled_sibling_fields_leave_no_session_mid_transaction(api, demo) -> None:
    for _ in range(40):
        body = await api.raw(DOCUMENT)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == \
            "BAD_USER_INPUT", body
    await asyncio.sleep(0.5)  # let the released connections settle
    assert await busy_sessions() == []
    # and the pool still answers on every connection
    await asyncio.gather(*[db.pool().fetchval("SELECT 1") for _ in range(10)])
