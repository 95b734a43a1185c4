"""DataLoaders, created fresh for every operation (schema/extensions.py)."""

from __future__ import annotations


class Loaders:
    """Batch loaders for one operation. Catalog loaders are added by resolvers/catalog.py."""

    def __init__(self) -> None:
        pass
