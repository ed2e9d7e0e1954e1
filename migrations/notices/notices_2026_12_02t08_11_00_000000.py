"""One message per notice and channel: a job run again never queues a second SMS."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T08:11:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one outbox message per notice and channel"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="notices", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        await engine.run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS notice_outbox_one_per_channel"
            " ON notice_outbox (notice, channel)"
        )
        await engine.run_ddl(
            "CREATE INDEX IF NOT EXISTS notice_outbox_due ON notice_outbox (status, next_attempt_at)"
        )

    manager.add_raw(run)
    return manager
