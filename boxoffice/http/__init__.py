"""The HTTP surface in front of the GraphQL view: the gate that refuses before parsing
(key, body size, rate), persisted queries and the public-read cache."""
