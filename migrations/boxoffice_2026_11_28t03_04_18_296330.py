"""Keep seat state changes HOT (heap-only tuple) updates.

A non-HOT update inserts into every index of show_seat; under SERIALIZABLE those index-page
insertions collide with other transactions' page-level predicate locks, so holds on *different*
seats of one show would abort each other. Seats are found by (show, label) from the
reservation's seat_labels, so the index on show_seat.reservation is not needed; a lower
fillfactor leaves room on each page for HOT updates.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T03:04:18:296330"
VERSION = "1.38.0"
DESCRIPTION = "hot updates for show seats"

FORWARD = [
    "DROP INDEX IF EXISTS show_seat_reservation",
    "ALTER TABLE show_seat SET (fillfactor = 70)",
]
BACKWARD = [
    "ALTER TABLE show_seat RESET (fillfactor)",
    "CREATE INDEX IF NOT EXISTS show_seat_reservation ON show_seat (reservation)"
    " WHERE reservation IS NOT NULL",
]


async def _run_all(statements: list[str]) -> None:
    engine = engine_finder()
    assert engine is not None
    for sql in statements:
        await engine.run_ddl(sql)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="boxoffice", description=DESCRIPTION)

    async def run() -> None:
        await _run_all(FORWARD)

    async def run_backwards() -> None:
        await _run_all(BACKWARD)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
