"""Keys Piccolo's columns cannot express for the warranty context (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T23:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite keys of works and tickets"

STATEMENTS = [
    # A work lists each category once, and each building once.
    "CREATE UNIQUE INDEX IF NOT EXISTS work_component_work_category"
    " ON work_component (work, category)",
    "CREATE UNIQUE INDEX IF NOT EXISTS work_building_work_building"
    " ON work_building (work, building)",
    # Routing looks up a community's components by category.
    "CREATE INDEX IF NOT EXISTS work_component_community_category"
    " ON work_component (community, category)",
    # Figures read a district's tickets by report time; the overdue list by due time.
    "CREATE INDEX IF NOT EXISTS repair_ticket_district_reported"
    " ON repair_ticket (district, reported_at)",
    "CREATE INDEX IF NOT EXISTS repair_ticket_status_due ON repair_ticket (status, due_at)",
    "CREATE INDEX IF NOT EXISTS repair_event_ticket_at ON repair_event (ticket, at)",
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
