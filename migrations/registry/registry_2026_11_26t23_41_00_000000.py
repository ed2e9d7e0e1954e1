"""Constraints Piccolo's columns cannot express, and append-only guards.

Composite unique keys work on both engines; the triggers refusing UPDATE and DELETE on
the audit log are PostgreSQL's (SQLite gets equivalent triggers with RAISE(ABORT)).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-26T23:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite keys and append-only audit log"

UNIQUE_INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS area_district_code ON area (district, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS community_district_code ON community (district, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS building_community_name ON building (community, name)",
    "CREATE UNIQUE INDEX IF NOT EXISTS household_place"
    " ON household (building, unit_no, room_no)",
    "CREATE UNIQUE INDEX IF NOT EXISTS owner_district_digest ON owner (district, id_digest)",
    "CREATE INDEX IF NOT EXISTS ownership_household_since ON ownership (household, since)",
]

POSTGRES_GUARDS = [
    """
    CREATE OR REPLACE FUNCTION changxiao_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    """
    CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION changxiao_refuse_change()
    """,
]

SQLITE_GUARDS = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END
    """,
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        guards = POSTGRES_GUARDS if isinstance(engine, PostgresEngine) else SQLITE_GUARDS
        for statement in UNIQUE_INDEXES + guards:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
