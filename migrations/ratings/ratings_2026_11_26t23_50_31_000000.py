"""Composite keys of the ratings context, and released subsidies made immutable."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-26T23:50:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "rating keys and immutable released subsidies"

UNIQUE_INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS rating_scheme_district_version"
    " ON rating_scheme (district, version)",
    "CREATE UNIQUE INDEX IF NOT EXISTS rating_period_contract ON contract_rating (period, contract)",
    "CREATE UNIQUE INDEX IF NOT EXISTS satisfaction_period_household"
    " ON satisfaction_answer (period, household)",
    "CREATE UNIQUE INDEX IF NOT EXISTS subsidy_period_contract ON subsidy (period, contract)",
]

POSTGRES_GUARDS = [
    """
    CREATE OR REPLACE FUNCTION changxiao_refuse_released_subsidy_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'subsidy % is released and cannot change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS subsidy_released_is_final ON subsidy",
    """
    CREATE TRIGGER subsidy_released_is_final BEFORE UPDATE OR DELETE ON subsidy
    FOR EACH ROW WHEN (OLD.status = 'released')
    EXECUTE FUNCTION changxiao_refuse_released_subsidy_change()
    """,
]

SQLITE_GUARDS = [
    """
    CREATE TRIGGER IF NOT EXISTS subsidy_released_no_update BEFORE UPDATE ON subsidy
    WHEN OLD.status = 'released'
    BEGIN SELECT RAISE(ABORT, 'a released subsidy cannot change'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS subsidy_released_no_delete BEFORE DELETE ON subsidy
    WHEN OLD.status = 'released'
    BEGIN SELECT RAISE(ABORT, 'a released subsidy cannot change'); END
    """,
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ratings", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        guards = POSTGRES_GUARDS if isinstance(engine, PostgresEngine) else SQLITE_GUARDS
        for statement in UNIQUE_INDEXES + guards:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
