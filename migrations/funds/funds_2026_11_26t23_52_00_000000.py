"""Fund ledger constraints Piccolo's columns cannot express, and the append-only journal.

- one sequence number per community and position: unique (community, seq);
- one custody account per community: a partial unique index;
- one idempotency claim per (scope, key);
- fund_entry and fund_line refuse UPDATE and DELETE: corrections are reversal entries.
  PostgreSQL reuses ``changxiao_refuse_change()`` from the registry migration (created
  again here, idempotently, so this migration does not depend on its order); SQLite
  gets triggers with RAISE(ABORT).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-26T23:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "fund ledger keys and append-only journal"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS fund_entry_community_seq ON fund_entry (community, seq)",
    "CREATE INDEX IF NOT EXISTS fund_entry_community_kind_period"
    " ON fund_entry (community, kind, period)",
    "CREATE UNIQUE INDEX IF NOT EXISTS fund_account_custody ON fund_account (community)"
    " WHERE kind = 'custody'",
    "CREATE INDEX IF NOT EXISTS fund_line_entry_account ON fund_line (entry, account)",
    "CREATE INDEX IF NOT EXISTS fund_line_household ON fund_line (household)",
    "CREATE UNIQUE INDEX IF NOT EXISTS idempotency_record_scope_key"
    " ON idempotency_record (scope, key)",
]

JOURNAL = ("fund_entry", "fund_line")

POSTGRES_GUARDS = [
    """
    CREATE OR REPLACE FUNCTION changxiao_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
]
for _table in JOURNAL:
    POSTGRES_GUARDS += [
        f"DROP TRIGGER IF EXISTS {_table}_append_only ON {_table}",
        f"CREATE TRIGGER {_table}_append_only BEFORE UPDATE OR DELETE ON {_table}"
        " FOR EACH ROW EXECUTE FUNCTION changxiao_refuse_change()",
        # TRUNCATE bypasses row triggers.
        f"DROP TRIGGER IF EXISTS {_table}_no_truncate ON {_table}",
        f"CREATE TRIGGER {_table}_no_truncate BEFORE TRUNCATE ON {_table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION changxiao_refuse_change()",
    ]

SQLITE_GUARDS = []
for _table in JOURNAL:
    SQLITE_GUARDS += [
        f"CREATE TRIGGER IF NOT EXISTS {_table}_no_update BEFORE UPDATE ON {_table}"
        f" BEGIN SELECT RAISE(ABORT, '{_table} is append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {_table}_no_delete BEFORE DELETE ON {_table}"
        f" BEGIN SELECT RAISE(ABORT, '{_table} is append-only'); END",
    ]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="funds", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        guards = POSTGRES_GUARDS if isinstance(engine, PostgresEngine) else SQLITE_GUARDS
        for statement in INDEXES + guards:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
