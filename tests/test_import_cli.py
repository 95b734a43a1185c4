"""`boxoffice import FILE.json` through the installed console script (a real subprocess)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from boxoffice import db
from tests.test_cli import boxoffice
from tests.test_import import catalog, snapshot


async def test_import_prints_one_line_per_show_and_is_idempotent(
        clean: None, tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog()))
    proc = boxoffice("import", str(path))
    assert proc.returncode == 0, proc.stderr
    rows = await db.pool().fetch("SELECT id, source_id FROM show ORDER BY id")
    ids = {r["source_id"]: r["id"] for r in rows}
    assert proc.stdout.splitlines() == [f"show sw-0900 {ids['sw-0900']}",
                                        f"show kt-1900 {ids['kt-1900']}"]
    before = await snapshot()
    again = boxoffice("import", str(path))
    assert again.returncode == 0, again.stderr
    assert again.stdout == proc.stdout
    assert await snapshot() == before


async def test_bad_file_exits_non_zero_with_one_line_and_changes_nothing(
        clean: None, tmp_path: Path) -> None:
    data: dict[str, Any] = catalog()
    data["shows"][1]["hall"] = "s9"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    proc = boxoffice("import", str(path))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f'boxoffice import: {path}: shows[1].hall: unknown hall "s9" of cinema "pvr-forum"']
    assert await db.pool().fetchval("SELECT count(*) FROM city") == 0

    missing = boxoffice("import", str(tmp_path / "nope.json"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    assert "Traceback" not in missing.stderr
