"""One catalogue version number per district, and at most one unfinished rectification
task per place and item: the database backs the service's checks."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T08:13:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "standards keys"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS standard_catalogue_district_version"
    " ON standard_catalogue (district, version)",
    "CREATE UNIQUE INDEX IF NOT EXISTS standard_rectification_one_open"
    " ON standard_rectification (code, COALESCE(community, area))"
    " WHERE status <> 'closed'",
    "CREATE INDEX IF NOT EXISTS standard_inspection_community"
    " ON standard_inspection (community, inspected_on)",
    "CREATE INDEX IF NOT EXISTS standard_inspection_area"
    " ON standard_inspection (area, inspected_on)",
    "CREATE INDEX IF NOT EXISTS standard_rectification_community"
    " ON standard_rectification (community, status)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="standards", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        for statement in STATEMENTS:
            await get_engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
