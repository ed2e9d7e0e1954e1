"""Test harness: one real database per run (SQLite by default, PostgreSQL when
DATABASE_URL says so), migrated from scratch, and the app served in the session loop
through httpx's ASGI transport (see STACK-NOTES: AsyncTestClient breaks the pool)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlparse

_TMP = Path(tempfile.mkdtemp(prefix="changxiao-test-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'test.sqlite3'}")
# PostgreSQL: each run gets its own database next to the one named (created, then
# dropped), so two runs on one server never wipe each other.
ADMIN_URL = os.environ["DATABASE_URL"]
if ADMIN_URL.startswith("postgres"):
    _parts = urlparse(ADMIN_URL)
    os.environ["DATABASE_URL"] = _parts._replace(path=f"/changxiao_{os.getpid()}_test").geturl()
os.environ.setdefault("CHANGXIAO_TOKEN_SECRET", "test-token-secret-" + "x" * 32)
os.environ.setdefault("CHANGXIAO_ID_PEPPER", "test-id-pepper-" + "y" * 32)
os.environ["PICCOLO_CONF"] = "service.piccolo_conf"
# Tests call jobs directly; the background scheduler stays off.
os.environ["CHANGXIAO_SCHEDULER"] = "0"
os.environ["CHANGXIAO_ATTACHMENTS_DIR"] = str(_TMP / "attachments")

import httpx  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# Properties are checked by their examples, not by the clock: a loaded CI machine must not
# fail a rule because drawing inputs or one example was slow.
settings.register_profile("changxiao", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("changxiao")

from service.config import get_settings  # noqa: E402

DATABASE_URL = os.environ["DATABASE_URL"]
IS_POSTGRES = DATABASE_URL.startswith("postgres")


def pytest_report_header() -> str:
    shown = DATABASE_URL if IS_POSTGRES else "sqlite (temporary file)"
    return f"changxiao database: {'PostgreSQL' if IS_POSTGRES else 'SQLite'} — {shown}"


async def _postgres_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _test_database_name() -> str:
    name = urlparse(DATABASE_URL).path.lstrip("/")
    assert name.endswith("_test"), name
    return name


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[None]:
    from service.migrate import migrate

    assert get_settings().database_url == DATABASE_URL
    if IS_POSTGRES:
        name = _test_database_name()
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}"')
        await _postgres_admin(f'CREATE DATABASE "{name}"')
    await migrate()
    yield
    if IS_POSTGRES:
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def app(database: None) -> AsyncIterator[object]:
    from service.app import create_app

    application = create_app()
    started = asyncio.Event()
    stop = asyncio.Event()

    async def run_lifespan() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run_lifespan())
    await asyncio.wait_for(started.wait(), timeout=30)
    yield application
    stop.set()
    await task


@pytest.fixture(scope="session")
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
async def world(client: httpx.AsyncClient) -> object:
    """A small district: see tests/support.py."""
    from tests.support import build_world

    return await build_world(client)
