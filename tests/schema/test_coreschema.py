"""The structure the cost analysis and metric labels read (schema/coreschema.py, rebuilt from
the public SDL) is the schema Strawberry executes: same introspection, type for type.

The test looks at Strawberry's private `Schema._schema` on purpose: the runtime must not
(docs/stack.md), and this is where we prove the public route gives the same answer."""

from __future__ import annotations

from graphql import introspection_from_schema

from schema.coreschema import structure_of
from schema.root import schema


def test_the_structure_is_the_executed_schema() -> None:
    ours = introspection_from_schema(structure_of(schema))["__schema"]
    theirs = introspection_from_schema(schema._schema)["__schema"]
    by_name = lambda s: {t["name"]: t for t in s["types"]}  # noqa: E731 (order differs)
    assert by_name(ours) == by_name(theirs)
    assert sorted(ours["directives"], key=str) == sorted(theirs["directives"], key=str)
    assert {k: v for k, v in ours.items() if k not in ("types", "directives")} == \
        {k: v for k, v in theirs.items() if k not in ("types", "directives")}
    assert structure_of(schema) is structure_of(schema)  # built once
