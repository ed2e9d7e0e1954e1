"""The households' totals of each community's journal by book year and kind, kept beside
the journal (issue 15 goal 1: the community summary summed every line of the community's
households on every read).

``fund_year_total`` is a cache of the journal as the balances are: every posting moves it
in the same statements (``ledger.post_entries``) and ``ledger.verify`` recomputes it from
the lines. A reversal counts under the kind of the entry it reverses. Filled here from
the journal as it stands: on PostgreSQL under a SHARE lock on ``fund_entry`` (taken in the
migration's transaction), so that postings in flight finish before the fill reads and new
ones wait until it has committed. Stop the previous version's processes before migrating,
as for every release: one still posting afterwards would not move the totals
(``verify`` would report it).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-02T22:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "fund_year_total: the households' journal totals by community, year and kind"

TABLE = (
    "CREATE TABLE IF NOT EXISTS fund_year_total ("
    " community UUID NOT NULL REFERENCES community (id) ON DELETE RESTRICT,"
    " book_year INTEGER NOT NULL,"
    " kind VARCHAR(32) NOT NULL,"
    " amount_fen BIGINT NOT NULL,"
    " PRIMARY KEY (community, book_year, kind))"
)
FILL = (
    "INSERT INTO fund_year_total (community, book_year, kind, amount_fen)"
    " SELECT a.community AS community, e.book_year AS book_year,"
    " COALESCE(o.kind, e.kind) AS kind, SUM(l.principal_delta + l.interest_delta) AS amount"
    " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
    " LEFT JOIN fund_entry AS o ON o.id = e.reverses_entry"
    " JOIN fund_account AS a ON a.id = l.account"
    " WHERE a.kind = 'household' AND a.community IS NOT NULL"
    " GROUP BY a.community, e.book_year, COALESCE(o.kind, e.kind)"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="funds", description=DESCRIPTION)

    async def run() -> None:
        from service.db import get_engine

        engine = get_engine()
        statements = [TABLE, FILL]
        if isinstance(engine, PostgresEngine):
            statements.insert(1, "LOCK TABLE fund_entry IN SHARE MODE")
        for statement in statements:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
