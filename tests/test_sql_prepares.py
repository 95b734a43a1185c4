"""Raw SQL is checked against the migrated schema, not only by the test that happens to run it.

Raw asyncpg SQL lives only on the measured hot paths (docs/stack.md, "Where the SQL lives"),
each statement a module-level constant. This test finds every such constant by introspection
(any module-level string of a runtime module that starts like a statement) and PREPAREs it on
the migrated database: a renamed column or a misspelt status fails here, even when no other
test runs that statement. A statement written inline in a call cannot hide from it: the inline
count per module may only shrink (INLINE_SQL_BUDGET). The status StrEnums are compared with the
database's CHECK constraints, so the one Python spelling and the schema cannot drift apart.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from enum import StrEnum
from pathlib import Path
from types import ModuleType

import pytest

from boxoffice import db
from models.booking import (
    ApiKeyRole,
    NotificationStatus,
    PaymentStatus,
    ReservationStatus,
    SeatStatus,
)
from models.catalog import ShowStatus

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_PACKAGES = ("boxoffice", "workers", "resolvers", "schema")
STATEMENT = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")

# constants that are str.format templates: the values to fill in before preparing them
TEMPLATES: dict[str, dict[str, str]] = {
    "workers.holds._RECONCILE": {"shows": "1"},
}

# Statements still written inline in a call (`conn.fetch("SELECT …")`), per module: offline
# tools (the catalog importer, the demo seed, the migration runner) that have
# not moved to Piccolo's query builder or to constants yet (issue #14). A count may only go
# down; a new module with inline SQL fails. Request and worker paths have none.
INLINE_SQL_BUDGET: dict[str, int] = {
    "boxoffice/catalog_import/bulk.py": 1,
    "boxoffice/catalog_import/loader.py": 28,
    "boxoffice/catalog_import/tables.py": 3,
    "boxoffice/migrate.py": 1,  # pg_database, before the schema exists
}


def _runtime_modules() -> list[ModuleType]:
    modules = []
    for package in RUNTIME_PACKAGES:
        pkg = importlib.import_module(package)
        modules.append(pkg)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
            if info.name.endswith("__main__"):
                continue
            modules.append(importlib.import_module(info.name))
    return modules


def _statements() -> dict[str, str]:
    """Every module-level SQL constant of the runtime packages, by `module.NAME`."""
    found: dict[str, str] = {}
    for module in _runtime_modules():
        for name, value in vars(module).items():
            if not isinstance(value, str) or not STATEMENT.match(value):
                continue
            home = getattr(module, "__name__", "")
            key = f"{home}.{name}"
            if key in TEMPLATES:
                value = value.format(**TEMPLATES[key])
            found[key] = value
    return found


STATEMENTS = _statements()


def test_statements_were_found() -> None:
    # the hot paths' statements must be among them, or the search itself is broken
    for key in ("boxoffice.services.seatlock.LOCK_SEATS", "boxoffice.services.seatlock.HOLD_SQL",
                "boxoffice.services.seatlock.OFFER_SQL", "boxoffice.services.seatlock.RELEASE_SQL",
                "boxoffice.services.seatlock.BOOK_SEATS"):
        assert key in STATEMENTS
    assert len(STATEMENTS) >= 70  # 75 when written: a sudden drop means the search broke


def test_templates_are_filled() -> None:
    for key, sql in STATEMENTS.items():
        assert not PLACEHOLDER.search(sql), f"{key} is a template: add its values to TEMPLATES"
    assert set(TEMPLATES) <= set(STATEMENTS), "a TEMPLATES entry names no constant"


@pytest.mark.parametrize("key", sorted(STATEMENTS))
async def test_statement_prepares(key: str) -> None:
    async with db.pool().acquire() as conn:
        await conn.prepare(STATEMENTS[key])


def _inline_sql_calls(path: Path) -> int:
    """Calls like `x.fetch("SELECT …")` / `x.execute(f"UPDATE …")`: SQL not in a constant."""
    count = 0
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"fetch", "fetchrow", "fetchval", "execute",
                                       "executemany", "prepare", "cursor"}
                and node.args):
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            text = first.value
        elif isinstance(first, ast.JoinedStr):
            text = "".join(v.value for v in first.values
                           if isinstance(v, ast.Constant) and isinstance(v.value, str))
        else:
            continue
        if STATEMENT.match(text) and text.strip() != "SELECT 1":  # a ping touches no schema
            count += 1
    return count


def test_inline_sql_only_shrinks() -> None:
    counts = {}
    for package in RUNTIME_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            n = _inline_sql_calls(path)
            if n:
                counts[str(path.relative_to(ROOT))] = n
    grown = {p: n for p, n in counts.items() if n > INLINE_SQL_BUDGET.get(p, 0)}
    assert not grown, (
        f"inline SQL grew in {grown}: use Piccolo's query builder, or on a hot path a "
        "module-level constant (tests/test_sql_prepares.py prepares those)")
    # keep the budget honest: lower it when a module's count goes down
    slack = {p: (INLINE_SQL_BUDGET[p], counts.get(p, 0)) for p in INLINE_SQL_BUDGET
             if counts.get(p, 0) < INLINE_SQL_BUDGET[p]}
    assert not slack, f"lower INLINE_SQL_BUDGET to the counts found: {slack}"


CHECKED_ENUMS: dict[str, type[StrEnum]] = {
    "show_seat_status_check": SeatStatus,
    "reservation_status_check": ReservationStatus,
    "payment_status_check": PaymentStatus,
    "notification_status_check": NotificationStatus,
    "show_status_check": ShowStatus,
    "api_key_role_check": ApiKeyRole,
}


@pytest.mark.parametrize("constraint", sorted(CHECKED_ENUMS))
async def test_status_enum_matches_check_constraint(constraint: str) -> None:
    definition = await db.pool().fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1", constraint)
    assert definition is not None, f"no constraint {constraint} in the migrated schema"
    allowed = set(re.findall(r"'([^']*)'", definition))
    assert allowed == {m.value for m in CHECKED_ENUMS[constraint]}
