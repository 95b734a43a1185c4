"""The schema: root types merged from each area's resolvers."""

import strawberry

from resolvers.booking import BookingMutation, BookingQuery
from resolvers.catalog import CatalogQuery
from schema.extensions import EXTENSIONS


@strawberry.type
class Query(CatalogQuery, BookingQuery):
    pass


@strawberry.type
class Mutation(BookingMutation):
    pass


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    extensions=EXTENSIONS,
    types=[],
)
