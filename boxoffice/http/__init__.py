"""The HTTP surface in front of the GraphQL view: ASGI middleware that refuses before parsing."""
