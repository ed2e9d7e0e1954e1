"""``make bench``: every benchmark in one run; the numbers go to docs/benchmarks.md.

    .venv/bin/python -m tests.bench.run             # full run: allocation at 1x and 100x
    .venv/bin/python -m tests.bench.run --quick     # smaller counts, 1x allocation, no SQLite
    .venv/bin/python -m tests.bench.run --only allocation --alloc-scale 10

Needs PostgreSQL (``BENCH_POSTGRES_URL``, default postgresql://postgres@127.0.0.1:5432/postgres):
scratch databases ``changxiao_bench`` and ``changxiao_bench_alloc`` are created beside it
and dropped at the end. Every load loop is bounded in count and in time and talks only to
127.0.0.1. Each section of docs/benchmarks.md sits between markers and is replaced only
when its benchmark ran, so a partial run (``--only``) keeps the others.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service.config import get_settings
from tests.bench import api, generate, pages
from tests.bench.common import (
    PROJECT_ROOT,
    LoadResult,
    Server,
    admin,
    bench_env,
    cli,
    machine,
    postgres_answers,
    with_database,
)

DOC = PROJECT_ROOT / "docs" / "benchmarks.md"
DEMO_HOUSEHOLDS = 16_219
DEMO_COMMUNITIES = 126
SECTIONS = ("deposits", "reads", "allocation", "payment", "pages")
# The other hot reads measured beside the balance: what, the path (``{}``: a random id).
HOT_READS = {
    "community": ("community summaries", "/communities/{}/fund"),
    "entries": ("household statements (first page)", "/households/{}/fund/entries"),
}
ALLOCATION_MAX_SECONDS = 2400


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller counts; no SQLite run")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only these")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite API run")
    parser.add_argument("--no-profile", action="store_true", help="skip the server profile")
    parser.add_argument(
        "--alloc-scale",
        type=int,
        action="append",
        help="allocation district size as a multiple of the demo; repeatable"
        " (default 1 and 100; quick 1)",
    )
    parser.add_argument("--no-write", action="store_true", help="print, do not edit the doc")
    parser.add_argument(
        "--on-database",
        metavar="NAME",
        help="run the API sections on this existing PostgreSQL database (e.g. a generated"
        " province kept by tests.bench.province --keep), the demo district seeded into it,"
        " instead of a fresh scratch database; it is neither created nor dropped",
    )
    return parser.parse_args(argv)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick = bool(args.quick)
        self.only = set(args.only or SECTIONS)
        self.admin_url = os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
        self.work = Path(tempfile.mkdtemp(prefix="changxiao-bench-"))
        self.log = self.work / "bench.log"
        self.results: dict[str, Any] = {}
        given = " ".join(shlex.quote(a) for a in sys.argv[1:])
        self.command = (
            f"`.venv/bin/python -m tests.bench.run {given}`"
            if given
            else "`make bench` (= `.venv/bin/python -m tests.bench.run`)"
        )

    def say(self, text: str) -> None:
        print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", flush=True)

    # ---- PostgreSQL: API, raw loop, reads, payment -------------------------------------

    async def api_on_postgres(self) -> None:
        if self.args.on_database:
            url = with_database(self.admin_url, self.args.on_database)
            await self._api_run(url, "PostgreSQL", with_raw=True)
            return
        # BENCH_API_DATABASE names the scratch database (on a machine several people share)
        name = os.environ.get("BENCH_API_DATABASE", "changxiao_bench")
        url = with_database(self.admin_url, name)
        await admin(
            self.admin_url,
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            f"CREATE DATABASE {name}",
        )
        try:
            await self._api_run(url, "PostgreSQL", with_raw=True)
        finally:
            await admin(self.admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    async def api_on_sqlite(self) -> None:
        path = self.work / "bench.sqlite3"
        await self._api_run(f"sqlite:///{path}", "SQLite", with_raw=False)

    async def _api_run(self, url: str, engine: str, *, with_raw: bool) -> None:
        env = bench_env(url)
        self.say(f"{engine}: migrate and seed the demo district")
        seed = {
            "migrate_s": cli("migrate", env=env, log=self.log),
            # --on-database: the demo was seeded into it before the rest was generated
            "seed_s": 0.0
            if self.args.on_database
            else cli("seed", "--demo", env=env, log=self.log),
        }
        households, community, big = await self._households(url, engine)
        out: dict[str, Any] = {"engine": engine, "seed": seed}
        n = 600 if self.quick else (3000 if engine == "PostgreSQL" else 1500)
        server = Server(url, self.log)
        out["workers"] = server.workers
        server.start()
        try:
            async with api.client(server, 1) as http:
                bureau = await api.login(http, "bureau", "bureau-demo")
                bureau2 = await api.login(http, "bureau2", "bureau2-demo")
            if "pages" in self.only and engine == "PostgreSQL":
                self.say(f"{engine}: every page of the committee's and owner's journeys")
                out["pages"] = await pages.page_times(server, url, rounds=5 if self.quick else 20)
            if "deposits" in self.only:
                self.say(f"{engine}: {n} deposits, 32 clients, {server.workers} server workers")
                out["deposits"] = await api.deposits(
                    server, bureau, households, count=n, concurrency=32, max_seconds=120
                )
                if with_raw:
                    loop_n = 1000 if self.quick else 5000
                    self.say(f"{engine}: {loop_n} raw postings, one connection, one at a time")
                    out["raw_loop"] = await api.raw_postings(
                        url, accounts=len(households), count=loop_n, concurrency=1, max_seconds=60
                    )
                    raw_n = 3000 if self.quick else 20000
                    self.say(f"{engine}: {raw_n} raw postings, 32 connections")
                    out["raw_32"] = await api.raw_postings(
                        url, accounts=len(households), count=raw_n, concurrency=32, max_seconds=60
                    )
            if "reads" in self.only:
                if engine == "PostgreSQL":
                    # What autovacuum does after the seed's and the deposits' bulk of new
                    # rows (this machine's server runs with autovacuum off): the reads are
                    # planned on the tables' statistics, not on the empty tables' ones.
                    self.say(f"{engine}: ANALYZE (autovacuum's statistics)")
                    await admin(url, "ANALYZE")
                for concurrency in (4, 64):
                    reads = 500 if self.quick else 3000
                    self.say(f"{engine}: {reads} balance reads, {concurrency} clients")
                    out[f"reads_{concurrency}"] = await api.balance_reads(
                        server,
                        bureau,
                        households,
                        count=reads,
                        concurrency=concurrency,
                        max_seconds=90,
                    )
                if with_raw:
                    reads = 500 if self.quick else 3000
                    communities = await self._communities(url)
                    hot = {"community": communities, "entries": households}
                    for name, ids in hot.items():
                        self.say(f"{engine}: {reads} {HOT_READS[name][0]}, 4 clients")
                        out[f"{name}_reads_4"] = await api.balance_reads(
                            server,
                            bureau,
                            ids,
                            count=reads,
                            concurrency=4,
                            max_seconds=90,
                            path=HOT_READS[name][1],
                        )
                    self.say(f"{engine}: {reads} balance reads from a bare endpoint, 4 clients")
                    bare = Server(url, self.log, module="tests.bench.bare")
                    bare.start()
                    try:
                        out["bare_reads_4"] = await api.balance_reads(
                            bare, {}, households, count=reads, concurrency=4, max_seconds=90
                        )
                        for name, ids in hot.items():
                            self.say(
                                f"{engine}: {reads} {HOT_READS[name][0]} from a bare endpoint,"
                                " 4 clients"
                            )
                            out[f"bare_{name}_reads_4"] = await api.balance_reads(
                                bare,
                                {},
                                ids,
                                count=reads,
                                concurrency=4,
                                max_seconds=90,
                                path=HOT_READS[name][1],
                            )
                    finally:
                        bare.stop()
                    self.say(f"{engine}: {reads} raw SQL balance reads, 4 connections")
                    out["raw_reads_4"] = await api.raw_reads(
                        url, households, count=reads, concurrency=4, max_seconds=60
                    )
            if "payment" in self.only and community is not None:
                self.say(f"{engine}: fund-use payment over {len(big)} households")
                out["payment"] = await api.fund_use_payment(
                    server, bureau, bureau2, community, big, rounds=1 if self.quick else 3
                )
        finally:
            server.stop()
        if with_raw and "deposits" in self.only and not self.args.no_profile:
            out["profile"] = await self._profile(url, households)
        self.results[engine] = out

    async def _households(self, url: str, engine: str) -> tuple[list[str], str | None, list[str]]:
        """Demo households; on PostgreSQL also a new 2,000-household community (set-based,
        first deposits posted) in the demo district, for the payment benchmark."""
        if engine != "PostgreSQL":
            import sqlite3

            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                rows = conn.execute("SELECT id FROM household").fetchall()
            return [str(r[0]) for r in rows], None, []
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            # The demo bureau's district (a kept database may hold other districts too).
            demo = "(SELECT district FROM account WHERE username = 'bureau')"
            households = [
                str(r["id"])
                for r in await conn.fetch(f"SELECT id FROM household WHERE district = {demo}")
            ]
            district, area = await conn.fetchrow(
                f"SELECT district, id FROM area WHERE district = {demo} LIMIT 1"
            )
            if "payment" not in self.only:
                return households, None, []
            communities = await generate.add_communities(
                conn,
                district_id=district,
                area_id=area,
                communities=1,
                households=2000,
                code_prefix="BENCH2000",
            )
            await generate.post_first_deposits(conn, communities)
            big = [
                str(r["id"])
                for r in await conn.fetch(
                    "SELECT id FROM household WHERE community = $1", communities[0]
                )
            ]
        finally:
            await conn.close()
        return households, str(communities[0]), big

    async def _communities(self, url: str) -> list[str]:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            return [
                str(r["id"])
                for r in await conn.fetch(
                    "SELECT id FROM community"
                    " WHERE district = (SELECT district FROM account WHERE username = 'bureau')"
                )
            ]
        finally:
            await conn.close()

    async def _profile(self, url: str, households: list[str]) -> Any:
        """1,000 deposits at 32 clients against a one-worker server run under cProfile
        (the profiler sees only the process it runs in)."""
        self.say("PostgreSQL: profiling the server under 1,000 deposits")
        target = self.work / "server.prof"
        server = Server(url, self.log, profile_to=target)
        server.start()
        try:
            async with api.client(server, 1) as http:
                bureau = await api.login(http, "bureau", "bureau-demo")
            load, cpu = await api.deposits(
                server, bureau, households, count=1000, concurrency=32, max_seconds=120
            )
        finally:
            server.stop()
        return {"load": load, "cpu": cpu, "stats": profile_summary(target)}

    # ---- Allocation ----------------------------------------------------------------

    def allocation(self, scale: int) -> dict[str, Any]:
        households, communities = DEMO_HOUSEHOLDS * scale, DEMO_COMMUNITIES * scale
        # BENCH_ALLOC_DATABASE names the scratch database (on a machine several people share)
        name = os.environ.get("BENCH_ALLOC_DATABASE", "changxiao_bench_alloc")
        url = with_database(self.admin_url, name)
        asyncio.run(
            admin(
                self.admin_url,
                f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                f"CREATE DATABASE {name}",
            )
        )
        target = self.work / f"allocation-{scale}.json"
        prof = self.work / f"allocation-{scale}.prof"
        self.say(f"allocation: {households:,} households in {communities:,} communities")
        try:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.bench.allocation",
                    "--households",
                    str(households),
                    "--communities",
                    str(communities),
                    "--json",
                    str(target),
                    "--rounds",
                    str(5 if scale <= 10 else 1),
                    *([] if self.args.no_profile else ["--profile", str(prof)]),
                ],
                env=bench_env(url),
                cwd=PROJECT_ROOT,
                check=True,
                timeout=ALLOCATION_MAX_SECONDS,
            )
        finally:
            asyncio.run(admin(self.admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        result: dict[str, Any] = json.loads(target.read_text())
        result["scale"] = scale
        if prof.exists():
            result["profile"] = profile_summary(prof)
        return result

    def run(self) -> None:
        started = time.perf_counter()
        if not postgres_answers(self.admin_url):
            raise SystemExit(f"PostgreSQL does not answer at {self.admin_url}: cannot benchmark")
        self.results["machine"] = machine()
        self.results["postgres"] = asyncio.run(self._postgres_info())
        if self.only & {"deposits", "reads", "payment", "pages"}:
            asyncio.run(self.api_on_postgres())
            if not (self.quick or self.args.no_sqlite):
                asyncio.run(self.api_on_sqlite())
        if "allocation" in self.only:
            scales = self.args.alloc_scale or ([1] if self.quick else [1, 100])
            self.results["allocations"] = [self.allocation(scale) for scale in scales]
        self.results["total_s"] = time.perf_counter() - started
        self.say(f"done in {self.results['total_s']:.0f} s")
        shutil.rmtree(self.work, ignore_errors=True)

    async def _postgres_info(self) -> dict[str, str]:
        rows = await admin(
            self.admin_url,
            "SELECT version() AS v",
            "SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers',"
            " 'synchronous_commit', 'fsync', 'max_connections', 'work_mem')",
        )
        settings = {r["name"]: r["setting"] + (r["unit"] or "") for r in rows[1]}
        return {"version": rows[0][0]["v"].split(" on ")[0], **settings}


def profile_summary(path: Path, top: int = 22) -> dict[str, Any]:
    """The server's CPU by function (cProfile: coroutine frames count only while running)."""
    if not path.exists():
        return {"total": 0.0, "top": [], "groups": {}}
    stats = pstats.Stats(str(path))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    rows = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]

    def where(key: tuple[str, int, str]) -> str:
        file, line, func = key
        file = re.sub(r".*/site-packages/", "", file)
        file = file.replace(str(PROJECT_ROOT) + "/", "")
        return f"{file}:{line}({func})" if line else func

    groups: dict[str, float] = {}
    for (file, _, func), value in raw.items():
        tottime = value[2]
        if "/asyncpg/" in file or "asyncpg" in func:
            group = "asyncpg (driver)"
        elif "/piccolo/" in file:
            group = "piccolo (query building, results)"
        elif "/litestar/" in file or "/msgspec/" in file:
            group = "litestar + msgspec (routing, DI, auth, (de)serialising)"
        elif "/uvicorn/" in file or "/httptools/" in file or "/h11/" in file:
            group = "uvicorn (HTTP)"
        elif "/jwt/" in file or "/cryptography/" in file or "jose" in file:
            group = "JWT"
        elif "/logging/" in file:
            group = "logging (access log)"
        elif "/service/" in file:
            group = "service code"
        elif "asyncio" in file or "uvloop" in file or "select" in func or "epoll" in func:
            group = "event loop"
        else:
            group = "other (stdlib, builtins)"
        groups[group] = groups.get(group, 0.0) + tottime
    cumulative = sorted(
        (
            (where(k), v[3])
            for k, v in raw.items()
            if "/service/" in k[0]
            and "<" not in k[2]
            and not k[0].endswith(("service/cli.py", "service/app.py"))
            and v[3] > 0.01 * total
        ),
        key=lambda kv: kv[1],
        reverse=True,
    )[:14]
    # Statements sent to PostgreSQL. cProfile counts a coroutine again at every resume, so
    # count plain functions instead: asyncpg's executor lambda (one per parameterised
    # statement, whether from db.fetch or Piccolo), its COPY option formatter (one per
    # COPY) and two per transaction (BEGIN, COMMIT).
    statements = sum(
        v[0]
        for k, v in raw.items()
        if k[0].endswith("asyncpg/connection.py")
        and (
            (k[2] == "<lambda>" and any(caller[2] == "_do_execute" for caller in v[4]))
            or k[2] == "_format_copy_opts"
        )
    ) + 2 * sum(
        v[0]
        for k, v in raw.items()
        if k[0].endswith("asyncpg/transaction.py") and k[2] == "__init__"
    )
    return {
        "total": total,
        "statements": statements,
        "top": [(where(k), v[1], v[2]) for k, v in rows],
        "groups": dict(sorted(groups.items(), key=lambda kv: kv[1], reverse=True)),
        "service_cumulative": cumulative,
    }


# ---- docs/benchmarks.md -------------------------------------------------------------


def table(head: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def load_row(label: str, load: LoadResult, cpu: dict[str, float]) -> list[Any]:
    served = load.requests - load.errors

    def per(k: str) -> str:
        return f"{cpu.get(k, 0) / served * 1000:.2f}" if served else "-"

    return [
        label,
        load.requests,
        load.errors,
        f"{load.seconds:.1f}",
        f"**{load.rate:,.0f}**",
        f"{load.ms(50):.1f}",
        f"{load.ms(95):.1f}",
        per("server") if "server" in cpu else "-",
        per("postgres"),
        per("load"),
    ]


LOAD_HEAD = [
    "what",
    "requests",
    "errors",
    "seconds",
    "per second",
    "p50 ms",
    "p95 ms",
    "server CPU ms/req",
    "PostgreSQL CPU ms/req",
    "load generator CPU ms/req",
]


def header(bench: Bench) -> str:
    m = bench.results["machine"]
    pg = bench.results["postgres"]
    return (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {bench.command} · "
        f"nproc {m['nproc']} ({m['cpu']}) · Python {m['python']} · "
        f"{pg['version']} (shared_buffers {pg.get('shared_buffers')}, synchronous_commit "
        f"{pg.get('synchronous_commit')}, fsync {pg.get('fsync')}) on 127.0.0.1 · load average "
        f"at start {m['loadavg']} (other work on the machine is not excluded)\n\n"
        f"```\n$ free -g\n{m['free']}\n```\n"
    )


def render_deposits(bench: Bench) -> str:
    pg = bench.results["PostgreSQL"]
    load, cpu = pg["deposits"]
    workers = pg["workers"]
    nproc = bench.results["machine"]["nproc"]
    parts = [
        "## 1. Deposits per second: API against raw SQL (PostgreSQL)",
        "",
        header(bench),
        f"`changxiao serve --workers {workers}` (a uvicorn master and {workers} worker "
        f"processes; nproc {nproc}) on 127.0.0.1 with `CHANGXIAO_SCHEDULER=0` and a scratch "
        "database `changxiao_bench` (`changxiao migrate`, `changxiao seed --demo`: "
        f"{DEMO_COMMUNITIES} communities, {DEMO_HOUSEHOLDS:,} households with first deposits;"
        f" migrate {pg['seed']['migrate_s']:.1f} s, seed {pg['seed']['seed_s']:.1f} s). "
        "32 load workers, each on its own HTTP/1.1 keep-alive connection (a minimal asyncio "
        "client, `tests/bench/keepalive.py`, so that the load generator takes little of the "
        "CPU it shares with the server; httpx only for the logins; the connections are "
        "reopened until the server's workers hold equal shares, as each worker accepts for "
        "itself and a burst of connects tends to land on one), post "
        "`POST /api/v1/fund/deposits` `kind: replenish` to households spread over the whole "
        "demo district, each request with its own `Idempotency-Key`, logged in as the demo "
        "`bureau` (64 warm-up requests not counted; any answer but 201 is an error). "
        "Raw SQL, same PostgreSQL server, same run, fresh scratch tables each (an account "
        "table and a journal-line table with a foreign key and an index on account); a "
        "posting is one transaction with one `UPDATE … SET balance = balance + x` and one "
        "INSERT: **(a)** the posting loop: one asyncpg connection, one posting after another;"
        " **(b)** the same postings over 32 asyncpg connections at once. CPU columns are "
        "CPU-seconds per request of the server's whole process tree (master and workers), "
        f"of all PostgreSQL processes and of the load generator ({nproc} cores in all).",
        "",
    ]
    rows = [load_row(f"API deposits (32 clients, {workers} workers)", load, cpu)]
    loop, raw32 = pg.get("raw_loop"), pg.get("raw_32")
    if loop:
        rows.append(load_row("(a) raw SQL posting loop (1 connection)", *loop))
    if raw32:
        rows.append(load_row("(b) raw SQL postings (32 connections)", *raw32))
    parts.append(table(LOAD_HEAD, rows))
    sqlite = bench.results.get("SQLite")
    if sqlite and "deposits" in sqlite:
        parts += [
            "",
            f"Same API load on SQLite (scratch file, WAL; same seed; {sqlite['workers']} workers):",
            "",
            table(
                LOAD_HEAD, [load_row("API deposits on SQLite (32 clients)", *sqlite["deposits"])]
            ),
        ]
    if loop:
        ratio = load.rate / loop[0].rate if loop[0].rate else 0.0
        met = "met" if ratio >= 0.5 else "**not met**"
        parts += [
            "",
            f"**Ratio API / (a) raw posting loop: {ratio:.1%}** ({load.rate:,.0f} vs "
            f'{loop[0].rate:,.0f} per second). Aim (the API reaches half the rate of "a '
            f'raw-SQL posting loop", so judged against (a)): {met}.',
        ]
    if raw32:
        ratio32 = load.rate / raw32[0].rate if raw32[0].rate else 0.0
        parts += [
            "",
            f"Ratio API / (b) 32 raw connections: {ratio32:.1%} ({load.rate:,.0f} vs "
            f"{raw32[0].rate:,.0f} per second). (b) is the concurrency ceiling of PostgreSQL "
            "itself for these postings on this machine, not a loop a single client runs.",
        ]
    parts += ["", "### Where the time goes", "", cpu_split(bench, load, cpu)]
    prof = pg.get("profile")
    if prof and prof["stats"]["total"]:
        stats = prof["stats"]
        pload, pcpu = prof["load"], prof["cpu"]
        served = max(1, pload.requests - pload.errors)
        parts += [
            "",
            "Profile: a second server with one worker (cProfile sees only the process it runs"
            f" in) under `python -m cProfile`, {pload.requests} deposits at 32 clients "
            f"({pload.rate:,.0f}/s under the profiler). Server CPU "
            f"{pcpu.get('server', 0) / served * 1000:.2f} ms per request under the profiler;"
            f" profiled time {stats['total']:.1f} s (start-up and the two logins included). "
            f"asyncpg sent {stats['statements']:,} SQL statements, "
            f"**{stats['statements'] / (served + 64):.1f} per request** including BEGIN and "
            "COMMIT (the raw loop: 4)."
            " By package (self time):",
            "",
            table(
                ["package", "self s", "share"],
                [
                    [g, f"{s:.2f}", f"{s / stats['total']:.0%}"]
                    for g, s in stats["groups"].items()
                    if s / stats["total"] >= 0.005
                ],
            ),
            "",
            "Service functions by cumulative CPU (their own code and everything they call,"
            " while running):",
            "",
            table(
                ["function", "cumulative s", "share"],
                [
                    [f"`{w}`", f"{c:.2f}", f"{c / stats['total']:.0%}"]
                    for w, c in stats["service_cumulative"]
                ],
            ),
            "",
            "Top functions by self time:",
            "",
            table(
                ["function", "calls", "self s"],
                [[f"`{w}`", n, f"{t:.2f}"] for w, n, t in stats["top"]],
            ),
        ]
    return "\n".join(parts)


def cpu_split(bench: Bench, load: LoadResult, cpu: dict[str, float]) -> str:
    """How the cores were spent during the API deposits, as measured (no statement counts
    read off the code: the profile below measures those)."""
    nproc = int(bench.results["machine"]["nproc"])
    pg = bench.results["PostgreSQL"]
    seconds = load.seconds or 1.0
    cores = {k: cpu.get(k, 0.0) / seconds for k in ("server", "postgres", "load")}
    busiest = cpu.get("server_busiest", 0.0) / seconds
    busy = sum(cores.values())
    served = max(1, load.requests - load.errors)
    text = (
        f"During the API deposits the {nproc} cores ran the server's processes for "
        f"{cores['server']:.2f} cores (its busiest process {busiest:.2f}), PostgreSQL for "
        f"{cores['postgres']:.2f} and the load generator for {cores['load']:.2f} "
        f"({busy:.2f} of {nproc}; the rest idle or other work). Per deposit: server "
        f"{cpu.get('server', 0) / served * 1000:.2f} ms, PostgreSQL "
        f"{cpu.get('postgres', 0) / served * 1000:.2f} ms of CPU"
    )
    loop = pg.get("raw_loop")
    if loop:
        done = max(1, loop[0].requests - loop[0].errors)
        text += (
            f", where a posting of the raw loop (a) costs PostgreSQL "
            f"{loop[1].get('postgres', 0) / done * 1000:.2f} ms and its client "
            f"{loop[1].get('load', 0) / done * 1000:.2f} ms"
        )
    text += ". "
    if busy >= 0.9 * nproc:
        text += (
            "The machine is CPU-bound: a higher rate needs less CPU per deposit in the server"
            " or PostgreSQL, not more clients or workers."
        )
    elif busiest >= 0.9:
        text += (
            "One server process ran at a full core while the cores were not all busy: each"
            " worker accepts its own share of the 32 keep-alive connections, and an uneven"
            " share makes the busiest worker the limit."
        )
    else:
        text += (
            "The cores are not all busy: part of each deposit's time is spent waiting (row"
            " locks, round trips to PostgreSQL, commits) rather than computing."
        )
    return text + (
        " A deposit through the API does more than the raw posting's UPDATE and INSERT: "
        "HTTP parsing and routing, the bearer token and the caller's scope, the idempotency "
        "record, the ledger entry with its hash chain and lines, the balance, the audit row. "
        "Its statements (the caller comes from the worker's caller cache, "
        "`CHANGXIAO_CALLER_CACHE_SECONDS`): BEGIN; the idempotency claim and the community's "
        "journal lock in one statement (the lock an upsert that also finds the household, "
        "taken only for a new key); the account state; one statement with every write (entry, "
        "lines, balances, chain head, audit row, stored answer); COMMIT. The profile below "
        "counts the statements per request and shows where the server's CPU goes."
    )


def render_reads(bench: Bench) -> str:
    parts = [
        "## 2. Household balance reads",
        "",
        header(bench),
        "`GET /api/v1/households/{id}/fund` as the demo `bureau`, random demo households, "
        "on the same served app (after the deposits above).",
        "",
    ]
    rows = []
    for engine in ("PostgreSQL", "SQLite"):
        found = bench.results.get(engine, {})
        for concurrency in (4, 64):
            if f"reads_{concurrency}" in found:
                rows.append(
                    load_row(f"{engine}, {concurrency} connections", *found[f"reads_{concurrency}"])
                )
    pg = bench.results.get("PostgreSQL", {})
    if "bare_reads_4" in pg:
        rows.append(
            load_row(
                "(e) bare endpoint (Litestar + asyncpg, the one statement), 4 connections",
                *pg["bare_reads_4"],
            )
        )
    if "raw_reads_4" in pg:
        rows.append(
            load_row("(r) raw SQL: the read's one statement, 4 connections", *pg["raw_reads_4"])
        )
    parts.append(table(LOAD_HEAD, rows))
    if "reads_4" in pg and "bare_reads_4" in pg:
        api_rate, bare_rate = pg["reads_4"][0].rate, pg["bare_reads_4"][0].rate
        met = read_goal(pg["reads_4"][0], pg["bare_reads_4"][0])
        parts += [
            "",
            f"**Ratio API / (e) bare endpoint at 4 connections: {api_rate / bare_rate:.1%}** "
            f"({api_rate:,.0f} vs {bare_rate:,.0f} per second; p99 API "
            f"{pg['reads_4'][0].ms(99):.1f} ms, bare {pg['bare_reads_4'][0].ms(99):.1f} ms). "
            f"Aim (issue 15: 70% of the bare endpoint, p99 at most 5 ms): {met}. (e) is "
            "`tests/bench/bare.py` served by uvicorn with the same workers and access log: "
            "the read's statement, no token, no scope layer, no response model.",
        ]
    if "reads_4" in pg and "raw_reads_4" in pg:
        api_rate, raw_rate = pg["reads_4"][0].rate, pg["raw_reads_4"][0].rate
        parts += [
            "",
            f"Ratio API / (r) raw SQL reads at 4 connections: {api_rate / raw_rate:.1%} "
            f"({api_rate:,.0f} vs {raw_rate:,.0f} per second; p99 API "
            f"{pg['reads_4'][0].ms(99):.1f} ms). (r) sends the read's own statement "
            "(`reads.HOUSEHOLD_FUND_SQL` with the bureau's district predicate) over asyncpg, "
            "without HTTP, so it is a floor below a bare HTTP endpoint.",
        ]
    parts += hot_reads(pg)
    if "reads_4" in pg and "reads_64" in pg:
        four, sixty = pg["reads_4"][0], pg["reads_64"][0]
        parts += [
            "",
            f"Reading: on PostgreSQL {four.rate:,.0f}/s at 4 connections and {sixty.rate:,.0f}/s"
            f" at 64 ({sixty.rate / four.rate:.0%}); p95 goes from {four.ms(95):.1f} ms to "
            f"{sixty.ms(95):.1f} ms. `changxiao serve --workers {pg['workers']}` serves "
            "everything (each worker's PostgreSQL pool holds at most `CHANGXIAO_PG_POOL_MAX` "
            f"connections, here {get_settings().pg_pool_max}), and the load generator (one "
            "keep-alive connection per client) shares the same "
            f"{bench.results['machine']['nproc']} cores.",
        ]
    return "\n".join(parts)


def read_goal(api: LoadResult, bare: LoadResult) -> str:
    """Issue 15 goal 1 for one read at 4 clients: at least 70% of its bare endpoint's rate
    and a p99 of at most 5 ms, both."""
    met = bare.rate > 0 and api.rate >= 0.7 * bare.rate and api.ms(99) <= 5
    return "met" if met else "**not met**"


def hot_reads(pg: dict[str, Any]) -> list[str]:
    """The community summary and the household statement's first page beside their bare
    endpoints (each the read's one statement with the bureau's district predicate)."""
    names = [n for n in HOT_READS if f"{n}_reads_4" in pg and f"bare_{n}_reads_4" in pg]
    if not names:
        return []
    parts = [
        "",
        "The other hot reads, as the demo `bureau` at 4 connections, each beside a bare "
        "endpoint sending the same one statement (`tests/bench/bare.py`): "
        + "; ".join(f"`GET /api/v1{HOT_READS[n][1].format('{id}')}`" for n in names)
        + " (random demo communities; random demo households, default page of 50).",
        "",
    ]
    rows = []
    for name in names:
        rows.append(load_row(f"{HOT_READS[name][0]}, 4 connections", *pg[f"{name}_reads_4"]))
        rows.append(
            load_row(f"(e) bare {HOT_READS[name][0]}, 4 connections", *pg[f"bare_{name}_reads_4"])
        )
    parts.append(table(LOAD_HEAD, rows))
    for name in names:
        api_load, bare_load = pg[f"{name}_reads_4"][0], pg[f"bare_{name}_reads_4"][0]
        ratio = api_load.rate / bare_load.rate if bare_load.rate else 0.0
        met = read_goal(api_load, bare_load)
        parts += [
            "",
            f"**Ratio API / (e) bare endpoint, {HOT_READS[name][0]}, at 4 connections: "
            f"{ratio:.1%}** ({api_load.rate:,.0f} vs {bare_load.rate:,.0f} per second; p99 API "
            f"{api_load.ms(99):.1f} ms, bare {bare_load.ms(99):.1f} ms). "
            f"Aim (issue 15: 70% of the bare endpoint, p99 at most 5 ms): {met}.",
        ]
    return parts


def render_allocation(bench: Bench, a: dict[str, Any]) -> str:
    ratio = a["service_s"] / a["hand_s"] if a["hand_s"] else 0.0
    bare = a.get("bare_s") or 0.0
    floor_ratio = a["service_s"] / bare if bare else 0.0
    met = "met" if floor_ratio and floor_ratio <= 1.5 else "**not met**"
    return "\n".join(
        [
            f"## 3. Interest allocation, {a['scale']}x the demo district"
            f" ({a['households']:,} households)",
            "",
            header(bench),
            f"Scratch database `changxiao_bench_alloc` (migrated), a generated district of "
            f"{a['communities']:,} communities × one building, {a['households']:,} households"
            f" (round-robin, about {a['households'] // a['communities']} each; one owner and one"
            " ownership row each; areas 45.00-94.99 m²), generated set-based with `INSERT … "
            "SELECT generate_series` (`tests/bench/generate.py`), then every household's first "
            "deposit set-based (one entry per community; stand-in hashes). Each community's "
            "bank interest is 0.35% of its fund. Timed: (a) the service's batch path "
            "`batches.allocate_interest_for_district` (what `POST /api/v1/fund/interest/district`"
            " runs: every community once, one transaction, one `post_entries` for all), and "
            "(b) the same allocation as hand-written SQL (`tests/bench/allocation.py`: one "
            "`INSERT … SELECT` computing each household's balance-days (积数: every journal "
            "line × the days it counts from its value date to the period's end, summed per "
            "account) and `amount × balance-days / total` with the largest-remainder "
            "fix-up by window functions, one UPDATE of the balances, plus the entries, chain "
            "heads and audit rows set-based). Both split by balance-days over the period: the "
            "first round this year's (the first deposits are dated the day of the run), later "
            "rounds later years'. (c) The bare pass, issue 15's floor for a batch: one line per "
            "household plus the balance update, set-based, on the same schema (an entry per "
            "community, each line 0.35% of the household's principal; no balance-days, shares, "
            "hash chain or audit; timed to its COMMIT, then rolled back). Each timed path "
            "starts after a `CHECKPOINT` (nothing left dirty by the one before it). "
            "Before timing, the hand-written shares were "
            "computed on the same journal and compared with the service's lines: "
            f"{a['mismatched_shares']} differ.",
            "",
            table(
                ["step", "seconds", "notes"],
                [
                    ["migrate", f"{a['migrate_s']:.1f}", ""],
                    [
                        "generate registry",
                        f"{a['generate_registry_s']:.1f}",
                        "district, communities, buildings, owners, households, ownership",
                    ],
                    [
                        "generate first deposits",
                        f"{a['generate_first_deposits_s']:.1f}",
                        f"accounts, entries, lines, chains; database {a['database_size']}",
                    ],
                    [
                        "**service batch path**",
                        f"**{a['service_s']:.2f}**",
                        f"{a['service_entries']:,} entries, {a['service_households']:,} households"
                        f"; client CPU {a['service_cpu_s']:.1f} s; peak RSS "
                        f"{a['max_rss_mb']:.0f} MB",
                    ],
                    [
                        "**hand-written SQL**",
                        f"**{a['hand_s']:.2f}**",
                        f"{a['hand_lines']:,} lines; sums exact: {a['hand_sums_exact']}",
                    ],
                    [
                        "**bare pass**",
                        f"**{bare:.2f}**",
                        f"{bare / a['households'] * 1e6:.1f} s per million households"
                        if bare
                        else "not measured",
                    ],
                ],
            ),
            "",
            f"**Ratio service / bare pass: {floor_ratio:.2f}x.** Aim (issue 15 goal 3: within "
            f"1.5x of the bare pass): {met}. Service / hand-written SQL: {ratio:.2f}x.",
            *rounds_line(a),
            *allocation_profile(a),
        ]
    )


def rounds_line(a: dict[str, Any]) -> list[str]:
    service, hand = a.get("service_runs", []), a.get("hand_runs", [])
    bare = a.get("bare_runs", [])
    if len(service) < 2:
        return []
    return [
        "",
        f"Seconds above are medians of {len(service)} rounds, the service, the hand-written "
        "SQL and the bare pass in turn, each on a new period (the first round is the one "
        f"checked line by line). Service: {', '.join(f'{t:.2f}' for t in service)}; "
        f"hand-written: {', '.join(f'{t:.2f}' for t in hand)}; bare: "
        f"{', '.join(f'{t:.2f}' for t in bare)}.",
    ]


def allocation_profile(a: dict[str, Any]) -> list[str]:
    stats = a.get("profile")
    if not stats or not stats["total"]:
        return []
    per = stats["statements"] / max(1, a["service_entries"])
    return [
        "",
        f"Profile (not timed): the batch path once more for the next period under cProfile "
        f"({a.get('profiled_s', 0):.1f} s under the profiler). asyncpg sent "
        f"{stats['statements']:,} statements for {a['service_entries']:,} communities "
        f"({per:.2f} per community; the hand-written SQL runs 10 for the whole district): "
        "per thousand communities one SELECT each to check them, lock their chains, find "
        "live allocations, read the weights and find the custody accounts; then the "
        "entries, lines, balances and chain heads as unnest() arrays, and the audit rows. "
        'Time in `select.epoll.poll` ("event loop") is this process waiting for '
        "PostgreSQL; in Python the shares, the canonical text and hash of each entry and "
        "UUID ↔ str conversions. By package (self time):",
        "",
        table(
            ["package", "self s", "share"],
            [
                [g, f"{s:.2f}", f"{s / stats['total']:.0%}"]
                for g, s in stats["groups"].items()
                if s / stats["total"] >= 0.005
            ],
        ),
        "",
        "Service functions by cumulative time while running (excluding waits):",
        "",
        table(
            ["function", "cumulative s", "share"],
            [
                [f"`{w}`", f"{c:.2f}", f"{c / stats['total']:.0%}"]
                for w, c in stats["service_cumulative"]
            ],
        ),
        "",
        "Top functions by self time:",
        "",
        table(
            ["function", "calls", "self s"],
            [[f"`{w}`", n, f"{t:.2f}"] for w, n, t in stats["top"][:12]],
        ),
    ]


def render_payment(bench: Bench) -> str:
    p = bench.results["PostgreSQL"]["payment"]
    answer = p["answer"]
    return "\n".join(
        [
            f"## 4. One fund-use payment over {p['households']:,} households",
            "",
            header(bench),
            f"A community of {p['households']:,} households (set-based, first deposits posted) "
            "added to the demo district on the served app above. For each round: "
            "`POST /api/v1/fund-uses` as `bureau` over all its households (`emergency: true, "
            'emergency_reason: "shared_equipment", component: "equipment"`, estimated cost '
            "300,000.00), `POST …/approve` as "
            "`bureau2`, then the timed `POST /api/v1/fund-uses/{id}/disbursements` "
            '`{"amount": "300000.00", "stage": "final"}` with an `Idempotency-Key`; the '
            "first payment is then replayed with the same key.",
            "",
            table(
                ["round", "propose s", "approve s", "**payment s**"],
                [
                    [i + 1, f"{a:.3f}", f"{b:.3f}", f"**{c:.3f}**"]
                    for i, (a, b, c) in enumerate(
                        zip(p["propose_s"], p["approve_s"], p["pay_s"], strict=True)
                    )
                ],
            ),
            "",
            f"Median payment {p['pay_median_s']:.3f} s for {p['households']:,} lines in one "
            f"entry (posted {answer['posted']}, self-funded {answer['self_funded']}); the replay"
            f" with the same key answered the same body in {p['replay_s'] * 1000:.0f} ms.",
        ]
    )


INTRO = """\
# Benchmarks

What `make bench` (`.venv/bin/python -m tests.bench.run`, code in `tests/bench/`) measures on
this machine, against real processes: `changxiao serve --workers N` (one worker per core) as
a subprocess on 127.0.0.1 with its own scratch PostgreSQL database, driven by a minimal
keep-alive HTTP client (`tests/bench/keepalive.py`); the raw-SQL floor beside it in the same
run; the interest batch next to hand-written SQL. Each section below is rewritten by the run
that measured it (`--only SECTION` keeps the others); the command, date, machine and
database head every section. `python -m tests.bench.fund_bench` is the
older in-process ledger benchmark (first deposits, interest and verify at demo scale).
"""


def render_pages(bench: Bench) -> str:
    pg = bench.results["PostgreSQL"]
    rows = [
        [
            p["who"],
            p["page"],
            f"{p['median']:.1f}",
            f"{p['p95']:.1f}",
            f"{p['max']:.1f}",
            f"{p['bytes']:,}",
        ]
        for p in pg["pages"]
    ]
    worst = max(pg["pages"], key=lambda p: p["p95"])
    verdict = "met" if worst["p95"] < pages.BUDGET_MS else "NOT met"
    return "\n".join(
        [
            "## 5. Web pages: render time on the demo district (PostgreSQL)",
            "",
            header(bench),
            f"`changxiao serve --workers {pg['workers']}` on the seeded demo district "
            "(`changxiao seed --demo`, with its fund uses, tickets and ratings); one signed-in "
            "client at a time (httpx, keep-alive), each page of the committee's and the demo "
            "owner's journeys requested 2 times to warm up and then 20 times; milliseconds for "
            "the whole answer as the client sees it. `tests/bench/pages.py`; run alone with "
            "`.venv/bin/python -m tests.bench.run --only pages --no-sqlite`.",
            "",
            table(["who", "page", "median ms", "p95 ms", "max ms", "bytes"], rows),
            "",
            f"Aim (each page under {pages.BUDGET_MS:.0f} ms): {verdict}; the slowest p95 is "
            f"{worst['page']} ({worst['who']}) at {worst['p95']:.1f} ms.",
        ]
    )


def write_doc(bench: Bench) -> None:
    sections: dict[str, str] = {}
    pg = bench.results.get("PostgreSQL", {})
    if "deposits" in pg:
        sections["deposits"] = render_deposits(bench)
    if "reads_4" in pg:
        sections["reads"] = render_reads(bench)
    for allocation in bench.results.get("allocations", []):
        sections[f"allocation-{allocation['scale']}x"] = render_allocation(bench, allocation)
    if "payment" in pg:
        sections["payment"] = render_payment(bench)
    if "pages" in pg:
        sections["pages"] = render_pages(bench)
    text = DOC.read_text() if DOC.exists() else INTRO
    existing = dict(re.findall(r"<!-- bench:(\S+) -->\n(.*?)<!-- /bench:\1 -->", text, re.S))
    for name, body in sections.items():
        existing[name] = body + "\n"
    order = ["deposits", "reads"]
    order += sorted((k for k in existing if k.startswith("allocation-")), key=_scale_key)
    order += ["payment"] + [k for k in existing if k not in order and k != "payment"]
    out = [INTRO]
    for name in order:
        if name in existing:
            out.append(f"<!-- bench:{name} -->\n{existing[name]}<!-- /bench:{name} -->\n")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("\n".join(out))


def _scale_key(name: str) -> int:
    digits = re.sub(r"\D", "", name)
    return int(digits) if digits else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    bench.run()
    if args.no_write:
        print(json.dumps(bench.results, default=str, indent=1)[:4000])
    else:
        write_doc(bench)
        bench.say(f"wrote {DOC.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
