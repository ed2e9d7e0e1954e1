"""A vote's notice is served on an owner once: one row per fund use and owner."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T04:35:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one served notice per fund use and owner"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="funds", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        await get_engine().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS fund_notice_served_once"
            " ON fund_notice_served (fund_use, owner)"
        )

    manager.add_raw(run)
    return manager
