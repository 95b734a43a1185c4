"""DocumentGate: parse, limit and validate each distinct document once, in bounded memory.

Replaces Strawberry's ParserCache, ValidationCache, MaxTokensLimiter and the depth/alias
limiters: one entry per query text holds its AST, its limit verdict (schema/limits.py) and its
validation errors. The cache is an LRU bounded in bytes (an AST weighs roughly a fixed multiple
of its text), not in entries, so a stream of distinct large documents cannot pin memory. Texts
over `max_query_chars` are refused before the parser sees them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    GraphQLError,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    Visitor,
    get_operation_ast,
    parse,
    visit,
)
from strawberry.extensions import SchemaExtension

from boxoffice.settings import get_settings
from schema.coreschema import structure_of
from schema.errors import BAD_USER_INPUT, coded
from schema.limits import LimitExceeded, Limits, analyse

AST_BYTES_PER_CHAR = 120  # measured (tracemalloc): a parsed document weighs 40-116x its text
CACHE_BYTES = 64 << 20


@dataclass
class _Entry:
    document: DocumentNode
    refusal: GraphQLError | None = None
    validation: list[GraphQLError] | None = None


Key = tuple[str, Limits]  # the verdict depends on the limits in force too


class _ByteLRU:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict[Key, _Entry] = OrderedDict()

    def get(self, key: Key) -> _Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: Key, entry: _Entry) -> None:
        self.entries[key] = entry
        self.bytes += len(key[0]) * AST_BYTES_PER_CHAR
        while self.bytes > self.max_bytes and len(self.entries) > 1:
            old, _ = self.entries.popitem(last=False)
            self.bytes -= len(old[0]) * AST_BYTES_PER_CHAR


CACHE = _ByteLRU(CACHE_BYTES)
_STAND_IN = parse("{ __typename }")  # the document of a request refused while parsing


def _stand_in(operation_name: str | None) -> DocumentNode:
    """The stand-in document, its one operation named like the one the request asked for:
    Strawberry looks that operation up (for its type) between parsing and validation. Built
    as an AST: a client's operationName need not be a valid GraphQL name."""
    if operation_name is None:
        return _STAND_IN
    (op,) = _STAND_IN.definitions
    assert isinstance(op, OperationDefinitionNode)
    return DocumentNode(definitions=(OperationDefinitionNode(
        operation=OperationType.QUERY, name=NameNode(value=operation_name),
        variable_definitions=(), directives=(), selection_set=op.selection_set),))


class _NulFinder(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        if "\x00" in node.value:
            self.found = True


def _refusal(document: DocumentNode, query: str, limits: Limits,
             schema: object) -> GraphQLError | None:
    if "\\u" in query:  # a GraphQL escape may spell a NUL, which no database text can hold
        finder = _NulFinder()
        visit(document, finder)
        if finder.found:
            return coded("NUL characters are not allowed in strings", BAD_USER_INPUT)
    try:
        analyse(schema, document, limits)  # type: ignore[arg-type]
    except LimitExceeded as exc:
        return coded(exc.message, exc.code)
    return None


def _limits() -> Limits:
    s = get_settings()
    return Limits(cost=s.query_cost_budget, depth=s.query_max_depth,
                  aliases=s.query_max_aliases, introspection=s.introspection)


class DocumentGate(SchemaExtension):
    def _key(self) -> Key:
        return (self.execution_context.query or "", _limits())

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        query = ctx.query or ""
        s = get_settings()
        self._early: GraphQLError | None = None
        if len(query) > s.max_query_chars:
            self._early = coded(f"Query texts are limited to {s.max_query_chars} characters",
                                "QUERY_TOO_COMPLEX")
        entry = CACHE.get(self._key()) if self._early is None else None
        if entry is None and self._early is None:
            try:
                document = parse(query, max_tokens=s.max_query_tokens)
            except GraphQLError as exc:  # a syntax error, or too many tokens (a limit)
                code = ("QUERY_TOO_COMPLEX" if exc.message.startswith(
                    "Syntax Error: Document contains more than") else BAD_USER_INPUT)
                exc.extensions = {**(exc.extensions or {}), "code": code}
                self._early = exc
            else:
                entry = _Entry(document, _refusal(document, query, _limits(),
                                                  structure_of(ctx.schema)))
                CACHE.put(self._key(), entry)
        if self._early is not None:
            # Raised from here, a refusal escaped Strawberry's websocket handling (the client
            # saw only "complete"): answer it from on_validate as a pre-execution error, with
            # a stand-in document that is never executed.
            ctx.graphql_document = _stand_in(ctx.operation_name)
        else:
            assert entry is not None
            ctx.graphql_document = entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        early: GraphQLError | None = getattr(self, "_early", None)  # set by on_parse
        if early is not None:
            ctx.pre_execution_errors = [early]
            yield
            return
        entry = CACHE.get(self._key())
        if entry is None or entry.document is not ctx.graphql_document:
            yield  # evicted meanwhile: let Strawberry validate (limits were checked at parse)
            return
        if entry.refusal is not None:
            ctx.pre_execution_errors = [entry.refusal]
        elif entry.validation is not None:
            ctx.pre_execution_errors = entry.validation  # Strawberry skips its validation
        yield
        if entry.refusal is None and entry.validation is None:
            # validated by Strawberry just now (it runs between the two halves of this hook)
            entry.validation = list(ctx.pre_execution_errors or ())


def is_mutation(query: str | None, operation_name: str | None) -> bool:
    """Whether the operation to run is a mutation (from the cached AST when there is one)."""
    if not query or "mutation" not in query:
        return False
    entry = CACHE.get((query, _limits()))
    try:
        document = entry.document if entry else parse(
            query, max_tokens=get_settings().max_query_tokens)
    except GraphQLError:
        return False
    op = get_operation_ast(document, operation_name)
    return op is not None and op.operation == OperationType.MUTATION
