"""One claim per job and slot: the unique key that makes scheduled runs exactly-once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T00:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique job run claims"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        await get_engine().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS job_run_job_slot ON job_run (job, slot)"
        )

    manager.add_raw(run)
    return manager
