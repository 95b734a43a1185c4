"""The schema's structure as a graphql-core `GraphQLSchema`, through public APIs only.

Strawberry keeps the graphql-core schema it executes with private (`Schema._schema`, see
docs/stack.md). The SDL it prints (`Schema.as_str()`, public), rebuilt by graphql-core's
`build_schema`, has the same types, fields, arguments, enum values, directives and
descriptions (tests/schema/test_coreschema.py compares both introspections), which is all the
cost analysis (schema/limits.py) and the metric labels (schema/metrics.py) read. It is never
used to validate or execute: its custom scalars (Date, DateTime) parse nothing.
"""

from __future__ import annotations

import functools

import strawberry
from graphql import GraphQLSchema, build_schema


@functools.cache
def structure_of(schema: strawberry.Schema) -> GraphQLSchema:
    """Built once per schema (the schema is static), on first use."""
    return build_schema(schema.as_str())
