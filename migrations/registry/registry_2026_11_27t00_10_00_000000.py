"""A household has at most one open ownership: two sales racing cannot leave two owners."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one open ownership per household"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        await get_engine().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS ownership_one_open"
            " ON ownership (household) WHERE until IS NULL"
        )

    manager.add_raw(run)
    return manager
