"""The schema: root types merged from each area's resolvers."""

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from resolvers.account import AccountQuery
from resolvers.booking import BookingMutation, BookingQuery
from resolvers.catalog import CatalogQuery
from resolvers.subscriptions import SharedEventExecution
from resolvers.subscriptions import Subscription as BookingSubscription
from resolvers.waitingroom import WaitingRoomMutation, WaitingRoomSubscription
from schema.extensions import EXTENSIONS


@strawberry.type
class Query(CatalogQuery, BookingQuery, AccountQuery):
    pass


@strawberry.type
class Mutation(BookingMutation, WaitingRoomMutation):
    pass


@strawberry.type
class Subscription(BookingSubscription, WaitingRoomSubscription):
    pass


class BoxofficeSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        """Expected errors (coded, validation) are answers, not incidents: log only the rest
        (unexpected exceptions are logged with their traceback by the masking extension)."""


schema = BoxofficeSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=EXTENSIONS,
    # one execution of a seat-map event for all local subscribers (resolvers/subscriptions.py)
    execution_context_class=SharedEventExecution,
    types=[],
)
