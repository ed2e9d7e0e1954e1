"""Database helpers: the PostgreSQL pool's cheap reset (``service.db._reset``), safe only
while the code keeps no session state, and writes queued for COMMIT."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from service import db
from service.db import (
    _reset,
    fetch,
    insert_writes,
    is_postgres,
    transaction,
    write_at_commit,
    write_together,
)

ROOT = Path(__file__).resolve().parent.parent
# SQL that leaves state on a connection beyond its transaction (SQL is written upper-case).
SESSION_STATE = re.compile(
    r"""["']\s*(SET\s|RESET\s|LISTEN\s|DECLARE\s)|pg_advisory_lock|pg_advisory_xact_lock_shared"""
    r"""|\.add_listener\(|\bset_type_codec\(|set_config\([^)]*,\s*(?i:false)\s*\)""",
)


def test_no_code_keeps_session_state_on_a_pooled_connection() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("service", "jobs")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SESSION_STATE.search(line)
    ]
    assert found == []


def test_the_pattern_catches_a_session_setting() -> None:
    assert SESSION_STATE.search('await fetch("SET statement_timeout = 5")')
    assert not SESSION_STATE.search('"UPDATE fund_chain SET last_seq = 1"')
    # set_config(..., false) sets it for the session, (..., true) for the transaction.
    assert SESSION_STATE.search("\"SELECT set_config('work_mem', '1GB', false)\"")
    assert not SESSION_STATE.search("\"SELECT set_config('work_mem', '1GB', true)\"")


async def test_a_transaction_left_open_is_rolled_back_on_release(database: None) -> None:
    if not is_postgres():
        pytest.skip("the connection pool exists on PostgreSQL only")
    import asyncpg

    connection = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        await connection.execute("BEGIN")
        await connection.execute("CREATE TEMP TABLE left_open (x int) ON COMMIT DROP")
        await _reset(connection)
        assert not connection.is_in_transaction()
        assert await connection.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
    finally:
        await connection.close()


async def _scratch(name: str) -> None:
    await fetch(f"CREATE TABLE IF NOT EXISTS {name} (n INTEGER NOT NULL)")
    await fetch(f"DELETE FROM {name}")


async def _numbers(name: str) -> list[int]:
    return [int(r["n"]) for r in await fetch(f"SELECT n FROM {name} ORDER BY n")]


async def test_writes_queued_for_commit_land_with_it(database: None) -> None:
    await _scratch("scratch_commit")
    async with transaction():
        await write_at_commit([("INSERT INTO scratch_commit (n) VALUES ({})", (1,))])
        assert await _numbers("scratch_commit") == []  # not before COMMIT
        async with transaction():  # a nested block joins; the outermost flushes
            await write_at_commit([("INSERT INTO scratch_commit (n) VALUES ({})", (2,))])
        assert await _numbers("scratch_commit") == []
    assert await _numbers("scratch_commit") == [1, 2]


async def test_writes_queued_for_commit_vanish_on_rollback(database: None) -> None:
    await _scratch("scratch_rollback")
    with pytest.raises(RuntimeError):
        async with transaction():
            await write_at_commit([("INSERT INTO scratch_rollback (n) VALUES ({})", (1,))])
            raise RuntimeError("refused")
    async with transaction():
        pass  # the next transaction does not inherit the abandoned queue
    assert await _numbers("scratch_rollback") == []


async def test_outside_a_transaction_a_queued_write_goes_out_at_once(database: None) -> None:
    await _scratch("scratch_now")
    await write_at_commit([("INSERT INTO scratch_now (n) VALUES ({})", (7,))])
    assert await _numbers("scratch_now") == [7]


async def test_writes_together_split_at_the_parameter_limit(
    database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _scratch("scratch_split")
    monkeypatch.setattr(db, "MAX_STATEMENT_ARGS", 3)
    writes = insert_writes("scratch_split", ("n",), [(n,) for n in range(5)])
    writes += [("UPDATE scratch_split SET n = n + {} WHERE n = {}", (10, 0))]
    async with transaction():
        await write_together(writes)
    assert await _numbers("scratch_split") == [1, 2, 3, 4, 10]


async def test_a_pool_smaller_than_asyncpgs_default_minimum_starts(
    database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not is_postgres():
        pytest.skip("the connection pool exists on PostgreSQL only")
    from piccolo.engine.postgres import PostgresEngine

    from service.config import get_settings

    # A second engine on the test database: the app's own pool stays as it is.
    engine = PostgresEngine(config=dict(db.get_engine().config))  # type: ignore[attr-defined]
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    monkeypatch.setattr(get_settings(), "pg_pool_max", 2)
    await db.open_database()
    try:
        assert engine.pool is not None
        assert engine.pool.get_max_size() == 2
        assert [dict(r) for r in await fetch("SELECT 1 AS one")] == [{"one": 1}]
    finally:
        await db.close_database()
