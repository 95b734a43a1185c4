"""Raw SQL Piccolo cannot express: extensions, CHECK constraints on status columns, partial and
expression indexes for the queries the service layer runs."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T02:57:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "constraints and indexes"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS cube",
    "CREATE EXTENSION IF NOT EXISTS earthdistance",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # status columns are enforced by the database, not just the ORM
    """ALTER TABLE show_seat ADD CONSTRAINT show_seat_status_check
       CHECK (status IN ('FREE','HELD','BOOKED'))""",
    """ALTER TABLE show_seat ADD CONSTRAINT show_seat_held_has_reservation
       CHECK (status = 'FREE' OR reservation IS NOT NULL)""",
    """ALTER TABLE reservation ADD CONSTRAINT reservation_status_check
       CHECK (status IN ('HELD','CONFIRMED','CANCELLED','EXPIRED'))""",
    """ALTER TABLE payment ADD CONSTRAINT payment_status_check
       CHECK (status IN ('PENDING','SUCCEEDED','DECLINED','REFUNDED'))""",
    """ALTER TABLE notification ADD CONSTRAINT notification_status_check
       CHECK (status IN ('PENDING','SENT','FAILED'))""",
    "ALTER TABLE show_seat ADD CONSTRAINT show_seat_price_check CHECK (price >= 0)",
    "ALTER TABLE show ADD CONSTRAINT show_free_seats_check CHECK (free_seats >= 0)",
    # reserve locks by (show, label); seat map reads by show in label order
    "CREATE UNIQUE INDEX show_seat_show_label ON show_seat (show, label)",
    "CREATE INDEX show_seat_reservation ON show_seat (reservation) WHERE reservation IS NOT NULL",
    # the expiry sweeper scans only live holds
    "CREATE INDEX reservation_live_expiry ON reservation (expires_at) WHERE status = 'HELD'",
    # one live hold per user and show (anti-scalping): a second reserve is refused
    # (InvalidRequest on showId) until the first is confirmed, cancelled or expired
    """CREATE UNIQUE INDEX reservation_one_live_per_user_show ON reservation (show, "user")
       WHERE status = 'HELD'""",
    "CREATE INDEX show_cinema_starts ON show (cinema, starts_at)",
    "CREATE INDEX movie_title_trgm ON movie USING gin (lower(title) gin_trgm_ops)",
    "CREATE INDEX cinema_earth ON cinema USING gist (ll_to_earth(lat, lng))",
    "CREATE INDEX notification_pending ON notification (created_at) WHERE status = 'PENDING'",
    "CREATE INDEX ticket_booking_seat ON ticket (booking, seat_label)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS notification_pending",
    "DROP INDEX IF EXISTS cinema_earth",
    "DROP INDEX IF EXISTS movie_title_trgm",
    "DROP INDEX IF EXISTS show_cinema_starts",
    "DROP INDEX IF EXISTS reservation_one_live_per_user_show",
    "DROP INDEX IF EXISTS reservation_live_expiry",
    "DROP INDEX IF EXISTS show_seat_reservation",
    "DROP INDEX IF EXISTS show_seat_show_label",
    "DROP INDEX IF EXISTS ticket_booking_seat",
    "ALTER TABLE show DROP CONSTRAINT IF EXISTS show_free_seats_check",
    "ALTER TABLE show_seat DROP CONSTRAINT IF EXISTS show_seat_price_check",
    "ALTER TABLE notification DROP CONSTRAINT IF EXISTS notification_status_check",
    "ALTER TABLE payment DROP CONSTRAINT IF EXISTS payment_status_check",
    "ALTER TABLE reservation DROP CONSTRAINT IF EXISTS reservation_status_check",
    "ALTER TABLE show_seat DROP CONSTRAINT IF EXISTS show_seat_held_has_reservation",
    "ALTER TABLE show_seat DROP CONSTRAINT IF EXISTS show_seat_status_check",
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
