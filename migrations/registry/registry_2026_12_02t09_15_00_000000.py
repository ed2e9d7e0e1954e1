"""The areas each street office covers (street office ↔ area), named by the bureau."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T09:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "street office areas"

STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS street_area ("
    " id UUID PRIMARY KEY,"
    " street UUID NOT NULL REFERENCES organization (id) ON DELETE RESTRICT,"
    " area UUID NOT NULL REFERENCES area (id) ON DELETE RESTRICT,"
    " created_at TIMESTAMPTZ NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS street_area_street_area ON street_area (street, area)",
    "CREATE INDEX IF NOT EXISTS street_area_area ON street_area (area)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        for statement in STATEMENTS:
            await get_engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
