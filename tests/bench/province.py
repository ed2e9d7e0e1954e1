"""Issue 15 goal 4: a generated province on one PostgreSQL, and a month's interest for all of it.

    .venv/bin/python -m tests.bench.province [--households 5000000] [--districts 40] \\
        [--database changxiao_bench_province] [--keep] [--json out.json]

Creates (drops first) the scratch database, migrates it, generates ``--districts``
districts set-based (``generate.py``: communities of about 128 households, one building,
one owner and one ownership row per household, every household's first deposit dated
today), then times:
1. a month's interest for every district through the service's batch path
   (``batches.allocate_interest_for_district``, what ``POST /api/v1/fund/interest/district``
   runs), one district after another, each its own transaction, split by balance-days;
2. the bare pass over the whole province (one line per household plus the balance
   update, set-based; rolled back), the floor for (1).
It records the database's size after generation and after the interest month, and the
WAL the month wrote. The database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

from tests.bench.common import with_database

PROVINCE_DATABASE = "changxiao_bench_province"
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HOUSEHOLDS_PER_COMMUNITY = 128


def say(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    import asyncpg

    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {args.database}")
    await admin.close()
    url = with_database(ADMIN_URL, args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("PICCOLO_CONF", "service.piccolo_conf")
    os.environ.setdefault("CHANGXIAO_SCHEDULER", "0")

    from service.db import close_database, open_database
    from service.funds import batches
    from service.migrate import migrate
    from tests.bench import generate
    from tests.bench.allocation import bare_pass, bureau_caller

    gc.freeze()
    result: dict[str, Any] = {"households": args.households, "districts": args.districts}
    await migrate()
    if args.with_demo:
        # The demo district first (the seed refuses a database that holds a district), so
        # that `tests.bench.run --on-database` can time the API's reads and deposits with
        # the province's rows in the same tables.
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "service.cli", "seed", "--demo"],
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        result["demo_seed_s"] = time.perf_counter() - started
        say("demo district seeded")
    conn = await asyncpg.connect(url)
    per_district = args.households // args.districts
    communities = max(1, per_district // HOUSEHOLDS_PER_COMMUNITY)
    result["communities"] = communities * args.districts
    try:
        await conn.execute("SET synchronous_commit = off")  # generation only
        started = time.perf_counter()
        districts: list[uuid.UUID] = []
        for number in range(args.districts):
            code = f"P{number:02d}"
            district, area = await generate.add_district(conn, code=code, name=f"基准区{number}")
            ids = await generate.add_communities(
                conn,
                district_id=district,
                area_id=area,
                communities=communities,
                households=per_district,
                code_prefix=code,
            )
            await generate.post_first_deposits(conn, ids)
            districts.append(district)
            say(f"district {number + 1}/{args.districts}: {time.perf_counter() - started:.0f} s")
        result["generate_s"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        result["vacuum_analyze_s"] = time.perf_counter() - started
        await conn.execute("SET synchronous_commit = on")
        result["size_after_generation"] = await conn.fetchval(
            "SELECT pg_database_size(current_database())"
        )
        say(f"generated; database {result['size_after_generation'] / 2**30:.1f} GiB")

        period = f"{datetime.date.today():%Y-%m}"  # the first deposits lie inside it
        wal_before = await conn.fetchval("SELECT pg_current_wal_lsn()")
        runs: list[float] = []
        cpu = time.process_time()
        started = time.perf_counter()
        await open_database()
        try:
            for number, district in enumerate(districts):
                amounts = {
                    r["community"]: int(r["amount"])
                    for r in await conn.fetch(
                        "SELECT community, (-principal_fen * 3) / 10000 AS amount"
                        " FROM fund_account WHERE kind = 'custody' AND district = $1",
                        district,
                    )
                }
                caller = bureau_caller(district)
                one = time.perf_counter()
                await batches.allocate_interest_for_district(caller, period, amounts)
                runs.append(time.perf_counter() - one)
                say(f"interest {number + 1}/{args.districts}: {runs[-1]:.1f} s")
        finally:
            await close_database()
        result["interest_s"] = time.perf_counter() - started
        result["interest_cpu_s"] = time.process_time() - cpu
        result["interest_runs"] = runs
        result["interest_wal_bytes"] = int(
            await conn.fetchval("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)", wal_before)
        )
        result["size_after_interest"] = await conn.fetchval(
            "SELECT pg_database_size(current_database())"
        )
        say(f"interest month: {result['interest_s']:.0f} s")
        result["bare_s"] = await bare_pass(conn, 0)
        say(f"bare pass: {result['bare_s']:.0f} s")
        result["lines"] = await conn.fetchval("SELECT COUNT(*) FROM fund_line")
    finally:
        await conn.close()
        if not args.keep:
            admin = await asyncpg.connect(ADMIN_URL)
            await admin.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
            await admin.close()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5_000_000)
    parser.add_argument("--districts", type=int, default=40)
    parser.add_argument("--database", default=PROVINCE_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", help="where to write the results")
    parser.add_argument("--with-demo", action="store_true", help="seed the demo district first")
    arguments = parser.parse_args()
    outcome = asyncio.run(main(arguments))
    print(json.dumps(outcome, indent=2))
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as out:
            json.dump(outcome, out, indent=2)
