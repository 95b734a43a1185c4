"""`boxoffice import FILE.json`: one line per show on stdout, problems as one line on stderr."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import warnings

import asyncpg

from boxoffice.catalog_import import (
    CatalogFile,
    CatalogFileError,
    ImportReport,
    import_catalog,
    read_catalog_file,
)


def run_import(path: str) -> int:
    """Returns the exit status: 0 done, 1 bad file or conflict (nothing changed), 2 no database."""
    started = time.monotonic()
    try:
        catalog = read_catalog_file(path)
    except CatalogFileError as exc:
        print(f"boxoffice import: {path}: {exc}", file=sys.stderr)
        return 1
    # Piccolo's version banner and connection warning are not this command's output
    logging.getLogger("piccolo").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module=r"piccolo\.")
    try:
        report = asyncio.run(_apply(catalog))
    except CatalogFileError as exc:
        print(f"boxoffice import: {path}: {exc}; nothing was changed", file=sys.stderr)
        return 1
    except (OSError, ConnectionError) as exc:
        print(f"boxoffice import: cannot reach the database: {exc}", file=sys.stderr)
        return 2
    except asyncpg.PostgresError as exc:  # e.g. a database not migrated: nothing was changed
        print(f"boxoffice import: database error ({type(exc).__name__}): {exc}; "
              "is it migrated (boxoffice migrate)?", file=sys.stderr)
        return 2
    out = sys.stdout
    out.writelines(f"show {file_id} {show_id}\n" for file_id, show_id in report.shows)
    out.flush()
    print(f"boxoffice import: {report.summary()} ({time.monotonic() - started:.1f}s)",
          file=sys.stderr)
    return 0


async def _apply(catalog: CatalogFile) -> ImportReport:
    from boxoffice import db

    await db.start_pool()
    try:
        return await import_catalog(catalog)
    finally:
        await db.close_pool()
