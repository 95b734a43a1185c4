"""Set-based sync of catalog rows keyed by the file's ids: insert the new, update the changed,
leave the rest alone (no write at all, so a re-import changes nothing, not even a sequence).

Each call is two or three statements whatever the number of rows (`unnest` of column arrays).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg


@dataclass(frozen=True)
class TableSpec:
    """A catalog table as the importer writes it: key columns, then value columns, each with
    its Postgres type (`text[]` values travel as JSON, since unnest cannot take arrays of
    arrays)."""

    name: str
    keys: tuple[tuple[str, str], ...]
    values: tuple[tuple[str, str], ...]
    # makes a value read back comparable with a wanted one (e.g. real columns lose digits)
    normalise: Callable[[tuple[Any, ...]], tuple[Any, ...]] = lambda v: v


@dataclass
class SyncResult:
    ids: dict[tuple[Any, ...], int] = field(default_factory=dict)
    created: list[tuple[Any, ...]] = field(default_factory=list)
    updated: list[tuple[Any, ...]] = field(default_factory=list)
    unchanged: int = 0


def _param_type(pg_type: str) -> str:
    return "jsonb" if pg_type.endswith("[]") else pg_type


def _param_value(pg_type: str, value: Any) -> Any:
    return json.dumps(list(value)) if pg_type.endswith("[]") else value


def _select_expr(column: str, pg_type: str) -> str:
    if pg_type.endswith("[]"):
        return f"ARRAY(SELECT jsonb_array_elements_text(u.{column}))::{pg_type}"
    return f"u.{column}"


async def existing_rows(
    conn: asyncpg.Connection, spec: TableSpec, keys: Sequence[tuple[Any, ...]]
) -> dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]]:
    """key -> (id, normalised values) for the rows of these keys that exist."""
    key_cols = [c for c, _ in spec.keys]
    unnest = ", ".join(f"${i + 1}::{t}[]" for i, (_, t) in enumerate(spec.keys))
    rows = await conn.fetch(
        f"""SELECT t.id, {", ".join(f"t.{c}" for c in key_cols)},
                   {", ".join(f"t.{c}" for c, _ in spec.values)}
            FROM {spec.name} t
            JOIN unnest({unnest}) AS k({", ".join(key_cols)})
              ON {" AND ".join(f"t.{c} = k.{c}" for c in key_cols)}""",
        *[[k[i] for k in keys] for i in range(len(key_cols))],
    )
    n = len(key_cols)
    out = {}
    for r in rows:
        values = tuple(r[c] for c, _ in spec.values)
        values = tuple(list(v) if isinstance(v, list) else v for v in values)
        out[tuple(r[1:1 + n])] = (r["id"], spec.normalise(values))
    return out


async def sync_rows(
    conn: asyncpg.Connection,
    spec: TableSpec,
    wanted: dict[tuple[Any, ...], tuple[Any, ...]],
) -> SyncResult:
    """Make the table hold `wanted` (key -> values): insert missing keys, update differing
    rows, touch nothing else. Returns key -> id for every wanted key."""
    result = SyncResult()
    have = await existing_rows(conn, spec, list(wanted))
    new: list[tuple[Any, ...]] = []
    changed: list[tuple[int, tuple[Any, ...]]] = []
    for key, values in wanted.items():
        found = have.get(key)
        if found is None:
            new.append(key)
        elif spec.normalise(values) != found[1]:
            changed.append((found[0], values))
            result.updated.append(key)
        else:
            result.unchanged += 1
        if found is not None:
            result.ids[key] = found[0]
    if changed:
        await _update(conn, spec, changed)
    if new:
        result.ids.update(await _insert(conn, spec, [(k, wanted[k]) for k in new]))
        result.created = new
    return result


async def _update(conn: asyncpg.Connection, spec: TableSpec,
                  rows: list[tuple[int, tuple[Any, ...]]]) -> None:
    types = ["int", *(_param_type(t) for _, t in spec.values)]
    cols = ["id", *(c for c, _ in spec.values)]
    unnest = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(types))
    sets = ", ".join(f"{c} = {_select_expr(c, t)}" for c, t in spec.values)
    args: list[list[Any]] = [[r[0] for r in rows]]
    args += [[_param_value(t, r[1][i]) for r in rows] for i, (_, t) in enumerate(spec.values)]
    await conn.execute(
        f"UPDATE {spec.name} t SET {sets} FROM unnest({unnest}) AS u({', '.join(cols)}) "
        "WHERE t.id = u.id",
        *args,
    )


async def _insert(conn: asyncpg.Connection, spec: TableSpec,
                  rows: list[tuple[tuple[Any, ...], tuple[Any, ...]]]
                  ) -> dict[tuple[Any, ...], int]:
    columns = [*spec.keys, *spec.values]
    names = [c for c, _ in columns]
    unnest = ", ".join(f"${i + 1}::{_param_type(t)}[]" for i, (_, t) in enumerate(columns))
    exprs = ", ".join(_select_expr(c, t) for c, t in columns)
    key_names = [c for c, _ in spec.keys]
    args = [[_param_value(t, (k + v)[i]) for k, v in rows] for i, (_, t) in enumerate(columns)]
    found = await conn.fetch(
        f"INSERT INTO {spec.name} ({', '.join(names)}) "
        f"SELECT {exprs} FROM unnest({unnest}) AS u({', '.join(names)}) "
        f"RETURNING id, {', '.join(key_names)}",
        *args,
    )
    return {tuple(r[c] for c in key_names): r["id"] for r in found}
