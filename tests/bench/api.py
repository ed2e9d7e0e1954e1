"""Load against a served app: deposits, the raw-SQL posting loop beside them, household
balance reads, and one fund-use payment over a 2,000-household community."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.bench.common import CpuWatch, LoadResult, Server, drive

API = "/api/v1"
# The UTC date is never later than the service's Asia/Shanghai "today" (paid_on <= today).
PAID_ON = datetime.now(UTC).date().isoformat()


def client(server: Server, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=60)


class Clients:
    """One single-connection httpx.AsyncClient per concurrent worker: one client sharing
    64 connections spends more CPU in its pool than the server spends on a request."""

    def __init__(self, server: Server, concurrency: int) -> None:
        self.all = [client(server, 1) for _ in range(concurrency)]
        self.free = list(self.all)

    async def __aenter__(self) -> Clients:
        return self

    async def __aexit__(self, *_: object) -> None:
        for each in self.all:
            await each.aclose()

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        http = self.free.pop()
        try:
            return await http.post(url, **kwargs)
        finally:
            self.free.append(http)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        http = self.free.pop()
        try:
            return await http.get(url, **kwargs)
        finally:
            self.free.append(http)


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
    its own Idempotency-Key, by ``concurrency`` clients; returns the load and CPU used."""
    rng = random.Random(3)
    order = households[:]
    rng.shuffle(order)

    async with Clients(server, concurrency) as http:

        async def one(index: int) -> int:
            answer = await http.post(
                API + "/fund/deposits",
                json={
                    "household_id": order[index % len(order)],
                    "amount": f"{1 + index % 99}.{index % 100:02d}",
                    "kind": "replenish",
                    "paid_on": PAID_ON,
                },
                headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
            )
            return answer.status_code

        await drive(warmup, concurrency, lambda i: one(count + i), max_seconds=max_seconds)
        with CpuWatch(server.process.pid if server.process else None) as cpu:
            result = await drive(count, concurrency, one, max_seconds=max_seconds)
    return result, cpu.used


async def raw_postings(
    database_url: str, *, accounts: int, count: int, concurrency: int, max_seconds: float
) -> tuple[LoadResult, dict[str, float]]:
    """The floor under any posting path: ``concurrency`` asyncpg connections, each posting
    one transaction = one ``UPDATE balance = balance + x`` and one INSERT of a row shaped
    like a journal line, into scratch tables of the same database."""
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
) -> tuple[LoadResult, dict[str, float]]:
    """``GET /households/{id}/fund`` for random households by ``concurrency`` clients."""
    rng = random.Random(7)
    order = [rng.choice(households) for _ in range(count + concurrency)]
    async with Clients(server, concurrency) as http:

        async def one(index: int) -> int:
            answer = await http.get(f"{API}/households/{order[index]}/fund", headers=auth)
            return answer.status_code

        await drive(concurrency, concurrency, lambda i: one(count + i), max_seconds=max_seconds)
        with CpuWatch(server.process.pid if server.process else None) as cpu:
            result = await drive(count, concurrency, one, max_seconds=max_seconds)
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
                    "title": f"屋面防水应急维修（基准 {round_no + 1}）",
                    "description": "屋面渗漏，紧急维修",
                    "estimated_cost": "300000.00",
                    "household_ids": households,
                    "emergency": True,
                    "emergency_reason": "roof_leak",
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
