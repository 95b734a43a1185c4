"""Which documents are public, shared data, and how long their answers may be kept.

Decided from the parsed document alone: a query whose root fields are all in `POLICIES` (browse
data that is the same for every caller) and that selects no viewer-dependent field anywhere.
Everything else (reservations, bookings, queue positions, anything for a user, mutations,
introspection) is private: never stored, answered `Cache-Control: private, no-store`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    parse,
)

from boxoffice.ids import parse_id

MAX_DOCUMENT = 20_000  # characters; longer documents are simply not analysed (not cached)


@dataclass(frozen=True)
class Policy:
    ttl: float  # seconds an in-process rendering is reused (on top of any version check)
    max_age: int  # the Cache-Control max-age given to HTTP caches
    show_arg: str | None = None  # the argument naming a show whose seat version keys the entry


# Every answer is keyed by the catalog epoch (moved by mutations other than seat changes, e.g.
# cancelShow, and by catalog imports); seat maps and shows also by the show's seat version, so
# they are exact to within responsecache.VERSION_TTL. The TTLs bound what neither announces.
# Search results carry availableSeats (the contract allows ~2 s).
POLICIES: dict[str, Policy] = {
    "seatMap": Policy(ttl=30.0, max_age=1, show_arg="showId"),
    "seatLayout": Policy(ttl=30.0, max_age=60),
    "show": Policy(ttl=1.0, max_age=1, show_arg="id"),
    "search": Policy(ttl=0.5, max_age=1),
    "cities": Policy(ttl=1.0, max_age=30),
    "movies": Policy(ttl=1.0, max_age=30),
    "cinemas": Policy(ttl=1.0, max_age=30),
    "__typename": Policy(ttl=60.0, max_age=60),
}
# fields that answer for the caller wherever they appear: a document selecting one is private
VIEWER_FIELDS = frozenset({
    "reservation", "booking", "bookings", "myBookings", "queuePosition", "waitingRoom", "me",
    "viewer", "user",
})


@dataclass(frozen=True)
class ShowRef:
    literal: Any  # the argument's literal value, or None
    variable: str | None  # or the variable it comes from


# mutations whose every effect on public data is a seat change (which bumps that show's seat
# version); any other mutation (cancelShow, admin edits, …) moves the catalog epoch instead
SEAT_MUTATIONS = frozenset({"reserve", "confirm", "cancelReservation", "leaveQueue",
                            "joinWaitingRoom", "checkIn", "__typename"})


@dataclass(frozen=True)
class Analysis:
    public: bool
    ttl: float = 0.0
    max_age: int = 0
    shows: tuple[ShowRef, ...] = ()  # one per root field keyed by a show's seat version
    mutation: bool = False
    changes_catalog: bool = False  # a mutation that may change public data beyond seats

    @property
    def cache_control(self) -> str:
        return f"public, max-age={self.max_age}" if self.public else "private, no-store"

    def show_ids(self, variables: dict[str, Any]) -> list[int] | None:
        """The show ids the answer depends on; None when one is not a valid id (the
        execution answers with an error, which is never stored)."""
        ids = []
        for ref in self.shows:
            raw = variables.get(ref.variable) if ref.variable else ref.literal
            sid = parse_id(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) \
                else None
            if sid is None:
                return None
            ids.append(sid)
        return ids


PRIVATE = Analysis(public=False)


def analyse(query: str, operation_name: str | None) -> Analysis:
    if len(query) > MAX_DOCUMENT:
        return PRIVATE
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return PRIVATE  # the view reports the syntax error
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    mutations = [o for o in operations if o.operation == OperationType.MUTATION]
    if mutations:
        return Analysis(public=False, mutation=True,
                        changes_catalog=not all(_seat_mutation(o) for o in mutations))
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return PRIVATE
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    op = operations[0]
    ttl, max_age, shows = float("inf"), 1 << 30, []
    for sel in op.selection_set.selections:
        if not isinstance(sel, FieldNode):
            return PRIVATE  # fragments on Query: keep the rule simple and conservative
        policy = POLICIES.get(sel.name.value)
        if policy is None:
            return PRIVATE
        ttl, max_age = min(ttl, policy.ttl), min(max_age, policy.max_age)
        if policy.show_arg is not None:
            arg = next((a.value for a in sel.arguments or ()
                        if a.name.value == policy.show_arg), None)
            if isinstance(arg, VariableNode):
                shows.append(ShowRef(None, arg.name.value))
            elif isinstance(arg, StringValueNode | IntValueNode):
                shows.append(ShowRef(arg.value, None))
            else:
                return PRIVATE
    if _selects_viewer_field(op.selection_set, fragments, set()):
        return PRIVATE
    return Analysis(public=True, ttl=ttl, max_age=max_age, shows=tuple(shows))


def _seat_mutation(op: OperationDefinitionNode) -> bool:
    return all(isinstance(sel, FieldNode) and sel.name.value in SEAT_MUTATIONS
               for sel in op.selection_set.selections)


def _selects_viewer_field(selection_set: SelectionSetNode | None,
                          fragments: dict[str, FragmentDefinitionNode], seen: set[str]) -> bool:
    if selection_set is None:
        return False
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            if sel.name.value in VIEWER_FIELDS or _selects_viewer_field(
                    sel.selection_set, fragments, seen):
                return True
        elif isinstance(sel, InlineFragmentNode):
            if _selects_viewer_field(sel.selection_set, fragments, seen):
                return True
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            if name not in seen:
                seen.add(name)
                fragment = fragments.get(name)
                if fragment is None or _selects_viewer_field(fragment.selection_set,
                                                             fragments, seen):
                    return True
    return False
