"""Job runs gain a state: running under a lease, done, or failed and due for a retry."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T08:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "job run states, leases and retries"

COLUMNS = (
    "status VARCHAR(12) NOT NULL DEFAULT 'done'",
    "attempt INTEGER NOT NULL DEFAULT 1",
    "lease_until TIMESTAMPTZ NULL",
    "next_retry_at TIMESTAMPTZ NULL",
    "run_at TIMESTAMPTZ NULL",
    "worker VARCHAR(80) NOT NULL DEFAULT ''",
    "cause VARCHAR(12) NOT NULL DEFAULT 'schedule'",
    "error TEXT NOT NULL DEFAULT ''",
    "counts TEXT NOT NULL DEFAULT '{}'",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        for column in COLUMNS:
            await engine.run_ddl(f"ALTER TABLE job_run ADD COLUMN {column}")
        await engine.run_ddl(
            "CREATE INDEX IF NOT EXISTS job_run_due ON job_run (status, next_retry_at)"
        )

    manager.add_raw(run)
    return manager
