from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-29T07:26:54:393412"
VERSION = "1.38.0"
DESCRIPTION = "show on-sale time and status, api key roles"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="boxoffice", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Show",
        tablename="show",
        column_name="on_sale_at",
        db_column_name="on_sale_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Show",
        tablename="show",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 10,
            "default": "SCHEDULED",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "ShowStatus", {"SCHEDULED": "SCHEDULED", "CANCELLED": "CANCELLED"}
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ApiKey",
        tablename="api_key",
        column_name="role",
        db_column_name="role",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 10,
            "default": "client",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "ApiKeyRole",
                {"CLIENT": "client", "DOOR": "door", "ADMIN": "admin"},
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
