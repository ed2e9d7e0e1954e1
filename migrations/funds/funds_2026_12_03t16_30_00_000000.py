"""A journal line's household is exactly its account's, and ``fund_line`` loses its
household index (issue 15, goals 3 and 4).

Every household has one account for good (``fund_account.household`` is unique and can
no longer change, migration ``funds_2026_12_03t12_30_00``), and every posting names the
household on a household account's line and none on the custody account's. That rule is
now the schema's: a line's household IS NOT DISTINCT FROM its account's household (before,
a household account's line could leave the household out). So "the lines of household H"
are "the lines of H's account", which the index on ``fund_line.account`` finds; the index
on ``fund_line.household`` indexed the same lines a second time under another random key.
Measured on a 162,190-household district (lines by one INSERT … SELECT, each variant
rolled back, 3 rounds): 2.66-2.74 s with it, 1.72-1.82 s without.

The migration stops if a line already written breaks the rule. On PostgreSQL it first
takes a SHARE lock on ``fund_line`` (in the migration's transaction), so that postings in
flight finish before the count and new ones wait until the new rule is in place; stop the
previous version's processes before migrating, as for every release.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-03T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "fund_line: the household is the account's; the household index dropped"

# As in ``funds_2026_12_03t12_30_00``, but the household compared NULL-safely: a line of
# a household account names that household, a line of the custody account none.
CHECK = """
CREATE OR REPLACE FUNCTION changxiao_fund_line_references() RETURNS trigger
SET search_path = {schema}, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM added WHERE entry IS NULL OR account IS NULL) THEN
        RAISE EXCEPTION 'fund_line.entry and fund_line.account are required'
            USING ERRCODE = 'not_null_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT entry FROM added) AS n
               WHERE NOT EXISTS (SELECT 1 FROM fund_entry AS e WHERE e.id = n.entry)) THEN
        RAISE EXCEPTION 'fund_line.entry names no fund_entry'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM added AS n WHERE NOT EXISTS (
                   SELECT 1 FROM fund_account AS a WHERE a.id = n.account
                   AND a.household IS NOT DISTINCT FROM n.household)) THEN
        RAISE EXCEPTION 'fund_line.account must exist and be the account of fund_line.household'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM added AS n WHERE n.owner IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM owner AS o WHERE o.id = n.owner)) THEN
        RAISE EXCEPTION 'fund_line.owner names no owner'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

SQLITE = [
    "DROP TRIGGER IF EXISTS fund_line_household_of_account",
    "CREATE TRIGGER fund_line_household_of_account BEFORE INSERT ON fund_line"
    " WHEN NEW.account IS NOT NULL AND NOT EXISTS ("
    " SELECT 1 FROM fund_account WHERE id = NEW.account AND household IS NEW.household)"
    " BEGIN SELECT RAISE(ABORT,"
    " 'fund_line.account must exist and be the account of fund_line.household'); END",
]

DROP_INDEX = "DROP INDEX IF EXISTS fund_line_household"

# Lines already written that the rule refuses: the migration stops on them.
REFUSED = (
    "SELECT COUNT(*) AS n FROM fund_line AS l JOIN fund_account AS a ON a.id = l.account"
    " WHERE (l.household IS NULL) <> (a.household IS NULL) OR l.household <> a.household"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="funds", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl("LOCK TABLE fund_line IN SHARE MODE")
        refused = int((await engine.run_ddl(REFUSED))[0]["n"])
        if refused:
            # A reversal would copy the line's household and leave the line: such lines
            # need a repair outside the service, recorded, before this migration.
            raise RuntimeError(
                f"{refused} fund_line rows name a household other than their account's"
                " (or leave it out): repair them outside the service (a reversal copies"
                " the line's household) and record the repair, then migrate again"
            )
        if isinstance(engine, PostgresEngine):
            schema = (await engine.run_ddl("SELECT quote_ident(current_schema()) AS s"))[0]["s"]
            own = [CHECK.replace("{schema}", schema)]
        else:
            own = SQLITE
        for statement in [*own, DROP_INDEX]:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
