"""The journal lines' references checked once per statement on PostgreSQL (issue 15, goals 3
and 4).

A line names its entry, its account, the account's household and the owner at the time.
As foreign keys, PostgreSQL checked each of the four with its own query per line, locking
the household's and the owner's rows (a WAL record and a dirtied page in two tables the
posting does not otherwise touch): two thirds of a line's cost in a batch (measured on a
162,190-household district, lines by one INSERT … SELECT: 9.9 s with the four keys, 3.2 s
with no check at all, 5.3 s with this trigger).

Now one trigger after each INSERT or COPY into ``fund_line`` checks the statement's new
lines set-based, from their transition table, and refuses the whole statement if a line
lacks its entry or account (``not_null_violation``), or names an entry, account or owner
that does not exist, or a household other than its account's, which the foreign keys did
not check (``foreign_key_violation``). The parents need no lock because they cannot go
away: ``fund_entry`` is append-only, ``fund_account`` and ``owner`` rows can no longer be
deleted, nor their ids (or an account's household) changed, and a household is kept by
its account's foreign key (every line names an account). The function names its tables in
the schema it was made in, so a temporary table of the same name cannot stand in for one.

SQLite keeps the foreign keys and gains triggers for what they do not check (entry and
account given, the household the account's, an account's id and household kept). On both
engines the index on ``fund_line.entry`` alone goes: ``fund_line_entry_account`` (entry,
account) serves every query by entry. The migration stops if a line already written breaks
the new rules.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-03T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "fund_line: references checked per statement; the redundant entry index dropped"

# ``{schema}``: the function names its tables in the schema it was made in (with
# ``pg_temp`` last), so a session's temporary table of the same name cannot stand in for one.
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
                   AND (n.household IS NULL OR a.household = n.household))) THEN
        RAISE EXCEPTION 'fund_line.account names no fund_account of the line''s household'
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

KEEP = """
CREATE OR REPLACE FUNCTION changxiao_refuse_journal_parent_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the fund journal names its rows',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation';
END
$$ LANGUAGE plpgsql
"""

POSTGRES = [
    CHECK,
    KEEP,
    "ALTER TABLE fund_line DROP CONSTRAINT IF EXISTS fund_line_entry_fkey,"
    " DROP CONSTRAINT IF EXISTS fund_line_account_fkey,"
    " DROP CONSTRAINT IF EXISTS fund_line_household_fkey,"
    " DROP CONSTRAINT IF EXISTS fund_line_owner_fkey",
    "DROP TRIGGER IF EXISTS fund_line_references ON fund_line",
    "CREATE TRIGGER fund_line_references AFTER INSERT ON fund_line"
    " REFERENCING NEW TABLE AS added FOR EACH STATEMENT"
    " EXECUTE FUNCTION changxiao_fund_line_references()",
    "DROP TRIGGER IF EXISTS fund_account_kept ON fund_account",
    "CREATE TRIGGER fund_account_kept BEFORE UPDATE OF id, household ON fund_account"
    " FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id"
    " OR OLD.household IS DISTINCT FROM NEW.household)"
    " EXECUTE FUNCTION changxiao_refuse_journal_parent_change()",
    "DROP TRIGGER IF EXISTS fund_account_not_deleted ON fund_account",
    "CREATE TRIGGER fund_account_not_deleted BEFORE DELETE ON fund_account"
    " FOR EACH ROW EXECUTE FUNCTION changxiao_refuse_journal_parent_change()",
    "DROP TRIGGER IF EXISTS fund_account_no_truncate ON fund_account",
    "CREATE TRIGGER fund_account_no_truncate BEFORE TRUNCATE ON fund_account"
    " FOR EACH STATEMENT EXECUTE FUNCTION changxiao_refuse_journal_parent_change()",
    "DROP TRIGGER IF EXISTS owner_kept ON owner",
    "CREATE TRIGGER owner_kept BEFORE UPDATE OF id ON owner"
    " FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)"
    " EXECUTE FUNCTION changxiao_refuse_journal_parent_change()",
    "DROP TRIGGER IF EXISTS owner_not_deleted ON owner",
    "CREATE TRIGGER owner_not_deleted BEFORE DELETE ON owner"
    " FOR EACH ROW EXECUTE FUNCTION changxiao_refuse_journal_parent_change()",
    "DROP TRIGGER IF EXISTS owner_no_truncate ON owner",
    "CREATE TRIGGER owner_no_truncate BEFORE TRUNCATE ON owner"
    " FOR EACH STATEMENT EXECUTE FUNCTION changxiao_refuse_journal_parent_change()",
]
# SQLite's foreign keys check each reference; these add what they do not: the line's
# entry and account are given, its household is its account's, and an account keeps its
# id and household.
SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS fund_line_entry_and_account BEFORE INSERT ON fund_line"
    " WHEN NEW.entry IS NULL OR NEW.account IS NULL"
    " BEGIN SELECT RAISE(ABORT, 'fund_line.entry and fund_line.account are required'); END",
    "CREATE TRIGGER IF NOT EXISTS fund_line_household_of_account BEFORE INSERT ON fund_line"
    " WHEN NEW.household IS NOT NULL AND NEW.account IS NOT NULL AND NOT EXISTS ("
    " SELECT 1 FROM fund_account WHERE id = NEW.account AND household = NEW.household)"
    " BEGIN SELECT RAISE(ABORT,"
    " 'fund_line.account names no fund_account of the line''s household'); END",
    "CREATE TRIGGER IF NOT EXISTS fund_account_kept BEFORE UPDATE OF id, household"
    " ON fund_account WHEN OLD.id IS NOT NEW.id OR OLD.household IS NOT NEW.household"
    " BEGIN SELECT RAISE(ABORT,"
    " 'UPDATE on fund_account is not allowed: the fund journal names its rows'); END",
]
# Lines already written that the new rules would refuse: the migration stops on them
# (a line whose household is not its account's could not be reversed afterwards).
REFUSED = (
    "SELECT COUNT(*) AS n FROM fund_line AS l LEFT JOIN fund_account AS a ON a.id = l.account"
    " WHERE l.entry IS NULL OR a.id IS NULL"
    " OR (l.household IS NOT NULL AND (a.household IS NULL OR a.household <> l.household))"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="funds", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        refused = int((await engine.run_ddl(REFUSED))[0]["n"])
        if refused:
            raise RuntimeError(
                f"{refused} fund_line rows have no entry or account, or a household other than"
                " their account's: repair them outside the service (a reversal copies the"
                " line's household) and record the repair, then migrate again"
            )
        if isinstance(engine, PostgresEngine):
            schema = (await engine.run_ddl("SELECT quote_ident(current_schema()) AS s"))[0]["s"]
            own = [POSTGRES[0].replace("{schema}", schema), *POSTGRES[1:]]
        else:
            own = SQLITE
        for statement in own:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    # Covered by fund_line_entry_account (entry, account): one index fewer to write a line.
    manager.alter_column(
        table_class_name="FundLine",
        tablename="fund_line",
        column_name="entry",
        db_column_name="entry",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )
    return manager
