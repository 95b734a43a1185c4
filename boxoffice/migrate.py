"""Apply Piccolo migrations programmatically (idempotent)."""

from __future__ import annotations

import os


async def migrate() -> None:
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    from piccolo.apps.migrations.commands.forwards import run_forwards

    response = await run_forwards(app_name="boxoffice", migration_id="all", fake=False)
    if not response.success:
        raise SystemExit(f"migration failed: {response.message}")
