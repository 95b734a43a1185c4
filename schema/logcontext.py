"""Log records made while an operation runs carry its name and, when it is about one
reservation, the reservation id (boxoffice/logs.py adds both to every record)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, OperationDefinitionNode, value_from_ast_untyped
from strawberry.extensions import SchemaExtension

from boxoffice.logs import OPERATION_NAME, RESERVATION_ID

# top-level fields whose `id` argument is a reservation id; elsewhere `reservationId`, either
# an argument or a field of the `input` argument (confirm)
_RESERVATION_FIELDS = frozenset({"reservation"})


def reservation_argument(op: OperationDefinitionNode, variables: dict[str, Any]) -> Any:
    """The reservation id one of the operation's top-level fields names, if any."""
    for sel in op.selection_set.selections:
        if not isinstance(sel, FieldNode):
            continue
        for arg in sel.arguments or ():  # None on a node built without arguments
            name = arg.name.value
            if name == "reservationId" or (name == "id" and sel.name.value in _RESERVATION_FIELDS):
                return value_from_ast_untyped(arg.value, variables)
            if name == "input":
                value = value_from_ast_untyped(arg.value, variables)
                if isinstance(value, dict) and value.get("reservationId") is not None:
                    return value["reservationId"]
    return None


class LogContext(SchemaExtension):
    """Set, not reset: the request's access line is written after the operation, in the same
    task (each HTTP request and each websocket operation has its own task and context)."""

    def on_operation(self) -> Iterator[None]:
        OPERATION_NAME.set(self.execution_context.operation_name)
        RESERVATION_ID.set(None)
        yield

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        OPERATION_NAME.set(ctx.operation_name)  # now parsed: also an unnamed client's choice
        try:
            op = _selected(ctx)
            rid = reservation_argument(op, ctx.variables or {}) if op is not None else None
        except Exception:  # a malformed value: validation answers it, the log just lacks it
            rid = None
        if rid is not None:
            RESERVATION_ID.set(str(rid))
        yield


def _selected(ctx: Any) -> OperationDefinitionNode | None:
    doc = ctx.graphql_document
    if doc is None:
        return None
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    if ctx.operation_name is None:
        return ops[0] if len(ops) == 1 else None
    return next((o for o in ops if o.name and o.name.value == ctx.operation_name), None)
