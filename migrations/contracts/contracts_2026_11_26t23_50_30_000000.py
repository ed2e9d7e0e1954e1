"""Keys Piccolo's columns cannot express for service records (issue 5)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T23:50:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "service record batch key and date index"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS service_record_batch_key"
    " ON service_record_batch (contract, batch_key)",
    "CREATE INDEX IF NOT EXISTS service_record_contract_day"
    " ON service_record (contract, performed_on)",
    "CREATE INDEX IF NOT EXISTS contract_community_status ON contract (community, status)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="contracts", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
