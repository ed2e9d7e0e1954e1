"""Issue 15 goal 4: a generated province on one PostgreSQL, and a month's interest for all of it.

    .venv/bin/python -m tests.bench.province [--households 5000000] [--districts 40] \\
        [--database changxiao_bench_province] [--keep] [--json out.json] \\
        [--private-cluster [--keep-cluster]] [--parallel N ...] [--processes P]

The server is ``BENCH_ADMIN_URL`` (default: the shared one on 127.0.0.1:5432), or with
``--private-cluster`` a throwaway PostgreSQL 15 cluster with the production settings of
``tests/bench/cluster.py`` (port 5433, data in /var/tmp, removed afterwards unless
``--keep-cluster``).

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
WAL the month wrote. With ``--parallel N`` (N > 1), then:
3. the next month's interest for every district again, N district runs at a time:
   different districts lock different communities' chains, so the runs do not wait on
   each other's rows; they share the server's 2 cores and its WAL. With ``--processes P``
   the N runs are spread over P operating-system processes (N/P each, each process its own
   event loop and connection pool), as the requests of N district bureaus are spread over
   the P processes of ``changxiao serve --workers P``; without it they share this one
   process (and so one core for all their shares and hashes). Each further
   ``--parallel`` value runs a further month.
The database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.bench.common import process_tree_cpu, with_database

PROVINCE_DATABASE = "changxiao_bench_province"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HOUSEHOLDS_PER_COMMUNITY = 128


def say(message: str) -> None:
    print(f"[{utc_now()} UTC] {message} (load {loadavg()})", flush=True)


def utc_now() -> str:
    return f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M:%S}"


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


SHOWN = (
    "server_version",
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "maintenance_work_mem",
    "max_wal_size",
    "min_wal_size",
    "checkpoint_timeout",
    "checkpoint_completion_target",
    "wal_compression",
    "wal_buffers",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "autovacuum",
)


async def checkpoints(conn: Any) -> int:
    return int(
        await conn.fetchval("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
    )


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds of the private cluster: its live processes, and those that ended (a
    backend's CPU is added to the postmaster's children's time when it exits, as when a
    pool closes before the count is read); 0 when on a shared server, whose other users'
    backends would count too."""
    if postmaster is None:
        return 0.0
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    ended = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    return process_tree_cpu(postmaster) + ended


async def main(
    args: argparse.Namespace, admin_url: str, postmaster: int | None = None
) -> dict[str, Any]:
    import asyncpg

    admin = await asyncpg.connect(admin_url)
    await admin.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {args.database}")
    await admin.close()
    url = with_database(admin_url, args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("PICCOLO_CONF", "service.piccolo_conf")
    os.environ.setdefault("CHANGXIAO_SCHEDULER", "0")
    # One pooled connection per concurrent district run (the default pool holds 4).
    os.environ.setdefault("CHANGXIAO_PG_POOL_MAX", str(max([4, *args.parallel])))

    from service.migrate import migrate
    from tests.bench import generate
    from tests.bench.allocation import bare_pass

    gc.freeze()
    result: dict[str, Any] = {
        "households": args.households,
        "districts": args.districts,
        "started_utc": utc_now(),
        "loadavg_start": loadavg(),
        "private_cluster": postmaster is not None,
    }
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
    result["settings"] = {name: await conn.fetchval(f"SHOW {name}") for name in SHOWN}
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
        result["generated_utc"], result["loadavg_generated"] = utc_now(), loadavg()
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        result["vacuum_analyze_s"] = time.perf_counter() - started
        await conn.execute("SET synchronous_commit = on")
        result["size_after_generation"] = await conn.fetchval(
            "SELECT pg_database_size(current_database())"
        )
        say(f"generated; database {result['size_after_generation'] / 2**30:.1f} GiB")

        # Each district's credited amounts (0.03% of its custody balance per community),
        # read before the clock starts.
        amounts = {
            district: {
                r["community"]: int(r["amount"])
                for r in await conn.fetch(
                    "SELECT community, (-principal_fen * 3) / 10000 AS amount"
                    " FROM fund_account WHERE kind = 'custody' AND district = $1",
                    district,
                )
            }
            for district in districts
        }
        today = datetime.date.today()
        period = f"{today:%Y-%m}"  # the first deposits lie inside it
        await month(conn, "interest", period, districts, amounts, 1, result, postmaster)
        say(f"interest month: {result['interest_s']:.0f} s")
        started_utc, load = utc_now(), loadavg()
        result["bare_s"] = await bare_pass(conn, 0)
        result["bare_utc"], result["loadavg_bare"] = started_utc, load
        say(f"bare pass: {result['bare_s']:.0f} s")
        following = today
        for number, at_once in enumerate(n for n in args.parallel if n > 1):
            following = (following.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
            name = "parallel" if number == 0 else f"parallel{number + 1}"
            await month(
                conn,
                name,
                f"{following:%Y-%m}",
                districts,
                amounts,
                at_once,
                result,
                postmaster,
                processes=args.processes,
            )
            result[name] = at_once
            result[f"{name}_processes"] = args.processes
            say(
                f"interest month, {at_once} at a time in {args.processes} process(es):"
                f" {result[f'{name}_s']:.0f} s"
            )
        result["lines"] = await conn.fetchval("SELECT COUNT(*) FROM fund_line")
    finally:
        await conn.close()
        if not args.keep:
            admin = await asyncpg.connect(admin_url)
            await admin.execute(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
            await admin.close()
    result["finished_utc"], result["loadavg_end"] = utc_now(), loadavg()
    return result


async def month(
    conn: Any,
    name: str,
    period: str,
    districts: list[uuid.UUID],
    amounts: dict[uuid.UUID, dict[uuid.UUID, int]],
    at_once: int,
    result: dict[str, Any],
    postmaster: int | None,
    *,
    processes: int = 1,
) -> None:
    """A month's interest for every district through the service's batch path, each
    district its own transaction, ``at_once`` of them running at a time (spread over
    ``processes`` processes); records under ``name``: wall time, the client's CPU (all its
    processes), the private server's CPU, each run, the WAL written, the checkpoints taken
    and the database size after."""
    wal_before = await conn.fetchval("SELECT pg_current_wal_lsn()")
    checkpoints_before = await checkpoints(conn)
    result[f"{name}_utc"], result[f"loadavg_{name}"] = utc_now(), loadavg()
    jobs = [(number, district, amounts[district]) for number, district in enumerate(districts)]
    server = server_cpu(postmaster)
    if processes > 1:
        runs, elapsed, cpu = await _in_processes(name, period, jobs, at_once, processes)
    else:
        runs, elapsed, cpu = await _runs(name, period, jobs, at_once, len(jobs))
    result[f"{name}_s"], result[f"{name}_cpu_s"] = elapsed, cpu
    result[f"{name}_server_cpu_s"] = server_cpu(postmaster) - server
    result[f"{name}_period"] = period
    result[f"{name}_runs"] = [runs[n] for n in sorted(runs)]
    result[f"{name}_median_s"] = statistics.median(runs.values())
    result[f"{name}_wal_bytes"] = int(
        await conn.fetchval("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)", wal_before)
    )
    result[f"{name}_checkpoints"] = await checkpoints(conn) - checkpoints_before
    result[f"size_after_{name}"] = await conn.fetchval(
        "SELECT pg_database_size(current_database())"
    )


Job = tuple[int, uuid.UUID, dict[uuid.UUID, int]]


async def _runs(
    name: str,
    period: str,
    jobs: list[Job],
    at_once: int,
    total: int,
    before: Callable[[], Awaitable[None]] | None = None,
) -> tuple[dict[int, float], float, float]:
    """Run ``jobs`` (district runs) ``at_once`` at a time in this process, on its own pool
    (opened, then ``before`` awaited, then the clock started); returns each run's seconds,
    the wall time and this process's CPU time."""
    from service.db import close_database, open_database
    from service.funds import batches
    from tests.bench.allocation import bureau_caller

    runs: dict[int, float] = {}

    async def worker() -> None:
        while jobs:
            number, district, amounts = jobs.pop(0)
            one = time.perf_counter()
            await batches.allocate_interest_for_district(bureau_caller(district), period, amounts)
            runs[number] = time.perf_counter() - one
            say(f"{name} {period} district {number + 1}/{total}: {runs[number]:.1f} s")

    await open_database()
    try:
        if before is not None:
            await before()
        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(at_once)))
        return runs, time.perf_counter() - started, time.process_time() - cpu
    finally:
        await close_database()


async def _in_processes(
    name: str, period: str, jobs: list[Job], at_once: int, processes: int
) -> tuple[dict[int, float], float, float]:
    """The district runs spread over ``processes`` spawned processes, ``at_once`` in all
    (districts dealt round-robin, in order), all started together once every process has
    its pool; returns each run's seconds, the wall time from the start to the last
    process's end, and the CPU time of all the processes while they ran."""
    context = multiprocessing.get_context("spawn")
    ready, start, done = context.Barrier(processes + 1), context.Event(), context.Queue()
    tasks = [at_once // processes + (index < at_once % processes) for index in range(processes)]
    children = [
        context.Process(
            target=_process_runs,
            args=(name, period, jobs[i::processes], tasks[i], len(jobs), ready, start, done),
        )
        for i in range(processes)
    ]
    for child in children:
        child.start()
    try:
        await asyncio.to_thread(ready.wait, 600)
        started = time.perf_counter()
        start.set()
        outcomes = [await asyncio.to_thread(done.get) for _ in children]
        elapsed = time.perf_counter() - started
    finally:
        for child in children:
            child.join(60)
    if any(outcome is None for outcome in outcomes):
        raise RuntimeError(f"a process of the {name} month failed (see its output)")
    runs = {number: seconds for done_runs, _ in outcomes for number, seconds in done_runs.items()}
    return runs, elapsed, sum(cpu for _, cpu in outcomes)


def _process_runs(
    name: str,
    period: str,
    jobs: list[Job],
    at_once: int,
    total: int,
    ready: Any,
    start: Any,
    done: Any,
) -> None:
    """One spawned process's share: its pool opened, wait for the others, run its jobs,
    put (runs, CPU seconds) on ``done`` (None if it failed)."""

    async def together() -> None:
        await asyncio.to_thread(ready.wait, 600)
        await asyncio.to_thread(start.wait)

    gc.freeze()
    try:
        runs, _, cpu = asyncio.run(_runs(name, period, jobs, max(1, at_once), total, together))
    except BaseException:
        done.put(None)
        raise
    done.put((runs, cpu))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5_000_000)
    parser.add_argument("--districts", type=int, default=40)
    parser.add_argument("--database", default=PROVINCE_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", help="where to write the results")
    parser.add_argument("--with-demo", action="store_true", help="seed the demo district first")
    parser.add_argument(
        "--private-cluster",
        action="store_true",
        help="run on a throwaway cluster with production settings (tests/bench/cluster.py)",
    )
    parser.add_argument(
        "--keep-cluster", action="store_true", help="leave the private cluster's data directory"
    )
    parser.add_argument(
        "--parallel",
        type=int,
        action="append",
        default=[],
        help="then the next month, N district runs at a time (repeat: a further month each)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="spread the --parallel runs over P processes (as `changxiao serve --workers P`)",
    )
    arguments = parser.parse_args()
    if arguments.private_cluster:
        from tests.bench import cluster

        with cluster.private_cluster(keep=arguments.keep_cluster) as (url, data_dir):
            outcome = asyncio.run(main(arguments, url, cluster.postmaster_pid(data_dir)))
    else:
        outcome = asyncio.run(main(arguments, os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)))
    print(json.dumps(outcome, indent=2))
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as out:
            json.dump(outcome, out, indent=2)
