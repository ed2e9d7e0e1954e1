"""A subsidy records the exact months its contract served (issue 10 item 6)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T08:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "subsidy months served"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ratings", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Subsidy",
        tablename="subsidy",
        column_name="months_served",
        db_column_name="months_served",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
            "default": "",
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
