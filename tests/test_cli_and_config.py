"""The command line and the settings, as a newcomer meets them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.config import ConfigurationError, Settings

ROOT = Path(__file__).resolve().parent.parent


def changxiao(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_explains_every_command() -> None:
    result = changxiao("--help", env={})
    assert result.returncode == 0
    for command in ("serve", "migrate", "seed", "user", "import"):
        assert command in result.stdout


def test_user_add_bootstraps_the_district_and_bureau_on_an_empty_database(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'boot.sqlite3'}"}
    assert changxiao("migrate", env=env).returncode == 0
    first = changxiao(
        "user",
        "add",
        "--username",
        "chief",
        "--password",
        "s3cret-pass",
        "--role",
        "bureau",
        env=env,
    )
    assert first.returncode == 0, first.stderr
    again = changxiao(
        "user",
        "add",
        "--username",
        "chief",
        "--password",
        "s3cret-pass",
        "--role",
        "bureau",
        env=env,
    )
    assert again.returncode == 1
    assert "chief" in again.stderr
    short = changxiao(
        "user", "add", "--username", "deputy", "--password", "short", "--role", "bureau", env=env
    )
    assert short.returncode == 1


def test_migrate_twice_is_harmless(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'twice.sqlite3'}"}
    assert changxiao("migrate", env=env).returncode == 0
    assert changxiao("migrate", env=env).returncode == 0


def test_production_without_explicit_secrets_refuses_to_start() -> None:
    with pytest.raises(ConfigurationError, match="CHANGXIAO_TOKEN_SECRET"):
        Settings(CHANGXIAO_ENV="production", CHANGXIAO_TOKEN_SECRET="", CHANGXIAO_ID_PEPPER="")


def test_production_with_secrets_starts() -> None:
    settings = Settings(
        CHANGXIAO_ENV="production",
        CHANGXIAO_TOKEN_SECRET="t" * 40,
        CHANGXIAO_ID_PEPPER="p" * 40,
        CHANGXIAO_WITNESS_KEY="w" * 40,
    )
    assert settings.token_secret == "t" * 40


def test_workers_and_pool_size_must_be_at_least_one() -> None:
    assert Settings(CHANGXIAO_WORKERS="1", CHANGXIAO_PG_POOL_MAX="1").pg_pool_max == 1
    with pytest.raises(ValueError, match="CHANGXIAO_WORKERS"):
        Settings(CHANGXIAO_WORKERS="0")
    with pytest.raises(ValueError, match="CHANGXIAO_PG_POOL_MAX"):
        Settings(CHANGXIAO_PG_POOL_MAX="0")


def test_serve_refuses_zero_workers() -> None:
    result = changxiao("serve", "--workers", "0", env={})
    assert result.returncode == 2
    assert "--workers" in result.stderr


def test_database_url_picks_the_engine() -> None:
    from piccolo.engine.postgres import PostgresEngine
    from piccolo.engine.sqlite import SQLiteEngine

    from service.db import engine_from_url

    assert isinstance(engine_from_url("sqlite:///var/x.sqlite3"), SQLiteEngine)
    assert isinstance(engine_from_url("postgresql://postgres@127.0.0.1:5432/test"), PostgresEngine)
    with pytest.raises(ValueError, match="DATABASE_URL"):
        engine_from_url("mysql://root@localhost/x")


def test_a_transaction_pooler_turns_off_asyncpgs_named_statements() -> None:
    """CHANGXIAO_DB_POOLER=transaction (served through pgbouncer: tests/scaling)."""
    from service.config import Settings
    from service.db import engine_from_url

    url = "postgresql://postgres@127.0.0.1:5432/test"
    assert "statement_cache_size" not in engine_from_url(url).config  # type: ignore[attr-defined]
    pooled = engine_from_url(url, pooler="transaction")
    assert pooled.config["statement_cache_size"] == 0  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="CHANGXIAO_DB_POOLER"):
        engine_from_url(url, pooler="statement")
    assert Settings(CHANGXIAO_DB_POOLER="transaction").db_pooler == "transaction"  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        Settings(CHANGXIAO_DB_POOLER="session")  # type: ignore[call-arg]


def test_fund_verify_on_an_empty_database_says_there_is_nothing_to_verify(
    tmp_path: Path,
) -> None:
    """(The seeded demo's verification: tests/faults/test_seed_killed.py.)"""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    unmigrated = changxiao("fund", "verify", env=env)
    assert unmigrated.returncode == 2, unmigrated.stderr
    assert "changxiao migrate" in unmigrated.stdout and not unmigrated.stderr
    assert changxiao("migrate", env=env).returncode == 0
    empty = changxiao("fund", "verify", env=env)
    assert empty.returncode == 0, empty.stderr
    assert "0 ok, 0 failed" in empty.stdout


def test_the_statements_report_refuses_bad_workers_and_an_out_that_is_a_file(
    tmp_path: Path,
) -> None:
    """``changxiao report fund-statements``: a worker count below one, or ``--out`` naming
    a file, is refused before anything runs (exit 2, naming the option), not a traceback."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}"}
    a_file = tmp_path / "statements.pdf"
    a_file.write_bytes(b"")
    for args, option in (
        (["--workers", "0"], "--workers"),
        (["--workers", "-1"], "--workers"),
        (["--out", str(a_file)], "--out"),
    ):
        result = changxiao("report", "fund-statements", "--year", "2025", *args, env=env)
        assert result.returncode == 2, (args, result.stderr)
        assert option in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "none.sqlite3").exists()
