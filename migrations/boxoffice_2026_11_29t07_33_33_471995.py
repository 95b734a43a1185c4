from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import DoublePrecision
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Unique

ID = "2026-11-29T07:33:33:471995"
VERSION = "1.38.0"
DESCRIPTION = "catalog import source ids, nullable city position"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="boxoffice", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="City",
        tablename="city",
        column_name="source_id",
        db_column_name="source_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Cinema",
        tablename="cinema",
        column_name="source_id",
        db_column_name="source_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CinemaHall",
        tablename="cinema_hall",
        column_name="source_id",
        db_column_name="source_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
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
        table_class_name="Movie",
        tablename="movie",
        column_name="source_id",
        db_column_name="source_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": True,
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
        column_name="source_id",
        db_column_name="source_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="City",
        tablename="city",
        column_name="lat",
        db_column_name="lat",
        params={"default": None, "null": True},
        old_params={"default": 0.0, "null": False},
        column_class=DoublePrecision,
        old_column_class=DoublePrecision,
        schema=None,
    )

    manager.alter_column(
        table_class_name="City",
        tablename="city",
        column_name="lng",
        db_column_name="lng",
        params={"default": None, "null": True},
        old_params={"default": 0.0, "null": False},
        column_class=DoublePrecision,
        old_column_class=DoublePrecision,
        schema=None,
    )

    manager.add_constraint(
        table_class_name="CinemaHall",
        tablename="cinema_hall",
        constraint_name="unique_cinema_source_id",
        constraint_class=Unique,
        params={"columns": ["cinema", "source_id"], "nulls_distinct": True},
        schema=None,
    )

    return manager
