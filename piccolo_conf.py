"""Piccolo configuration: the engine from settings and the app registry."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from boxoffice.dburl import asyncpg_config
from boxoffice.settings import get_settings

_settings = get_settings()
DB = PostgresEngine(
    config=asyncpg_config(_settings.database_url, _settings.lock_timeout_ms), extensions=()
)

APP_REGISTRY = AppRegistry(apps=["models.piccolo_app"])
