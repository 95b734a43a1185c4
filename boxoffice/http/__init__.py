"""HTTP-level pieces in front of the GraphQL view: persisted queries and the public-read cache."""
