"""CHECK constraints for show.status and api_key.role: Piccolo's Varchar choices are not
enforced by Postgres."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T07:27:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "checks for show status and api key role"

FORWARD = [
    "ALTER TABLE show ADD CONSTRAINT show_status_check CHECK (status IN ('SCHEDULED','CANCELLED'))",
    "ALTER TABLE api_key ADD CONSTRAINT api_key_role_check CHECK (role IN ('client','door','admin'))",
]
BACKWARD = [
    "ALTER TABLE show DROP CONSTRAINT IF EXISTS show_status_check",
    "ALTER TABLE api_key DROP CONSTRAINT IF EXISTS api_key_role_check",
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
