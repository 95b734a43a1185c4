"""Apply Piccolo migrations programmatically (idempotent)."""

from __future__ import annotations

import os


async def migrate() -> None:
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    from piccolo.apps.migrations.commands.forwards import run_forwards

    response = await run_forwards(app_name="boxoffice", migration_id="all", fake=False)
    if not response.success:
        raise SystemExit(f"migration failed: {response.message}")


async def create_database_if_missing(url: str) -> None:
    """Create the URL's database through the server's maintenance database (tests, benchmarks)."""
    import asyncpg

    base, name = url.rsplit("/", 1)
    name = name.split("?")[0]
    admin = await asyncpg.connect(base + "/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def ensure_migrated(url: str) -> None:
    """The database exists and carries every migration."""
    await create_database_if_missing(url)
    await migrate()
