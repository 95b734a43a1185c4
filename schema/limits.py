"""Document limits in one pass, linear in the document: depth, aliases and worst-case cost.

Strawberry's QueryDepthLimiter/MaxAliasesLimiter follow every fragment spread anew, so
`{ ...F0 } fragment F0 on Query { ...F1 ...F1 } … fragment F19 on Query { __typename }` (792
bytes) took 2^20 steps and stalled the process; they also skipped `__` fields. Here each
fragment is analysed once (memoised per page size) and reused by every spread, introspection
included, so the work is linear in the document and the refusal comes before validation and
execution.

Cost = the number of values the answer could hold in the worst case: every field counts 1,
a composite field adds its selection once per list element. A list counts as its largest
possible page: the `first` argument (a literal; a variable counts as the 100 maximum) for
paginated fields and a connection's `edges`, the booking rules' bound where there is one
(tickets of a booking), 1,000 for any other (catalog) list. Lists of scalars count 1.
Introspection (`__schema`, `__type`) is evaluated exactly against this schema, which is
static: its largest possible answer is its actual answer. Work there is bounded by the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    is_leaf_type,
)

CATALOG_LIST = 1_000
MAX_PAGE = 100
DEFAULT_PAGE = 20  # `first` when left out (SearchInput.first, myBookings(first))
# lists the booking rules bound (parent type, field) -> most elements
BOUNDED_LISTS: dict[tuple[str, str], int] = {("Booking", "tickets"): 10}
INTROSPECTION_FIELDS = ("__schema", "__type")


class LimitExceeded(Exception):
    def __init__(self, message: str, code: str = "QUERY_TOO_COMPLEX") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Limits:
    cost: int = 25_000
    depth: int = 20
    aliases: int = 30
    introspection: bool = True


@dataclass(frozen=True)
class Figures:
    cost: int
    depth: int
    aliases: int


_LEAF = Figures(1, 1, 0)


def _page(node: FieldNode) -> int:
    """The page size a paginated field asks for: `first`, directly or in its `input` object.
    Left out, `first` takes its default (20); a variable may carry any page up to 100."""
    for arg in node.arguments or ():
        name = arg.name.value
        if name == "first":
            return _page_size(arg.value)
        if name == "input" and isinstance(arg.value, ObjectValueNode):
            for f in arg.value.fields:
                if f.name.value == "first":
                    return _page_size(f.value)
            return DEFAULT_PAGE
        if name == "input":  # a variable: any page up to the maximum
            return MAX_PAGE
    return DEFAULT_PAGE


def _page_size(value: Any) -> int:
    if isinstance(value, IntValueNode):
        try:
            return max(0, min(int(value.value), MAX_PAGE))
        except ValueError:
            return MAX_PAGE
    return MAX_PAGE  # a variable, or an invalid value (refused later by validation)


def _has_page_argument(f: GraphQLField) -> bool:
    if "first" in f.args:
        return True
    arg = f.args.get("input")
    if arg is None:
        return False
    t = arg.type.of_type if isinstance(arg.type, GraphQLNonNull) else arg.type
    return isinstance(t, GraphQLInputObjectType) and "first" in t.fields


@dataclass
class _Analysis:
    schema: GraphQLSchema
    limits: Limits
    fragments: dict[str, FragmentDefinitionNode]
    memo: dict[tuple[str, int | None], Figures] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)
    intro: _Introspection | None = None
    # structure only (every list counts 1, introspection walked like any field): the size of
    # the expanded document, for fragments no operation uses
    structural: bool = False

    def check(self, f: Figures) -> Figures:
        if f.cost > self.limits.cost:
            raise LimitExceeded(f"The query could return more than {self.limits.cost} values "
                                "(lists count as their largest page); ask for less")
        if f.depth > self.limits.depth:
            raise LimitExceeded(f"The query is nested deeper than {self.limits.depth} levels")
        if f.aliases > self.limits.aliases:
            raise LimitExceeded(f"The query uses more than {self.limits.aliases} aliases")
        return f

    def selection(self, sel: SelectionSetNode | None, parent: GraphQLNamedType | None,
                  page: int | None) -> Figures:
        cost = depth = aliases = 0
        for node in sel.selections if sel else ():
            if isinstance(node, FieldNode):
                f = self.field(node, parent, page)
            elif isinstance(node, InlineFragmentNode):
                cond = (self.schema.get_type(node.type_condition.name.value)
                        if node.type_condition else parent)
                f = self.selection(node.selection_set, cond, page)
            elif isinstance(node, FragmentSpreadNode):
                f = self.fragment(node.name.value, page)
            else:  # pragma: no cover
                continue
            cost, depth, aliases = cost + f.cost, max(depth, f.depth), aliases + f.aliases
        return self.check(Figures(cost, depth, aliases))

    def fragment(self, name: str, page: int | None) -> Figures:
        key = (name, page)
        if key in self.memo:
            return self.memo[key]
        definition = self.fragments.get(name)
        if definition is None or name in self.active:
            return Figures(0, 0, 0)  # unknown or cyclic: validation refuses the document
        self.active.add(name)
        try:
            cond = self.schema.get_type(definition.type_condition.name.value)
            figures = self.selection(definition.selection_set, cond, page)
        finally:
            self.active.discard(name)
        self.memo[key] = figures
        return figures

    def field(self, node: FieldNode, parent: GraphQLNamedType | None,
              page: int | None) -> Figures:
        name = node.name.value
        alias = 1 if node.alias else 0
        if name == "__typename":
            return Figures(1, 1, alias)
        if name in INTROSPECTION_FIELDS and not self.structural:
            if not self.limits.introspection:
                raise LimitExceeded("Introspection is turned off on this server",
                                    "INTROSPECTION_DISABLED")
            self.intro = self.intro or _Introspection(self.schema, self, self.limits.cost)
            cost, depth = self.intro.root(node)
            return self.check(Figures(1 + cost, 1 + depth, alias))
        fields = getattr(parent, "fields", None) if parent is not None else None
        definition = fields.get(name) if isinstance(fields, dict) else None
        if name in INTROSPECTION_FIELDS:  # structural pass: walked like any other field
            meta = self.schema.get_type("__Schema" if name == "__schema" else "__Type")
            definition = GraphQLField(meta) if meta is not None else None  # type: ignore[arg-type]
        if definition is None:
            return Figures(1, 1, alias)  # unknown field: validation refuses the document
        t: Any = definition.type
        sizes: list[int] = []
        child_page = _page(node) if _has_page_argument(definition) else None
        while isinstance(t, GraphQLNonNull | GraphQLList):
            if isinstance(t, GraphQLList):
                if self.structural:
                    sizes.append(1)
                elif child_page is not None:
                    sizes.append(child_page)
                elif name == "edges" and page is not None:
                    sizes.append(page)
                else:
                    sizes.append(BOUNDED_LISTS.get((parent.name, name), CATALOG_LIST)
                                 if parent is not None else CATALOG_LIST)
            t = t.of_type
        if is_leaf_type(t):
            return Figures(1, 1, alias)
        inner = self.selection(node.selection_set, t, child_page)
        multiplier = 1
        for size in sizes:
            multiplier *= size
        return self.check(Figures(1 + multiplier * inner.cost, 1 + inner.depth,
                                  alias + inner.aliases))


class _Introspection:
    """Exact size of an introspection answer, walking the schema objects it would describe."""

    def __init__(self, schema: GraphQLSchema, analysis: _Analysis, budget: int) -> None:
        self.schema = schema
        self.analysis = analysis
        self.budget = budget
        self.work = 0
        self.memo: dict[tuple[int, int], tuple[int, int]] = {}

    def root(self, node: FieldNode) -> tuple[int, int]:
        if node.name.value == "__schema":
            return self.selection(node.selection_set, "__Schema", self.schema)
        name = next((a.value for a in node.arguments or () if a.name.value == "name"), None)
        if isinstance(name, StringValueNode):
            target = self.schema.get_type(name.value)
            types = [target] if target is not None else []
        else:  # a variable: count every type, an upper bound
            types = list(self.schema.type_map.values())
        return self._sum(node.selection_set, "__Type", types)

    def _sum(self, sel: SelectionSetNode | None, kind: str, objs: list[Any]) -> tuple[int, int]:
        cost = depth = 0
        for obj in objs:
            c, d = self.selection(sel, kind, obj)
            cost, depth = cost + c, max(depth, d)
        return cost, depth

    def selection(self, sel: SelectionSetNode | None, kind: str, obj: Any) -> tuple[int, int]:
        if sel is None:
            return 0, 0
        key = (id(sel), id(obj[1]) if isinstance(obj, tuple) else id(obj))
        if key in self.memo:
            return self.memo[key]
        cost = depth = 0
        for node in sel.selections:
            if isinstance(node, FieldNode):
                c, d = self.field(node, kind, obj)
            elif isinstance(node, InlineFragmentNode):
                c, d = self.selection(node.selection_set, kind, obj)
            elif isinstance(node, FragmentSpreadNode):
                definition = self.analysis.fragments.get(node.name.value)
                if definition is None or node.name.value in self.analysis.active:
                    continue
                self.analysis.active.add(node.name.value)
                try:
                    c, d = self.selection(definition.selection_set, kind, obj)
                finally:
                    self.analysis.active.discard(node.name.value)
            else:  # pragma: no cover
                continue
            cost, depth = cost + c, max(depth, d)
        if cost > self.budget:
            self.analysis.check(Figures(cost, 0, 0))
        self.memo[key] = (cost, depth)
        return cost, depth

    def field(self, node: FieldNode, kind: str, obj: Any) -> tuple[int, int]:
        self.work += 1
        if self.work > self.budget:
            self.analysis.check(Figures(self.budget + 1, 0, 0))
        children = self.children(kind, node.name.value, obj)
        if children is None:
            return 1, 1
        child_kind, objs = children
        cost, depth = self._sum(node.selection_set, child_kind, objs)
        return 1 + cost, 1 + depth

    def children(self, kind: str, name: str, obj: Any) -> tuple[str, list[Any]] | None:
        """The introspection objects field `name` of `obj` holds; None for a leaf."""
        s = self.schema
        match kind, name:
            case "__Schema", "types":
                return "__Type", list(s.type_map.values())
            case "__Schema", ("queryType" | "mutationType" | "subscriptionType"):
                root = {"queryType": s.query_type, "mutationType": s.mutation_type,
                        "subscriptionType": s.subscription_type}[name]
                return "__Type", [root] if root else []
            case "__Schema", "directives":
                return "__Directive", list(s.directives)
            case "__Type", ("fields" | "inputFields"):
                ok = (GraphQLInputObjectType if name == "inputFields"
                      else GraphQLObjectType | GraphQLInterfaceType)
                return ("__Field" if name == "fields" else "__InputValue",
                        list(obj.fields.items()) if isinstance(obj, ok) else [])
            case "__Type", "interfaces":
                return "__Type", (list(obj.interfaces) if isinstance(
                    obj, GraphQLObjectType | GraphQLInterfaceType) else [])
            case "__Type", "possibleTypes":
                return "__Type", (list(s.get_possible_types(obj)) if isinstance(
                    obj, GraphQLUnionType | GraphQLInterfaceType) else [])
            case "__Type", "enumValues":
                return "__EnumValue", (list(obj.values.items())
                                       if isinstance(obj, GraphQLEnumType) else [])
            case "__Type", "ofType":
                return "__Type", ([obj.of_type] if isinstance(obj, GraphQLList | GraphQLNonNull)
                                  else [])
            case ("__Field" | "__Directive"), "args":
                args = obj[1].args if isinstance(obj, tuple) else obj.args
                return "__InputValue", list(args.items())
            case ("__Field" | "__InputValue"), "type":
                return "__Type", [obj[1].type]
        return None


def analyse(schema: GraphQLSchema, document: DocumentNode, limits: Limits) -> Figures:
    """The document's figures, or LimitExceeded as soon as one limit is passed."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    analysis = _Analysis(schema, limits, fragments)
    # the document's shape first (depth and aliases as written, introspection included, every
    # fragment even unused ones expanded at most to the budget, so nothing unbounded reaches
    # graphql-core's validation), then the worst-case size of the answer
    structure = _Analysis(schema, limits, fragments, structural=True)
    for name in fragments:
        structure.fragment(name, None)
    worst = Figures(0, 0, 0)
    for d in document.definitions:
        if isinstance(d, OperationDefinitionNode):
            root = schema.get_root_type(d.operation)
            shape = structure.selection(d.selection_set, root, None)
            f = analysis.selection(d.selection_set, root, None)
            worst = Figures(max(worst.cost, f.cost), max(worst.depth, shape.depth),
                            max(worst.aliases, shape.aliases))
    return worst
