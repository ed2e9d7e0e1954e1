"""One row per district and component: the database backs the settings' replace."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T08:08:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "lifecycle component unique per district"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS lifecycle_component_one_per_district"
    " ON lifecycle_component (district, component)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="forecast", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        for statement in STATEMENTS:
            await get_engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
