"""Deposits and balance reads direct, direct without asyncpg's statement cache, and through
pgbouncer in transaction mode (``CHANGXIAO_DB_POOLER=transaction``): what the setting and
the pooler cost on this machine (docs/scaling.md, "Connection pooling").

    .venv/bin/python -m tests.bench.pooler [--deposits 2000] [--reads 3000]

One scratch database (``changxiao_bench_pooler``: migrate, demo seed), ``changxiao serve
--workers 2`` started once per variant, the load of ``make bench`` (tests/bench/api.py:
deposits by 32 keep-alive clients, balance reads by 4). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from pathlib import Path
from typing import Any

from tests.bench import api
from tests.bench.common import Server, admin, bench_env, cli, process_tree_cpu, with_database
from tests.scaling.pgbouncer import pgbouncer_binary, running_pgbouncer, version

NAME = "changxiao_bench_pooler"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def run_variant(
    label: str, url: str, pooler: str, households: list[str], args: argparse.Namespace, log: Path
) -> dict[str, Any]:
    os.environ["CHANGXIAO_DB_POOLER"] = pooler
    server = Server(url, log, workers=2)
    server.start()
    try:
        async with api.client(server, 1) as http:
            bureau = await api.login(http, "bureau", "bureau-demo")
        started = loadavg()
        deposits, deposit_cpu = await api.deposits(
            server, bureau, households, count=args.deposits, concurrency=32, max_seconds=180
        )
        reads, read_cpu = await api.balance_reads(
            server, bureau, households, count=args.reads, concurrency=4, max_seconds=180
        )
    finally:
        server.stop()
        os.environ.pop("CHANGXIAO_DB_POOLER", None)
    return {
        "label": label,
        "load": started,
        "deposits": deposits,
        "deposits_cpu": deposit_cpu,
        "reads": reads,
        "reads_cpu": read_cpu,
    }


def row(result: dict[str, Any], what: str) -> str:
    load, cpu = result[what], result[f"{what}_cpu"]
    per = max(load.requests - load.errors, 1)
    return (
        f"| {result['label']} | {what} | {load.requests} | {load.errors} | {load.rate:,.0f} "
        f"| {load.ms(50):.1f} | {load.ms(99):.1f} | {cpu.get('server', 0) * 1000 / per:.2f} "
        f"| {cpu.get('postgres', 0) * 1000 / per:.2f} | {result['load']} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deposits", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--server-connections", type=int, default=8)
    args = parser.parse_args()
    binary = pgbouncer_binary()
    if binary is None:
        raise SystemExit("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    admin_url = os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    url = with_database(admin_url, NAME)
    log = Path(f"/tmp/{NAME}.log")
    await admin(
        admin_url, f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)", f"CREATE DATABASE {NAME}"
    )
    try:
        env = bench_env(url)
        cli("migrate", env=env, log=log)
        cli("seed", "--demo", env=env, log=log)
        import asyncpg

        conn = await asyncpg.connect(url)
        households = [str(r["id"]) for r in await conn.fetch("SELECT id FROM household")]
        await conn.close()
        results = [
            await run_variant("direct", url, "", households, args, log),
            await run_variant(
                "direct, no statement cache", url, "transaction", households, args, log
            ),
        ]
        with running_pgbouncer(binary, url, server_connections=args.server_connections) as bouncer:
            before = process_tree_cpu(bouncer.process.pid)
            took = time.monotonic()
            results.append(
                await run_variant(
                    f"pgbouncer (transaction, {args.server_connections} server connections)",
                    bouncer.url,
                    "transaction",
                    households,
                    args,
                    log,
                )
            )
            pgbouncer_cpu = process_tree_cpu(bouncer.process.pid) - before
            took = time.monotonic() - took
    finally:
        await admin(admin_url, f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)")
    print(f"{version(binary)} · Python {platform.python_version()} · nproc {os.cpu_count()}")
    print(
        "| variant | what | requests | errors | per second | p50 ms | p99 ms "
        "| server CPU ms/req | PostgreSQL CPU ms/req | load average at start |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for result in results:
        print(row(result, "deposits"))
        print(row(result, "reads"))
    print(
        f"pgbouncer CPU over its whole variant (start-up, login, both loads):"
        f" {pgbouncer_cpu:.2f} s in {took:.0f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
