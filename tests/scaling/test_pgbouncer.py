"""The service behind pgbouncer in transaction mode (``CHANGXIAO_DB_POOLER=transaction``).

The test starts its own pgbouncer (``pool_mode = transaction``, three server connections
for the database) on a free port in front of the suite's PostgreSQL, with a scratch
database of its own, and serves ``changxiao serve --workers 2`` through it: two processes
of four pooled connections each share three server connections, so consecutive
transactions of one client connection land on different server connections. Through the
pooler: users added by the CLI, logins, deposits with an Idempotency-Key (a repeated key,
concurrent deposits), a household's fund, a fund use approved and paid (its row locked
with SELECT ... FOR UPDATE), the journal verified (API and CLI) and a job period claimed
by three racing ``changxiao jobs run`` processes, run once. The schema is migrated
directly (docs/scaling.md).

Runs in the PostgreSQL pass; a missing pgbouncer skips it, except when
``CHANGXIAO_REQUIRE_POSTGRES=1`` (CI, which installs it): then it fails.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from service.clock import today
from service.db import engine_from_url
from tests.conftest import ADMIN_URL, IS_POSTGRES, _postgres_admin
from tests.scaling.pgbouncer import free_port, running_pgbouncer, stop, wait_for_port
from tests.scaling.pgbouncer import pgbouncer_binary as pgbouncer_binary_path
from tests.support import PASSWORD, add_household, created, login, make_id_no

pytestmark = pytest.mark.skipif(
    not IS_POSTGRES, reason="pgbouncer fronts PostgreSQL: runs in the PostgreSQL pass"
)

ROOT = Path(__file__).resolve().parents[2]
LOCALHOST = "127.0.0.1"
SERVER_CONNECTIONS = 3  # pgbouncer's default_pool_size: fewer than the clients' connections


@dataclass
class Pooled:
    direct_url: str  # the scratch database on PostgreSQL itself
    pooled_url: str  # the same database through pgbouncer
    workdir: Path

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.pooled_url,
            "CHANGXIAO_DB_POOLER": "transaction",
            "CHANGXIAO_SCHEDULER": "0",
            "PYTHONPATH": str(ROOT),
        }

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "service.cli", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    async def scalar(self, sql: str) -> Any:
        import asyncpg

        connection = await asyncpg.connect(self.direct_url)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()


@pytest.fixture(scope="module")
def pgbouncer_binary() -> str:
    found = pgbouncer_binary_path()
    if found is None:
        reason = "pgbouncer is not installed (Debian: apt-get install pgbouncer)"
        if os.environ.get("CHANGXIAO_REQUIRE_POSTGRES"):
            pytest.fail(f"{reason}; CHANGXIAO_REQUIRE_POSTGRES=1 requires it (.ci/run installs it)")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="module")
async def pooled(pgbouncer_binary: str) -> AsyncIterator[Pooled]:
    """A scratch database, migrated directly, and a pgbouncer in transaction mode in
    front of it; both gone afterwards."""
    name = f"changxiao_pgbouncer_{uuid.uuid4().hex[:8]}"
    direct_url = urlparse(ADMIN_URL)._replace(path=f"/{name}").geturl()
    await _postgres_admin(f'CREATE DATABASE "{name}"')
    try:
        migrated = subprocess.run(
            [sys.executable, "-m", "service.cli", "migrate"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": direct_url, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrated.returncode == 0, migrated.stderr
        with running_pgbouncer(
            pgbouncer_binary, direct_url, server_connections=SERVER_CONNECTIONS
        ) as bouncer:
            yield Pooled(direct_url=direct_url, pooled_url=bouncer.url, workdir=bouncer.workdir)
    finally:
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def served(pooled: Pooled) -> Iterator[str]:
    """``changxiao serve --workers 2`` through the pooler; its base URL."""
    port = free_port()
    log = pooled.workdir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "service.cli", "serve"),
                *("--host", LOCALHOST, "--port", str(port), "--workers", "2"),
            ],
            cwd=ROOT,
            env=pooled.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log, 60)
        base = f"http://{LOCALHOST}:{port}"
        deadline = time.monotonic() + 30
        while httpx.get(f"{base}/healthz").status_code != 200:
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        yield base
    finally:
        stop(process)


async def test_named_statements_break_behind_the_pooler_and_the_setting_avoids_them(
    pooled: Pooled,
) -> None:
    """Why the setting exists: asyncpg's default statement cache prepares named
    statements, which the pooler's next server connection does not hold."""
    import asyncpg

    config = dict(engine_from_url(pooled.pooled_url, pooler="transaction").config)
    assert config.pop("statement_cache_size") == 0

    async def failures(statement_cache_size: int) -> int:
        pool = await asyncpg.create_pool(
            **config, statement_cache_size=statement_cache_size, min_size=6, max_size=6
        )
        assert pool is not None
        failed = 0

        async def one(i: int) -> None:
            nonlocal failed
            async with pool.acquire() as connection:
                try:
                    assert await connection.fetchval("SELECT $1::int * 2", i) == 2 * i
                except asyncpg.exceptions.InvalidSQLStatementNameError:
                    failed += 1

        await asyncio.gather(*(one(i) for i in range(300)))
        await pool.close()
        return failed

    assert await failures(100) > 0  # asyncpg's default
    assert await failures(0) == 0


async def test_the_service_works_through_pgbouncer_in_transaction_mode(
    pooled: Pooled, served: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    for name in ("bureau", "bureau2"):
        added = pooled.cli(
            "user", "add", "--username", f"{name}-{tag}", "--password", PASSWORD, "--role", "bureau"
        )
        assert added.returncode == 0, added.stderr

    async with httpx.AsyncClient(base_url=served, timeout=60) as client:
        bureau = await login(client, f"bureau-{tag}")
        bureau2 = await login(client, f"bureau2-{tag}")
        area = await created(
            await client.post(
                "/api/v1/areas", json={"name": "连接池片区", "code": f"P{tag}"}, headers=bureau
            )
        )
        community = await created(
            await client.post(
                "/api/v1/communities",
                json={
                    "area_id": area["id"],
                    "name": "连接池小区",
                    "code": f"PC{tag}",
                    "built_year": 1998,
                    "deposit_rate_per_m2": "45.00",
                },
                headers=bureau,
            )
        )
        building = await created(
            await client.post(
                f"/api/v1/communities/{community['id']}/buildings",
                json={"name": "1号楼", "floors": 6, "has_elevator": False},
                headers=bureau,
            )
        )
        households = [
            await add_household(
                client,
                bureau,
                building["id"],
                f"{i + 1}01",
                "100.00",
                (f"业主{i}", make_id_no(900 + i, birth="19750505")),
            )
            for i in range(3)
        ]

        async def deposit(household: str, amount: str, kind: str, key: str) -> httpx.Response:
            return await client.post(
                "/api/v1/fund/deposits",
                json={
                    "household_id": household,
                    "amount": amount,
                    "kind": kind,
                    "paid_on": "2026-01-16",
                },
                headers={**bureau, "Idempotency-Key": key},
            )

        async def balance(household: str) -> str:
            response = await client.get(f"/api/v1/households/{household}/fund", headers=bureau)
            assert response.status_code == 200, response.text
            return str(response.json()["balance"])

        # First deposits; one key sent again answers the same and posts once.
        first = [await deposit(h, "4500.00", "first", f"first-{h}") for h in households]
        assert [r.status_code for r in first] == [201] * 3, [r.text for r in first]
        again = await deposit(households[0], "4500.00", "first", f"first-{households[0]}")
        assert again.status_code == 201 and again.json() == first[0].json()

        # Concurrent deposits on one household, and one key sent ten times at once.
        amounts = [100 + i for i in range(20)]  # fen
        concurrent = await asyncio.gather(
            *(
                deposit(households[1], f"{fen // 100}.{fen % 100:02d}", "replenish", f"r-{fen}")
                for fen in amounts
            )
        )
        assert [r.status_code for r in concurrent] == [201] * 20, [r.text for r in concurrent]
        assert len({r.json()["entry_id"] for r in concurrent}) == 20
        burst = await asyncio.gather(
            *(deposit(households[2], "12.34", "replenish", f"burst-{tag}") for _ in range(10))
        )
        assert {r.status_code for r in burst} == {201} and len({r.text for r in burst}) == 1

        assert await balance(households[0]) == "4500.00"
        assert await balance(households[1]) == f"{(450000 + sum(amounts)) / 100:.2f}"
        assert await balance(households[2]) == "4512.34"

        # A fund use: proposed, approved by another bureau user and paid, each step
        # locking the use's row (SELECT ... FOR UPDATE) in its transaction.
        proposed = await client.post(
            "/api/v1/fund-uses",
            json={
                "community_id": community["id"],
                "title": "1号楼屋面翻新",
                "description": "屋面防水层老化渗漏，整体翻新。",
                "estimated_cost": "300.00",
                "building_ids": [building["id"]],
                "component": "roofing",
                "emergency": True,
                "emergency_reason": "roof_leak",
            },
            headers=bureau,
        )
        assert proposed.status_code == 201, proposed.text
        use = proposed.json()
        approved = await client.post(f"/api/v1/fund-uses/{use['id']}/approve", headers=bureau2)
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved"
        paid = await client.post(
            f"/api/v1/fund-uses/{use['id']}/disbursements",
            json={"amount": "300.00", "stage": "final"},
            headers={**bureau, "Idempotency-Key": f"pay-{tag}"},
        )
        assert paid.status_code == 201, paid.text
        assert paid.json()["status"] == "settled" and paid.json()["posted"] == "300.00"
        assert await balance(households[0]) == "4400.00"
        assert await balance(households[2]) == "4412.34"

        check = await client.get(
            f"/api/v1/communities/{community['id']}/fund/verify", headers=bureau
        )
        assert check.status_code == 200 and check.json()["ok"] is True, check.text
        # 3 first deposits, 20 concurrent, 1 burst, 1 payment
        assert check.json()["entries"] == 25

    verified = pooled.cli("fund", "verify", "--community-code", f"PC{tag}")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # A job period claimed by three racing processes through the pooler: run once.
    period = (today() - timedelta(days=1)).isoformat()
    racers = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "service.cli", "jobs", "run"),
                *("ledger-verification", "--period", period),
            ],
            cwd=ROOT,
            env=pooled.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [racer.communicate(timeout=120) for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0, 0], outputs
    runs = await pooled.scalar(
        "SELECT COUNT(*) FROM job_run WHERE job = 'ledger-verification' AND status = 'done'"
    )
    assert runs == 1, outputs
    # The households' accounts (double entry: the custody account holds the other side).
    held = await pooled.scalar(
        "SELECT SUM(principal_fen) FROM fund_account WHERE household IS NOT NULL"
    )
    assert held == 3 * 450000 + sum(amounts) + 1234 - 30000
