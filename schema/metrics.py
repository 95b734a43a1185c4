"""Per-operation latency and outcome into boxoffice_graphql_operation_seconds.

The `operation` label is the root field (`reserveSeats`, `show`, …; `multiple` when a document
selects several, `invalid` when it names none of the schema's): bounded by the schema, unlike
the client-chosen operation name. `outcome` is `ok`, or the first error's `extensions.code`
(`ERROR` without one). Subscriptions are long-lived streams, not timed here (the subscriber
gauge counts them)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext

from boxoffice import metrics
from schema.coreschema import structure_of


def _root(ec: ExecutionContext) -> tuple[str, str]:
    """(operation label, type) of the executed document."""
    doc = ec.graphql_document
    if doc is None:
        return "invalid", "unknown"
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    wanted = ec.operation_name
    op = next((d for d in ops if d.name and d.name.value == wanted), ops[0] if ops else None)
    if op is None:
        return "invalid", "unknown"
    op_type = op.operation.value
    root_type = {"query": "Query", "mutation": "Mutation"}.get(op_type)
    gql_type = structure_of(ec.schema).get_type(root_type) if root_type else None
    fields = {s.name.value for s in op.selection_set.selections if isinstance(s, FieldNode)}
    if len(fields) > 1:
        fields.discard("__typename")
    known = getattr(gql_type, "fields", {})
    if len(fields) == 1:
        (name,) = fields
        return (name if name in known or name.startswith("__") else "invalid"), op_type
    return ("multiple" if fields else "invalid"), op_type


def _outcome(ec: ExecutionContext) -> str:
    errors = (ec.result.errors if ec.result is not None else None) or ec.pre_execution_errors
    if not errors:
        return "ok"
    code = (errors[0].extensions or {}).get("code")
    return str(code) if isinstance(code, str) and len(code) <= 40 else "ERROR"


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        yield
        ec = self.execution_context
        operation, op_type = _root(ec)
        if op_type == "subscription":
            return
        metrics.observe_graphql(operation, op_type, _outcome(ec), time.perf_counter() - start)
