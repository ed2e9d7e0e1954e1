"""Fund use keys, and the payment records made append-only like the journal.

One share and one ballot per household and use; shares, disbursements and self-funded
amounts are records of money decided and moved: never updated or deleted.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-27T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "fund use keys and append-only payment records"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS fund_use_share_household"
    " ON fund_use_share (fund_use, household)",
    "CREATE UNIQUE INDEX IF NOT EXISTS fund_ballot_household ON fund_ballot (fund_use, household)",
    "CREATE INDEX IF NOT EXISTS fund_self_funded_household_owner"
    " ON fund_self_funded (household, owner)",
]

RECORDS = ("fund_use_share", "fund_disbursement", "fund_self_funded")


def _guards(postgres: bool) -> list[str]:
    statements = []
    for table in RECORDS:
        if postgres:
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION changxiao_refuse_change()",
            ]
        else:
            statements += [
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}"
                f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}"
                f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
            ]
    return statements


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="funds", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        for statement in INDEXES + _guards(isinstance(engine, PostgresEngine)):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
