"""Load against a served app: deposits, the raw-SQL posting loop beside them, household
balance reads, and one fund-use payment over a 2,000-household community."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.bench.common import LOCALHOST, CpuWatch, LoadResult, Server, drive
from tests.bench.keepalive import KeepAlive, KeepAlivePool

API = "/api/v1"
DEPOSITS = API + "/fund/deposits"
# The UTC date is never later than the service's Asia/Shanghai "today" (paid_on <= today).
PAID_ON = datetime.now(UTC).date().isoformat()


def client(server: Server, concurrency: int) -> httpx.AsyncClient:
    """httpx for the untimed requests (logins, the fund-use payment)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=60)


async def login(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    answer = await http.post(API + "/auth/login", json={"username": username, "password": password})
    answer.raise_for_status()
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


async def deposits(
    server: Server,
    auth: dict[str, str],
    households: list[str],
    *,
    count: int,
    concurrency: int,
    max_seconds: float,
    warmup: int = 64,
) -> tuple[LoadResult, dict[str, float]]:
    """``count`` replenishments (1.00-99.99 yuan) spread over ``households``, each with
    its own Idempotency-Key, by ``concurrency`` keep-alive connections; returns the load
    (every answer but 201 counted as an error) and the CPU used."""
    rng = random.Random(3)
    order = households[:]
    rng.shuffle(order)
    auth_lines = header_lines(auth) + b"Content-Type: application/json\r\n"

    async with KeepAlivePool(LOCALHOST, server.port, concurrency) as http:
        await spread(server, http)

        async def one(index: int) -> int:
            body = (
                f'{{"household_id":"{order[index % len(order)]}",'
                f'"amount":"{1 + index % 99}.{index % 100:02d}",'
                f'"kind":"replenish","paid_on":"{PAID_ON}"}}'
            ).encode()
            key = b"Idempotency-Key: %s\r\n" % str(uuid.uuid4()).encode()
            status, _ = await http.request("POST", DEPOSITS, auth_lines + key, body)
            return status

        await drive(warmup, concurrency, lambda i: one(count + i), max_seconds=max_seconds)
        with CpuWatch(server.pid) as cpu:
            result = await drive(count, concurrency, one, max_seconds=max_seconds, ok=(201,))
    return result, cpu.used


async def spread(server: Server, pool: KeepAlivePool, attempts_per_connection: int = 20) -> None:
    """Reopen connections until each server worker holds an equal share (±1) of ``pool``.

    Each uvicorn worker accepts for itself, and a burst of connects lands on whichever
    worker wakes first, often all of them on one; kept alive, they would hold the whole
    load on one core for the whole run."""
    workers = server.worker_pids()
    if len(workers) < 2:
        return
    counts: dict[int, int] = {}
    for _ in range(attempts_per_connection * len(pool.all)):
        owners = await accepted_by(server, [each.local_port for each in pool.all])
        held: dict[int, list[KeepAlive]] = {pid: [] for pid in workers}
        for each in pool.all:
            held[owners[each.local_port]].append(each)
        counts = {pid: len(mine) for pid, mine in held.items()}
        most = max(counts, key=lambda pid: counts[pid])
        if counts[most] - min(counts.values()) <= 1:
            return
        moved = held[most][0]
        await moved.close()
        await moved.open()
    raise RuntimeError(f"could not spread {len(pool.all)} connections over workers: {counts}")


async def accepted_by(server: Server, ports: list[int], timeout: float = 5.0) -> dict[int, int]:
    """The worker holding each of ``ports``' connections, once every one is accepted."""
    deadline = time.monotonic() + timeout
    while True:
        owners = server.connection_owners(ports)
        if len(owners) == len(ports):
            return owners
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{len(ports) - len(owners)} connections not accepted in {timeout} s"
            )
        await asyncio.sleep(0.002)


def header_lines(headers: dict[str, str]) -> bytes:
    return "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode()


async def raw_postings(
    database_url: str, *, accounts: int, count: int, concurrency: int, max_seconds: float
) -> tuple[LoadResult, dict[str, float]]:
    """The floor under any posting path: postings of one transaction each = one ``UPDATE
    balance = balance + x`` and one INSERT of a row shaped like a journal line, into fresh
    scratch tables of the same database. ``concurrency=1`` is the plain posting loop (one
    connection, one posting after another); more is ``concurrency`` connections at once,
    PostgreSQL's own ceiling for this work on the machine."""
    import asyncpg

    setup = await asyncpg.connect(database_url)
    try:
        await setup.execute("DROP TABLE IF EXISTS bench_raw_line, bench_raw_account")
        await setup.execute(
            "CREATE TABLE bench_raw_account (id bigint PRIMARY KEY, balance bigint NOT NULL)"
        )
        await setup.execute(
            "CREATE TABLE bench_raw_line (id bigserial PRIMARY KEY, entry uuid NOT NULL,"
            " account bigint NOT NULL REFERENCES bench_raw_account (id),"
            " principal_delta bigint NOT NULL, interest_delta bigint NOT NULL,"
            " posted_at timestamptz NOT NULL)"
        )
        await setup.execute("CREATE INDEX ON bench_raw_line (account)")
        await setup.execute(
            "INSERT INTO bench_raw_account SELECT g, 0 FROM generate_series(1, $1::int) AS g",
            accounts,
        )
    finally:
        await setup.close()
    connections = [await asyncpg.connect(database_url) for _ in range(concurrency)]
    free = list(connections)
    rng = random.Random(5)
    targets = [rng.randint(1, accounts) for _ in range(count)]

    async def one(index: int) -> int:
        conn = free.pop()
        try:
            async with conn.transaction():
                await conn.execute(
                    "UPDATE bench_raw_account SET balance = balance + $1 WHERE id = $2",
                    100 + index,
                    targets[index],
                )
                await conn.execute(
                    "INSERT INTO bench_raw_line (entry, account, principal_delta,"
                    " interest_delta, posted_at) VALUES ($1, $2, $3, 0, now())",
                    uuid.uuid4(),
                    targets[index],
                    100 + index,
                )
        finally:
            free.append(conn)
        return 0

    try:
        with CpuWatch(None) as cpu:
            result = await drive(count, concurrency, one, max_seconds=max_seconds, ok=(0,))
    finally:
        for conn in connections:
            await conn.close()
        cleanup = await asyncpg.connect(database_url)
        try:
            await cleanup.execute("DROP TABLE IF EXISTS bench_raw_line, bench_raw_account")
        finally:
            await cleanup.close()
    return result, cpu.used


async def balance_reads(
    server: Server,
    auth: dict[str, str],
    households: list[str],
    *,
    count: int,
    concurrency: int,
    max_seconds: float,
    path: str = "/households/{}/fund",
) -> tuple[LoadResult, dict[str, float]]:
    """``GET /households/{id}/fund`` (or another read: ``path`` with ``{}`` for the id) for
    random households (ids) by ``concurrency`` keep-alive connections (every answer but 200
    counted as an error)."""
    rng = random.Random(7)
    order = [rng.choice(households) for _ in range(count + concurrency)]
    auth_lines = header_lines(auth)
    async with KeepAlivePool(LOCALHOST, server.port, concurrency) as http:
        await spread(server, http)

        async def one(index: int) -> int:
            status, _ = await http.request("GET", API + path.format(order[index]), auth_lines)
            return status

        await drive(concurrency, concurrency, lambda i: one(count + i), max_seconds=max_seconds)
        with CpuWatch(server.pid) as cpu:
            result = await drive(count, concurrency, one, max_seconds=max_seconds, ok=(200,))
    return result, cpu.used


async def raw_reads(
    database_url: str, households: list[str], *, count: int, concurrency: int, max_seconds: float
) -> tuple[LoadResult, dict[str, float]]:
    """The floor under the balance read: the read's own SQL statement (the household, its
    account and community and the self-funded sum, scoped to the district, as
    ``reads.household_fund_in_scope`` sends it for the bureau) over ``concurrency`` asyncpg
    connections, one statement per read, no HTTP."""
    import asyncpg

    from service.funds.reads import HOUSEHOLD_FUND_SQL

    sql = HOUSEHOLD_FUND_SQL.replace("{}", "$1") + " AND h.district = $2"
    connections = [await asyncpg.connect(database_url) for _ in range(concurrency)]
    free = list(connections)
    district = await connections[0].fetchval("SELECT district FROM household LIMIT 1")
    rng = random.Random(7)
    order = [uuid.UUID(rng.choice(households)) for _ in range(count)]

    async def one(index: int) -> int:
        conn = free.pop()
        try:
            row = await conn.fetchrow(sql, order[index], district)
        finally:
            free.append(conn)
        return 0 if row is not None else 404

    try:
        with CpuWatch(None) as cpu:
            result = await drive(count, concurrency, one, max_seconds=max_seconds, ok=(0,))
    finally:
        for conn in connections:
            await conn.close()
    return result, cpu.used


async def fund_use_payment(
    server: Server,
    bureau: dict[str, str],
    bureau2: dict[str, str],
    community_id: str,
    households: list[str],
    *,
    rounds: int,
) -> dict[str, Any]:
    """Emergency fund uses over every household given (proposal as ``bureau``, approval
    as ``bureau2``), then one final payment each, timed; and one replay of a payment's
    Idempotency-Key."""
    propose_s: list[float] = []
    approve_s: list[float] = []
    pay_s: list[float] = []
    answers: list[dict[str, Any]] = []
    replay_s = 0.0
    async with client(server, 1) as http:
        for round_no in range(rounds):
            began = time.perf_counter()
            created = await http.post(
                API + "/fund-uses",
                json={
                    "community_id": community_id,
                    "title": f"共用设备应急维修（基准 {round_no + 1}）",
                    "description": "二次供水泵房水泵损坏无法使用，紧急更换",
                    "estimated_cost": "300000.00",
                    "household_ids": households,
                    "emergency": True,
                    "emergency_reason": "shared_equipment",
                    # The demo's roofs may still be under warranty; its pumps never were.
                    "component": "equipment",
                },
                headers=bureau,
            )
            propose_s.append(time.perf_counter() - began)
            if created.status_code != 201:
                raise RuntimeError(f"fund use refused: {created.status_code} {created.text}")
            use_id = created.json()["id"]
            began = time.perf_counter()
            approved = await http.post(f"{API}/fund-uses/{use_id}/approve", headers=bureau2)
            approve_s.append(time.perf_counter() - began)
            if approved.status_code != 200:
                raise RuntimeError(f"approval refused: {approved.status_code} {approved.text}")
            key = str(uuid.uuid4())
            body = {"amount": "300000.00", "stage": "final"}
            began = time.perf_counter()
            paid = await http.post(
                f"{API}/fund-uses/{use_id}/disbursements",
                json=body,
                headers={**bureau, "Idempotency-Key": key},
            )
            pay_s.append(time.perf_counter() - began)
            if paid.status_code != 201:
                raise RuntimeError(f"payment refused: {paid.status_code} {paid.text}")
            answers.append(paid.json())
            if round_no == 0:
                began = time.perf_counter()
                again = await http.post(
                    f"{API}/fund-uses/{use_id}/disbursements",
                    json=body,
                    headers={**bureau, "Idempotency-Key": key},
                )
                replay_s = time.perf_counter() - began
                if again.json() != paid.json():
                    raise RuntimeError("the replayed payment answered differently")
    return {
        "households": len(households),
        "rounds": rounds,
        "propose_s": propose_s,
        "approve_s": approve_s,
        "pay_s": pay_s,
        "pay_median_s": statistics.median(pay_s),
        "replay_s": replay_s,
        "answer": answers[0],
    }
