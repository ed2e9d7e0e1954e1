"""The fault suite on PostgreSQL: a posting's connection killed mid-transaction, a
payment's too, a client gone mid-request, the server SIGKILLed during a district
interest run, and a throwaway PostgreSQL cluster stopped with ``pg_ctl stop -m
immediate`` mid-batch. After each: the journal verifies, and a retry with the same
Idempotency-Key completes exactly once.

Each fault is placed by a lock: another connection holds one fund account row, so the
request blocks inside its transaction at the balance update, visible in
``pg_stat_activity``; the fault strikes there.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.db import fetch
from service.funds import ledger
from tests.conftest import DATABASE_URL, IS_POSTGRES
from tests.faults.scratch import Served, changxiao, free_port
from tests.fund_uses.test_api import Block, make_block, proposal, vote
from tests.support import World, unique

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="the fault suite needs PostgreSQL")

API = "/api/v1"


@asynccontextmanager
async def account_held(url: str, household: str) -> AsyncIterator[Any]:
    """Hold the household's fund account row until the block ends (then roll back);
    yields an admin connection for watching and terminating backends."""
    import asyncpg

    admin = await asyncpg.connect(url)
    holder = await asyncpg.connect(url)
    transaction = holder.transaction()
    await transaction.start()
    await holder.execute(
        "SELECT id FROM fund_account WHERE household = $1 FOR NO KEY UPDATE", uuid.UUID(household)
    )
    try:
        yield admin
    finally:
        await transaction.rollback()
        await holder.close()
        await admin.close()


async def blocked_backend(admin: Any, request: Any = None, seconds: float = 20) -> int:
    """The pid of the backend waiting for the held row (the request, mid-transaction)."""
    for _ in range(int(seconds / 0.05)):
        if request is not None and request.done():
            answer = request.result()
            raise AssertionError(f"the request ended first: {answer.status_code} {answer.text}")
        rows = await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            # (A long statement's text is cut at track_activity_query_size: match on
            # the wait, not on the text.)
            " AND wait_event_type = 'Lock' AND state = 'active'"
        )
        if rows:
            return int(rows[0]["pid"])
        await asyncio.sleep(0.05)
    waiting = await admin.fetch(
        "SELECT wait_event_type, wait_event, state, left(query, 200) AS q FROM pg_stat_activity"
        " WHERE datname = current_database()"
    )
    raise AssertionError(f"the request never reached the held row: {waiting}")


async def entries_with_key(key: str) -> int:
    rows = await fetch("SELECT COUNT(*) AS n FROM fund_entry WHERE idempotency_key = {}", key)
    return int(rows[0]["n"])


async def assert_verifies(*communities: str) -> None:
    for community in communities:
        result = await ledger.verify(uuid.UUID(community))
        assert result.ok, result.problems


def replenish(household: str) -> dict[str, Any]:
    return {
        "household_id": household,
        "amount": "12.34",
        "kind": "replenish",
        "paid_on": "2025-05-05",
    }


async def test_a_connection_killed_mid_posting_and_a_retry_posts_once(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    key = unique("kill-post-")
    headers = {**world.h("bureau"), "Idempotency-Key": key}
    async with account_held(DATABASE_URL, block.households[0]) as admin:
        posting = asyncio.create_task(
            client.post(
                f"{API}/fund/deposits", json=replenish(block.households[0]), headers=headers
            )
        )
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", await blocked_backend(admin))
        failed = await posting
    assert failed.status_code >= 500, failed.text
    assert await entries_with_key(key) == 0
    first = await client.post(
        f"{API}/fund/deposits", json=replenish(block.households[0]), headers=headers
    )
    again = await client.post(
        f"{API}/fund/deposits", json=replenish(block.households[0]), headers=headers
    )
    assert first.status_code == again.status_code == 201, first.text
    assert first.json() == again.json()
    assert await entries_with_key(key) == 1
    await assert_verifies(block.community)


async def approved_use(client: httpx.AsyncClient, world: World, block: Block) -> str:
    use = (
        await client.post(
            f"{API}/fund-uses", json=proposal(block), headers=block.headers["company"]
        )
    ).json()
    await vote(client, block, use["id"], ["yes", "yes", "yes", "yes"])
    closed = await client.post(
        f"{API}/fund-uses/{use['id']}/close-vote", headers=block.headers["committee"]
    )
    assert closed.json()["status"] == "owners_approved", closed.text
    approved = await client.post(f"{API}/fund-uses/{use['id']}/approve", headers=world.h("bureau"))
    assert approved.status_code == 200, approved.text
    return str(use["id"])


async def test_a_connection_killed_mid_payment_and_a_retry_pays_once(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    use_id = await approved_use(client, world, block)
    key = unique("kill-pay-")
    headers = {**world.h("bureau2"), "Idempotency-Key": key}
    body = {"amount": "2000.00", "stage": "advance"}
    path = f"{API}/fund-uses/{use_id}/disbursements"
    async with account_held(DATABASE_URL, block.households[0]) as admin:
        paying = asyncio.create_task(client.post(path, json=body, headers=headers))
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", await blocked_backend(admin))
        failed = await paying
    assert failed.status_code >= 500, failed.text
    paid = await client.post(path, json=body, headers=headers)
    replayed = await client.post(path, json=body, headers=headers)
    assert paid.status_code == replayed.status_code == 201, paid.text
    assert paid.json() == replayed.json()
    rows = await fetch("SELECT COUNT(*) AS n FROM fund_disbursement WHERE fund_use = {}", use_id)
    assert int(rows[0]["n"]) == 1
    assert await entries_with_key(key) == 1
    await assert_verifies(block.community)


async def test_a_client_gone_mid_request_and_a_retry_completes_once(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world)
    served = Served(DATABASE_URL)
    key = unique("gone-")
    headers = {**world.h("bureau"), "Idempotency-Key": key}
    try:
        async with httpx.AsyncClient(base_url=served.base) as remote:
            async with account_held(DATABASE_URL, block.households[0]) as admin:
                with pytest.raises(httpx.TimeoutException):
                    await remote.post(
                        f"{API}/fund/deposits",
                        json=replenish(block.households[0]),
                        headers=headers,
                        timeout=1.5,
                    )
                await blocked_backend(admin)  # the server is still at it
            retried = await remote.post(
                f"{API}/fund/deposits",
                json=replenish(block.households[0]),
                headers=headers,
                timeout=30,
            )
            assert retried.status_code == 201, retried.text
            replayed = await remote.post(
                f"{API}/fund/deposits",
                json=replenish(block.households[0]),
                headers=headers,
                timeout=30,
            )
            assert replayed.json() == retried.json()
    finally:
        served.kill()
    assert await entries_with_key(key) == 1
    await assert_verifies(block.community)


def district_run(period: str, amounts: dict[str, str]) -> dict[str, Any]:
    return {
        "period": period,
        "items": [{"community_id": c, "amount": a} for c, a in amounts.items()],
    }


async def interest_entries(period: str, communities: list[str]) -> int:
    rows = await fetch(
        "SELECT COUNT(*) AS n FROM fund_entry WHERE kind = 'interest' AND period = {}"
        " AND community IN (" + ", ".join(["{}"] * len(communities)) + ")",
        period,
        *communities,
    )
    return int(rows[0]["n"])


async def test_the_server_killed_during_a_district_interest_run_and_a_retry_runs_once(
    client: httpx.AsyncClient, world: World
) -> None:
    blocks = [await make_block(client, world), await make_block(client, world)]
    communities = [b.community for b in blocks]
    # a year after the deposits, so every household has balance-days in it
    period = str(2030 + uuid.uuid4().int % 90)
    body = district_run(period, {c: "321.09" for c in communities})
    key = unique("sigkill-run-")
    headers = {**world.h("bureau"), "Idempotency-Key": key}
    served = Served(DATABASE_URL)
    try:
        async with (
            account_held(DATABASE_URL, blocks[1].households[2]) as admin,
            httpx.AsyncClient(base_url=served.base, timeout=60) as remote,
        ):
            running = asyncio.create_task(
                remote.post(f"{API}/fund/interest/district", json=body, headers=headers)
            )
            await blocked_backend(admin, running)
            served.kill()  # SIGKILL, mid-transaction
            with pytest.raises(httpx.HTTPError):
                await running
        assert await interest_entries(period, communities) == 0
        served = Served(DATABASE_URL)
        async with httpx.AsyncClient(base_url=served.base, timeout=60) as remote:
            done = await remote.post(f"{API}/fund/interest/district", json=body, headers=headers)
            again = await remote.post(f"{API}/fund/interest/district", json=body, headers=headers)
        assert done.status_code == again.status_code == 201, done.text
        assert done.json() == again.json()
    finally:
        served.kill()
    assert await interest_entries(period, communities) == 2
    await assert_verifies(*communities)


# --- a throwaway cluster ------------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.skip(f"{name} not found under /usr/lib/postgresql")
    return found[-1]


def _as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)


class Cluster:
    """A PostgreSQL cluster of the test's own (initdb, pg_ctl), on a free port."""

    def __init__(self, root: Path) -> None:
        self.data = root / "pgdata"
        self.port = free_port()
        root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        made = _as_postgres(
            _pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )
        assert made.returncode == 0, made.stderr
        self.start()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        started = _as_postgres(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.data / "log"),
            "start",
        )
        assert started.returncode == 0, started.stdout + started.stderr

    def stop(self, mode: str) -> None:
        _as_postgres(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


async def _small_district(base: str) -> tuple[dict[str, str], list[str]]:
    """Over HTTP: two communities of three households each, with first deposits."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as remote:
        token = (
            await remote.post(
                f"{API}/auth/login", json={"username": "chief", "password": "chief-pass-1"}
            )
        ).json()["access_token"]
        bureau = {"Authorization": f"Bearer {token}"}
        area = (
            await remote.post(f"{API}/areas", json={"name": "片区", "code": "A1"}, headers=bureau)
        ).json()
        communities = []
        for n in range(2):
            community = (
                await remote.post(
                    f"{API}/communities",
                    json={
                        "area_id": area["id"],
                        "name": f"小区{n}",
                        "code": f"C{n}",
                        "built_year": 1995,
                        "deposit_rate_per_m2": "45.00",
                    },
                    headers=bureau,
                )
            ).json()
            building = (
                await remote.post(
                    f"{API}/communities/{community['id']}/buildings",
                    json={"name": "1号楼", "floors": 6, "has_elevator": False},
                    headers=bureau,
                )
            ).json()
            from tests.support import make_id_no

            for room in range(3):
                household = (
                    await remote.post(
                        f"{API}/households",
                        json={
                            "building_id": building["id"],
                            "unit_no": "1",
                            "room_no": f"{room + 1}01",
                            "floor_area": "80.00",
                            "owner_name": "业主",
                            "owner_id_no": make_id_no(700 + n * 10 + room),
                        },
                        headers=bureau,
                    )
                ).json()
                deposit = await remote.post(
                    f"{API}/fund/deposits",
                    json={
                        "household_id": household["id"],
                        "amount": "3600.00",
                        "kind": "first",
                        "paid_on": "2024-01-10",
                    },
                    headers={**bureau, "Idempotency-Key": str(uuid.uuid4())},
                )
                assert deposit.status_code == 201, deposit.text
                last_household = household["id"]
            communities.append(community["id"])
        return bureau, [*communities, last_household]


async def test_a_cluster_stopped_immediately_mid_batch_recovers_and_the_retry_runs_once(
    tmp_path: Path,
) -> None:
    if shutil.which("runuser") is None and os.geteuid() == 0:
        pytest.skip("runuser is needed to run initdb as postgres")
    cluster = Cluster(Path("/tmp") / f"changxiao-cluster-{uuid.uuid4().hex[:8]}")
    served: Served | None = None
    try:
        assert changxiao(cluster.url, "migrate").returncode == 0
        added = changxiao(
            cluster.url,
            "user",
            "add",
            "--username",
            "chief",
            "--password",
            "chief-pass-1",
            "--role",
            "bureau",
        )
        assert added.returncode == 0, added.stderr
        served = Served(cluster.url)
        bureau, (first, second, held) = await _small_district(served.base)
        body = district_run("2031", {first: "100.00", second: "200.00"})
        headers = {**bureau, "Idempotency-Key": "cluster-run-1"}
        async with httpx.AsyncClient(base_url=served.base, timeout=30) as remote:
            import asyncpg

            holder = await asyncpg.connect(cluster.url)
            transaction = holder.transaction()
            await transaction.start()
            await holder.execute(
                "SELECT id FROM fund_account WHERE household = $1 FOR NO KEY UPDATE",
                uuid.UUID(held),
            )
            running = asyncio.create_task(
                remote.post(f"{API}/fund/interest/district", json=body, headers=headers)
            )
            # A connection of its own: pg_stat_activity is a snapshot inside a transaction.
            admin = await asyncpg.connect(cluster.url)
            await blocked_backend(admin, running)
            await admin.close()
            cluster.stop("immediate")  # every backend dies, nothing is flushed politely
            answer = await running
            assert answer.status_code >= 500
        served.kill()
        cluster.start()
        verified = changxiao(cluster.url, "fund", "verify")
        assert verified.returncode == 0, verified.stdout
        served = Served(cluster.url)
        async with httpx.AsyncClient(base_url=served.base, timeout=30) as remote:
            done = await remote.post(f"{API}/fund/interest/district", json=body, headers=headers)
            again = await remote.post(f"{API}/fund/interest/district", json=body, headers=headers)
        assert done.status_code == again.status_code == 201, done.text
        assert done.json() == again.json()
        verified = changxiao(cluster.url, "fund", "verify")
        assert verified.returncode == 0 and "2 ok, 0 failed" in verified.stdout, verified.stdout
    finally:
        if served is not None:
            served.kill()
        cluster.stop("immediate")
        shutil.rmtree(cluster.data.parent, ignore_errors=True)
