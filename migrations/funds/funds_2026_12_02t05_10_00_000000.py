"""The chain-head witness log is append-only, like the journal."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-02T05:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "chain head witness log is append-only"

TABLE = "chain_head_log"


def _guards(postgres: bool) -> list[str]:
    if postgres:
        return [
            f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}"
            " FOR EACH ROW EXECUTE FUNCTION changxiao_refuse_change()",
            f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}"
            " FOR EACH STATEMENT EXECUTE FUNCTION changxiao_refuse_change()",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_community_head ON {TABLE} (community, head_hash)",
        ]
    return [
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}"
        f" BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}"
        f" BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_community_head ON {TABLE} (community, head_hash)",
    ]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="funds", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        for statement in _guards(isinstance(engine, PostgresEngine)):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
