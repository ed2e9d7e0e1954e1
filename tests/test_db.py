"""The PostgreSQL pool's cheap reset (``service.db._reset``) is safe only while the code
keeps no session state; these tests hold both halves of that bargain."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from service.db import _reset, is_postgres

ROOT = Path(__file__).resolve().parent.parent
# SQL that leaves state on a connection beyond its transaction (SQL is written upper-case).
SESSION_STATE = re.compile(
    r"""["']\s*(SET\s|RESET\s|LISTEN\s|DECLARE\s)|pg_advisory_lock|pg_advisory_xact_lock_shared"""
    r"""|\.add_listener\(|\bset_type_codec\(""",
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
