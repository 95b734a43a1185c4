from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.constraints import Unique

ID = "2026-11-29T07:45:06:758363"
VERSION = "1.38.0"
DESCRIPTION = "idempotency keys unique per user"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="boxoffice", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Payment",
        tablename="payment",
        column_name="idempotency_key",
        db_column_name="idempotency_key",
        params={"unique": False},
        old_params={"unique": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.add_constraint(
        table_class_name="Payment",
        tablename="payment",
        constraint_name="unique_user_idempotency_key",
        constraint_class=Unique,
        params={"columns": ["idempotency_key", "user"], "nulls_distinct": True},
        schema=None,
    )

    return manager
