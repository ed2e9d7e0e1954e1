"""Keys of the district calendar and the warranty charges (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T04:38:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one working-day override per district and day"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS workday_override_district_day"
    " ON workday_override (district, day)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="warranty", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
