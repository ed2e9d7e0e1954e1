"""Engine selection, the one transaction helper, and database lifecycle.

SQLite is the embedded default (WAL, a busy timeout, IMMEDIATE write transactions so
that two writers queue instead of failing on upgrade); PostgreSQL is production
(asyncpg with a pool).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

SQLITE_BUSY_TIMEOUT_SECONDS = 30
T = TypeVar("T")


def engine_from_url(url: str, pooler: str = "") -> Engine:  # type: ignore[type-arg]
    """Build a Piccolo engine for a ``sqlite:///`` or ``postgresql://`` URL.

    ``pooler="transaction"`` (``CHANGXIAO_DB_POOLER``): the URL names a pooler in
    transaction mode (pgbouncer ``pool_mode = transaction``); see ``PoolerConnection``.
    """
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///var/x.sqlite3 is relative to the working directory,
        # sqlite:////srv/x.sqlite3 absolute.
        path = Path(unquote(url.removeprefix("sqlite:///")))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    if parsed.scheme in ("postgresql", "postgres"):
        config: dict[str, Any] = {
            "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 5432,
            "user": unquote(parsed.username or "postgres"),
            "database": (parsed.path or "/postgres").lstrip("/") or "postgres",
        }
        if parsed.password:
            config["password"] = unquote(parsed.password)
        if pooler == "transaction":
            # A pooler in transaction mode gives the next transaction (or statement outside
            # one) any server connection, where a named prepared statement of asyncpg's
            # cache does not exist; pgbouncer 1.18 (Debian 12) does not track them
            # (``max_prepared_statements`` came in 1.21). Without the cache asyncpg sends
            # only unnamed statements, Parse/Describe/Flush then Parse again with
            # Bind/Execute/Sync: no Sync between them, so the pooler keeps both on one
            # server connection (tests/scaling/test_pgbouncer.py).
            config["statement_cache_size"] = 0
        elif pooler:
            raise ValueError(f"CHANGXIAO_DB_POOLER must be empty or 'transaction', got {pooler!r}")
        return PostgresEngine(config=config)
    raise ValueError(f"DATABASE_URL must start with sqlite:/// or postgresql://, got {url!r}")


def get_engine() -> Engine:  # type: ignore[type-arg]
    from service.piccolo_conf import DB

    return DB


def is_postgres() -> bool:
    return isinstance(get_engine(), PostgresEngine)


Write = tuple[str, Sequence[Any]]  # one INSERT/UPDATE with ``{}`` placeholders, its arguments

# Writes a transaction sends at its end (``write_at_commit``); None outside transaction().
_at_commit: ContextVar[list[Write] | None] = ContextVar("changxiao_at_commit", default=None)
# Parameters per combined statement: under asyncpg's limit of 32,767.
MAX_STATEMENT_ARGS = 30_000


@asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """Run the block in one database transaction; the only way this code base writes.

    Nested use joins the outer transaction. On SQLite the transaction is IMMEDIATE:
    it takes the write lock at BEGIN, so concurrent writers wait (busy timeout)
    rather than fail when a read lock would need upgrading. Writes queued with
    ``write_at_commit`` go out together just before COMMIT, and not at all on rollback.
    """
    engine = get_engine()
    block = (
        engine.transaction(transaction_type=TransactionType.immediate)
        if isinstance(engine, SQLiteEngine)
        else engine.transaction()
    )
    outermost = _at_commit.get() is None
    token = _at_commit.set([]) if outermost else None
    try:
        async with block:
            yield
            if outermost:
                await _flush_at_commit()
    finally:
        if token is not None:
            _at_commit.reset(token)


# A batch transaction's settings on PostgreSQL (``for_batch``). A district's reads are
# planned at costs far above ``jit_above_cost``, so the server compiles each of them with
# LLVM first (86 ms for the balance-days read of a 162,190-household district, more than
# the read's own work); and their hash aggregates outgrow the default 4 MB of
# ``work_mem`` and spill to disk. Both last until the transaction's end (SET LOCAL), so
# they work through a pooler in transaction mode and touch no other request.
BATCH_SETTINGS = {"jit": "off", "work_mem": "64MB"}


async def for_batch() -> None:
    """Inside a transaction, before a batch's statements: ``BATCH_SETTINGS`` for the rest
    of the transaction on PostgreSQL, in one round trip; nothing on SQLite."""
    if is_postgres():
        await fetch(
            "SELECT " + ", ".join("set_config({}, {}, true)" for _ in BATCH_SETTINGS),
            *[value for pair in BATCH_SETTINGS.items() for value in pair],
        )


@asynccontextmanager
async def batch_writes() -> AsyncIterator[None]:
    """Inside a transaction, around a batch's group writes (``ledger.post_overlapped``):
    each statement planned once for arrays of any length (a generic plan) on PostgreSQL,
    and the planner's own choice again after the block. A custom plan sees a group's
    4,000-row array and, for the balance update, scans and hashes the whole account table
    to join it: at 10x the demo 100 ms a group instead of 20 ms through the row places,
    for the five groups after which PostgreSQL would try the generic plan itself (at 100x,
    about ten times that). Not for the reads around it: a generic plan of the
    balance-days read cannot see that its period's first day leaves few journal lines to
    read. The mode is set back also when the block raises."""
    if not is_postgres():
        yield
        return
    rows = await fetch(
        "SELECT current_setting('plan_cache_mode') AS mode,"
        " set_config('plan_cache_mode', 'force_generic_plan', true)"
    )
    restore = "SELECT set_config('plan_cache_mode', {}, true)"
    try:
        yield
    except Exception:
        # An error raised in Python (a draft refused, say) leaves the transaction usable
        # to a caller that catches it; one raised by PostgreSQL has aborted it (and the
        # restore fails, quietly, as the rollback undoes the setting anyway).
        with suppress(Exception):
            await fetch(restore, rows[0]["mode"])
        raise
    await fetch(restore, rows[0]["mode"])


async def write_at_commit(writes: Sequence[Write]) -> None:
    """Queue INSERTs or UPDATEs to go out with the transaction's other queued writes
    just before COMMIT (one statement on PostgreSQL); outside a transaction, write now.

    Only for writes that nothing later in the transaction reads and that do not read
    each other (an audit row, the stored answer of an idempotent request, a posting
    whose caller reads nothing after it).
    """
    queued = _at_commit.get()
    if queued is None:
        await write_together(writes)
    else:
        queued.extend(writes)


async def _flush_at_commit() -> None:
    queued = _at_commit.get()
    if queued:
        _at_commit.set([])
        await write_together(queued)


async def write_together(writes: Sequence[Write]) -> None:
    """Independent writes — none reads what another writes — as few statements as the
    parameter limit allows on PostgreSQL (``WITH w0 AS (INSERT ...), w1 AS (UPDATE ...)
    SELECT 1``: data-modifying CTEs, foreign keys checked at the statement's end); one
    after another, in order, on SQLite."""
    if not writes:
        return
    if not is_postgres():
        for sql, args in writes:
            await fetch(sql, *args)
        return
    group: list[Write] = []
    for write in writes:
        if group and sum(len(a) for _, a in group) + len(write[1]) > MAX_STATEMENT_ARGS:
            await _together(group)
            group = []
        group.append(write)
    await _together(group)


async def _together(writes: list[Write]) -> None:
    if len(writes) == 1:
        await fetch(writes[0][0], *writes[0][1])
        return
    ctes = ", ".join(f"w{index} AS ({sql})" for index, (sql, _) in enumerate(writes))
    await fetch(f"WITH {ctes} SELECT 1", *(arg for _, args in writes for arg in args))


async def open_database() -> None:
    """Prepare the engine for serving: WAL on SQLite, the pool on PostgreSQL."""
    from service.config import get_settings

    engine = get_engine()
    if isinstance(engine, SQLiteEngine):
        with sqlite3.connect(engine.path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
    elif isinstance(engine, PostgresEngine):
        size = get_settings().pg_pool_max
        # asyncpg's default min_size (10) would refuse a smaller CHANGXIAO_PG_POOL_MAX.
        await engine.start_connection_pool(min_size=min(10, size), max_size=size, reset=_reset)


async def _reset(connection: Any) -> None:
    """Make a pooled connection clean for its next user.

    asyncpg's default reset sends four statements on every release (unlock advisory
    locks, CLOSE ALL cursors, UNLISTEN, RESET ALL): a round trip and about 0.13 ms per
    request. This code keeps no session state (no advisory locks, cursors, LISTEN or
    session SET: ``tests/test_db.py`` checks the source), so only a transaction left open
    needs undoing, as the default reset does first.
    """
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def close_database() -> None:
    engine = get_engine()
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


async def database_answers() -> bool:
    """True when a trivial query succeeds (used by ``/healthz``)."""
    try:
        await get_engine().run_ddl("SELECT 1")
    except Exception:
        return False
    return True


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run raw SQL with ``{}`` placeholders and return rows.

    On PostgreSQL the statement goes straight to asyncpg (``$n`` placeholders, numbered
    once per distinct statement text) on the connection of the current Piccolo
    transaction, or a pooled one outside a transaction; elsewhere through Piccolo's
    ``QueryString``. Skipping Piccolo's per-call compilation saves about a quarter of
    the client CPU of a short statement.
    """
    engine = get_engine()
    numbered = _numbered(sql)
    current = engine.current_transaction.get()
    if (
        not isinstance(engine, PostgresEngine)
        or numbered is None
        or (current is None and engine.pool is None)  # commands run without the pool
    ):
        from piccolo.querystring import QueryString

        rows = await engine.run_querystring(QueryString(sql, *args))
        return list(rows or [])
    if current is not None:
        return list(await current.connection.fetch(numbered, *args))
    assert engine.pool is not None  # checked above
    async with engine.pool.acquire() as connection:
        return list(await connection.fetch(numbered, *args))


@lru_cache(maxsize=2048)
def _numbered(sql: str) -> str | None:
    """``{}`` placeholders as PostgreSQL's ``$1, $2, ...``; None for a text with any other
    brace (left to Piccolo's formatter)."""
    parts = sql.split("{}")
    if any("{" in part or "}" in part for part in parts):
        return None
    return parts[0] + "".join(f"${index}{part}" for index, part in enumerate(parts[1:], 1))


INSERT_CHUNK = 1000  # rows per INSERT: under SQLite's and asyncpg's parameter limits


def placeholders(count: int) -> str:
    """``({}, {}, ...)``: an IN list or one row of VALUES for ``count`` arguments."""
    return "(" + ", ".join(["{}"] * count) + ")"


def chunks(items: Sequence[T], size: int = INSERT_CHUNK) -> list[Sequence[T]]:
    """``items`` in slices of ``size``: one statement each, under the parameter limits."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def insert_writes(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[Write]:
    """Multi-row INSERTs in chunks of ``INSERT_CHUNK`` rows (under both drivers'
    parameter limits), as writes for ``write_together`` / ``write_at_commit``."""
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    return [
        (
            head + ", ".join([placeholders(len(columns))] * len(chunk)),
            [v for row in chunk for v in row],
        )
        for chunk in chunks(rows)
    ]


async def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Multi-row INSERT in chunks: a few statements for thousands of rows, without
    building an ORM object per row (the demo seed posts 16,219 households in seconds)."""
    for sql, args in insert_writes(table, columns, rows):
        await fetch(sql, *args)


async def copy_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Load many rows: binary COPY on PostgreSQL (on the transaction's connection, so it
    commits or rolls back with it; constraints and triggers apply as to INSERT),
    multi-row INSERTs elsewhere."""
    engine = get_engine()
    current = engine.current_transaction.get() if isinstance(engine, PostgresEngine) else None
    if current is None:
        await insert_rows(table, columns, rows)
        return
    if rows:
        await current.connection.copy_records_to_table(table, records=rows, columns=list(columns))


def read_json(value: Any) -> Any:
    """The one way to read a JSON column, through Piccolo or raw SQL, on either engine.

    Both drivers hand JSON back as text (asyncpg has no JSON codec set; SQLite has no
    JSON type), so reading the text as a list would split it into characters. JSON
    columns here hold arrays, objects or null, never a bare string: text is decoded,
    anything already decoded is returned as it is.
    """
    if isinstance(value, (bytes, bytearray)):
        value = value.decode()
    if isinstance(value, str):
        return json.loads(value)
    return value


def is_missing_table(exc: BaseException) -> bool:
    """True when a statement failed because a table does not exist (not migrated)."""
    if isinstance(exc, sqlite3.OperationalError):
        return "no such table" in str(exc)
    try:
        import asyncpg
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, asyncpg.exceptions.UndefinedTableError)


def is_integrity_error(exc: BaseException) -> bool:
    """True for a unique/foreign-key violation from either driver."""
    if isinstance(exc, sqlite3.IntegrityError):
        return True
    try:
        import asyncpg
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, asyncpg.exceptions.IntegrityConstraintViolationError)
