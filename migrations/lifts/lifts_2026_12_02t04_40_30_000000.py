"""One share and one consent form per flat and project, one upkeep charge per year and
kind, one active project per unit: the database backs the service's checks."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T04:40:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "lift unique keys"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS lift_share_one_per_flat"
    " ON lift_share (project, household)",
    "CREATE UNIQUE INDEX IF NOT EXISTS lift_consent_one_per_flat"
    " ON lift_consent (project, household)",
    "CREATE UNIQUE INDEX IF NOT EXISTS lift_upkeep_one_per_year"
    " ON lift_upkeep (project, year, kind)",
    "CREATE UNIQUE INDEX IF NOT EXISTS lift_project_one_active_per_unit"
    " ON lift_project (building, COALESCE(unit_no, ''))"
    " WHERE status NOT IN ('rejected', 'cancelled')",
    "CREATE INDEX IF NOT EXISTS lift_payment_project_household"
    " ON lift_payment (project, household)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="lifts", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        for statement in STATEMENTS:
            await get_engine().run_ddl(statement)

    manager.add_raw(run)
    return manager
