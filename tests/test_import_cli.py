"""`boxoffice import FILE.json` through the installed console script (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from boxoffice import db
from devtools.localsvc import create_database
from tests.test_cli import BIN, boxoffice
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
    assert "Traceback" not in proc.stderr

    # a conflict found in the database: one line too, and exit 1
    path.write_text(json.dumps(catalog()))
    assert boxoffice("import", str(path)).returncode == 0
    renamed = catalog()
    renamed["cinemas"][0]["halls"][1]["id"] = "screen-2"
    renamed["shows"][1]["hall"] = "screen-2"
    path.write_text(json.dumps(renamed))
    proc = boxoffice("import", str(path))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f'boxoffice import: {path}: cinemas[0].halls[1].name: "Screen 2" already names hall '
        '"s2" of cinema "pvr-forum"; nothing was changed']

    missing = boxoffice("import", str(tmp_path / "nope.json"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_unmigrated_or_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog()))
    fresh = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/boxoffice_test_unmigrated"
    create_database(fresh)
    for url in (fresh, "postgresql://postgres@127.0.0.1:1/nothing"):
        proc = subprocess.run([BIN, "import", str(path)], env={**os.environ, "DATABASE_URL": url},
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
