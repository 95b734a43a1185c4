"""The schema: root types merged from each area's resolvers."""

from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from resolvers.account import AccountQuery
from resolvers.booking import BookingMutation, BookingQuery
from resolvers.catalog import CatalogQuery
from resolvers.seatlayout import SeatLayoutQuery
from resolvers.subscriptions import SharedEventExecution
from resolvers.subscriptions import Subscription as BookingSubscription
from resolvers.tickets import TicketMutation
from resolvers.waitingroom import WaitingRoomMutation, WaitingRoomSubscription
from schema.extensions import EXTENSIONS
from schema.ratelimits import refused, socket_refusal
from schema.timebudget import within_budget


@strawberry.type
class Query(CatalogQuery, BookingQuery, AccountQuery, SeatLayoutQuery):
    pass


@strawberry.type
class Mutation(BookingMutation, TicketMutation, WaitingRoomMutation):
    pass


@strawberry.type
class Subscription(BookingSubscription, WaitingRoomSubscription):
    pass


class BoxofficeSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        """Expected errors (coded, validation) are answers, not incidents: log only the rest
        (unexpected exceptions are logged with their traceback by the masking extension)."""

    async def execute(self, query: str | None, variable_values: dict[str, Any] | None = None,
                      context_value: Any | None = None, root_value: Any | None = None,
                      operation_name: str | None = None,
                      allowed_operation_types: Iterable[OperationType] | None = None,
                      operation_extensions: dict[str, Any] | None = None) -> ExecutionResult:
        run = super().execute(query, variable_values, context_value, root_value,
                              operation_name, allowed_operation_types, operation_extensions)
        return await within_budget(run, query, operation_name)  # schema/timebudget.py

    async def stream(self, query: str | None, variable_values: dict[str, Any] | None = None,
                     context_value: Any | None = None, root_value: Any | None = None,
                     operation_name: str | None = None,
                     operation_extensions: dict[str, Any] | None = None,
                     allowed_operation_types: Iterable[OperationType] | None = None) -> Any:
        # websocket operations are charged to the per key/address buckets (schema/ratelimits.py)
        if (refusal := await socket_refusal(context_value)) is not None:
            return refused(refusal)
        return await super().stream(query, variable_values, context_value, root_value,
                                    operation_name, operation_extensions,
                                    allowed_operation_types)


schema = BoxofficeSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=EXTENSIONS,
    # one execution of a seat-map event for all local subscribers (resolvers/subscriptions.py)
    execution_context_class=SharedEventExecution,
    types=[],
)
