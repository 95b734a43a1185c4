from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-29T08:24:00:975545"
VERSION = "1.38.0"
DESCRIPTION = "retired seats of a hall layout"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="boxoffice", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="CinemaSeat",
        tablename="cinema_seat",
        column_name="retired",
        db_column_name="retired",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
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

    return manager
