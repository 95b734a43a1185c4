"""Piccolo configuration: the app registry, and `DB`, the engine built from settings when
Piccolo first asks for it (boxoffice/engine.py), not at import."""

from __future__ import annotations

from typing import Any

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["models.piccolo_app"])


def __getattr__(name: str) -> Any:
    # Piccolo reads `piccolo_conf.DB` with getattr (engine_finder), so a module __getattr__
    # (PEP 562) defers building the engine until the first query or migration
    if name == "DB":
        from boxoffice.engine import get_engine

        return get_engine()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
