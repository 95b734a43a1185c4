"""Browse resolvers (placeholder until the catalog work lands)."""

import strawberry


@strawberry.type
class CatalogQuery:
    @strawberry.field
    def ping(self) -> str:
        return "pong"
