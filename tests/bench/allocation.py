"""Interest allocation for a whole district: the service's batch path next to the same
allocation written as hand-written SQL, on a scratch PostgreSQL database.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<scratch> \
        python -m tests.bench.allocation --households 1621900 --communities 12600 --json out.json

Run by ``tests.bench.run`` in its own process (the Piccolo engine is chosen from
``DATABASE_URL`` at import). The scratch database must exist and be empty; this script
migrates it, generates the district set-based (``generate.py``), then times
1. ``batches.allocate_interest_for_district`` (one transaction, every community once:
   the path ``POST /fund/interest/district`` takes), and
2. the hand-written SQL: one statement computes every household's balance-days (积数)
   over the period from the journal lines and their value dates, then every share with
   ``floor(amount × balance-days / total)`` plus the largest-remainder fix-up (window
   functions, ties by account id as ``batches`` breaks them) and inserts the lines; one
   UPDATE moves the balances; entries, chain heads and audit rows set-based beside them.
Before timing, the hand-written shares are computed into a temporary table on the same
journal and compared line by line with what the service posts. Periods: the first round
this year (the first deposits are dated the day of the run, so each household counts the
days from then to 31 December), later rounds later years (every line counts every day).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import os
import resource
import statistics
import time
import uuid
from typing import Any

os.environ.setdefault("PICCOLO_CONF", "service.piccolo_conf")
os.environ.setdefault("CHANGXIAO_SCHEDULER", "0")

# The first deposits are dated the day of the run: the first round allocates this year
# (each household counts the days from then to 31 December), later rounds later years.
YEAR = datetime.date.today().year


def shares_sql(period: str) -> str:
    """Every household's share of its community's interest for ``period``, by balance-days
    (积数): each line's amount × the days it counts from its value date (a reversal's from
    the date of what it reverses) to the period's end, summed per account; then
    ``floor(amount × balance-days / total)`` with the largest-remainder fix-up. bigint
    arithmetic: the benchmark's amounts × balance-days stay far below 2^63."""
    from service.funds.rules import interest_period

    start, end = (f"DATE '{d.isoformat()}'" for d in interest_period(period))
    return f"""
WITH d AS (
    SELECT l.account,
           SUM((l.principal_delta + l.interest_delta)
               * ({end} - GREATEST(COALESCE(o.value_date, e.value_date), {start}) + 1))::bigint
               AS bd
    FROM fund_entry AS e
    LEFT JOIN fund_entry AS o ON o.id = e.reverses_entry
    JOIN fund_line AS l ON l.entry = e.id
    WHERE e.community IN (SELECT community FROM bench_amount)
      AND COALESCE(o.value_date, e.value_date) <= {end} AND l.household IS NOT NULL
    GROUP BY l.account
), w AS (
    SELECT a.community, a.id AS account, a.household, h.owner, d.bd AS bal
    FROM d JOIN fund_account AS a ON a.id = d.account JOIN household AS h ON h.id = a.household
    WHERE a.kind = 'household' AND a.closed_at IS NULL AND d.bd > 0
), f AS (
    SELECT t.*, t.amount_fen * t.bal / t.total AS base, t.amount_fen * t.bal % t.total AS rem
    FROM (SELECT w.*, m.amount_fen,
                 (SUM(w.bal) OVER (PARTITION BY w.community))::bigint AS total
          FROM w JOIN bench_amount AS m USING (community)) AS t
), r AS (
    SELECT f.*,
           f.amount_fen - (SUM(f.base) OVER (PARTITION BY f.community))::bigint AS left_over,
           ROW_NUMBER() OVER (PARTITION BY f.community
                              ORDER BY f.rem DESC, f.account::text COLLATE "C") AS rn
    FROM f
)
SELECT community, account, household, owner,
       base + CASE WHEN rn <= left_over THEN 1 ELSE 0 END AS share
FROM r
"""


async def hand_written_allocation(conn: Any, period: str, actor: uuid.UUID) -> int:
    """The district's allocation in set-based SQL, one transaction; returns lines posted."""
    async with conn.transaction():
        live = await conn.fetchval(
            "SELECT COUNT(*) FROM fund_entry WHERE kind = 'interest' AND period = $1"
            " AND community IN (SELECT community FROM bench_amount)",
            period,
        )
        if live:
            raise RuntimeError("interest already allocated for this period")
        await conn.execute("DROP TABLE IF EXISTS bench_hand")
        await conn.execute(
            "CREATE TEMP TABLE bench_hand (community uuid PRIMARY KEY, entry uuid, seq bigint,"
            " prev_hash text, hash text, custody uuid, amount_fen bigint, district uuid)"
        )
        # Lock and advance every chain in one statement (ascending id order).
        await conn.execute(
            "WITH u AS (UPDATE fund_chain SET last_seq = last_seq + 1"
            " WHERE community IN (SELECT community FROM bench_amount)"
            " RETURNING community, last_seq, head_hash)"
            " INSERT INTO bench_hand (community, entry, seq, prev_hash, hash, amount_fen)"
            " SELECT u.community, gen_random_uuid(), u.last_seq, u.head_hash,"
            " encode(sha256(convert_to(u.head_hash || u.last_seq, 'UTF8')), 'hex'),"
            " m.amount_fen FROM u JOIN bench_amount AS m USING (community)"
        )
        await conn.execute(
            "UPDATE bench_hand SET custody = a.id, district = a.district FROM fund_account AS a"
            " WHERE a.community = bench_hand.community AND a.kind = 'custody'"
        )
        await conn.execute(
            "INSERT INTO fund_entry (id, district, community, seq, kind, posted_at, value_date,"
            " book_year, period, memo, reverses_entry, amount_fen, actor_id, idempotency_key,"
            " fund_use_id, prev_hash, hash)"
            " SELECT entry, district, community, seq, 'interest', now(), current_date,"
            " extract(year FROM current_date)::int, $1::text, $1::text || ' 利息', NULL,"
            " amount_fen, $2,"
            " NULL, NULL, prev_hash, hash FROM bench_hand",
            period,
            actor,
        )
        status = await conn.execute(
            "INSERT INTO fund_line (entry, account, household, owner, principal_delta,"
            " interest_delta)"
            " SELECT b.entry, s.account, s.household, s.owner, 0, s.share"
            f" FROM ({shares_sql(period)})"
            " AS s JOIN bench_hand AS b USING (community) WHERE s.share <> 0"
            " UNION ALL SELECT entry, custody, NULL, NULL, 0, -amount_fen FROM bench_hand"
        )
        await conn.execute(
            "UPDATE fund_account SET interest_fen = fund_account.interest_fen + d.i"
            " FROM (SELECT account, SUM(interest_delta) AS i FROM fund_line"
            " WHERE entry IN (SELECT entry FROM bench_hand) GROUP BY account) AS d"
            " WHERE fund_account.id = d.account"
        )
        await conn.execute(
            "UPDATE fund_chain SET head_hash = b.hash FROM bench_hand AS b"
            " WHERE fund_chain.community = b.community"
        )
        await conn.execute(
            "INSERT INTO audit_entry (at, district_id, actor_id, actor_name, action, entity,"
            " entity_id, before, after)"
            " SELECT now(), district, $1, 'bench', 'fund.interest', 'fund_entry', entry::text,"
            " NULL, json_build_object('community_id', community, 'period', $2::text,"
            " 'amount_fen', amount_fen) FROM bench_hand",
            actor,
            period,
        )
    return int(status.split()[-1])


async def settle(conn: Any) -> None:
    """Before each timed path: a CHECKPOINT, so that none of them pays for writing out
    what the generation or the path before it left dirty, and each pays alike for the
    first change of a page after a checkpoint (its full image in the WAL): the first path
    timed used to start while the generation's gigabytes were still being written out
    (docs/benchmarks.md, section 7, tenth round)."""
    await conn.execute("CHECKPOINT")


def bureau_caller(district: uuid.UUID) -> Any:
    """A bureau caller of ``district`` for the batch paths (``tests.support``'s, imported
    here once the benchmark has set its database: the service's modules read it)."""
    from tests.support import bureau_caller as caller

    return caller(district, "bench")


async def bare_pass(conn: Any, round_no: int) -> float:
    """Issue 15's floor for a batch: one line per household plus the balance update,
    set-based, on the same schema (indexes, reference checks, triggers) — one entry per
    community for the lines to belong to, each household's line 0.35% of its principal,
    no balance-days, no shares, no hash chain, no audit. Timed up to its COMMIT, then
    rolled back, so every round of every path sees the same journal."""
    await settle(conn)
    started = time.perf_counter()
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(
            "CREATE TEMP TABLE bench_bare ON COMMIT DROP AS SELECT community, district,"
            " gen_random_uuid() AS entry FROM fund_account WHERE kind = 'custody'"
        )
        await conn.execute(
            "INSERT INTO fund_entry (id, district, community, seq, kind, posted_at, value_date,"
            " book_year, period, memo, reverses_entry, amount_fen, actor_id, idempotency_key,"
            " fund_use_id, prev_hash, hash)"
            " SELECT entry, district, community, 1000000 + $1, 'interest', now(), current_date,"
            " extract(year FROM current_date)::int, 'bare', 'bare', NULL, 0, NULL, NULL, NULL,"
            " '', '' FROM bench_bare",
            round_no,
        )
        await conn.execute(
            "INSERT INTO fund_line (entry, account, household, owner, principal_delta,"
            " interest_delta) SELECT b.entry, a.id, a.household, h.owner, 0,"
            " a.principal_fen * 35 / 10000 FROM fund_account AS a"
            " JOIN bench_bare AS b USING (community) JOIN household AS h ON h.id = a.household"
            " WHERE a.kind = 'household'"
        )
        await conn.execute(
            "UPDATE fund_account SET interest_fen = interest_fen + principal_fen * 35 / 10000"
            " WHERE kind = 'household'"
        )
        return time.perf_counter() - started
    finally:
        await transaction.rollback()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    import asyncpg

    from service.db import close_database, open_database
    from service.funds import batches
    from service.migrate import migrate
    from tests.bench import generate

    # Start-up done: as `changxiao serve` does once its app is built (create_app).
    gc.freeze()
    result: dict[str, Any] = {"households": args.households, "communities": args.communities}
    started = time.perf_counter()
    await migrate()
    result["migrate_s"] = time.perf_counter() - started
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        await conn.execute("SET synchronous_commit = off")  # generation only
        started = time.perf_counter()
        district, area = await generate.add_district(conn, code="BENCH", name="基准市")
        communities = await generate.add_communities(
            conn,
            district_id=district,
            area_id=area,
            communities=args.communities,
            households=args.households,
            code_prefix="B",
        )
        result["generate_registry_s"] = time.perf_counter() - started
        started = time.perf_counter()
        posted = await generate.post_first_deposits(conn, communities)
        result["generate_first_deposits_s"] = time.perf_counter() - started
        assert posted == args.households
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("SET synchronous_commit = on")
        result["database_size"] = await conn.fetchval(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        )

        # Each community's bank interest: 0.35% of its fund, to the fen.
        await conn.execute("DROP TABLE IF EXISTS bench_amount")
        await conn.execute(
            "CREATE TEMP TABLE bench_amount AS SELECT community, (-principal_fen * 35) / 10000"
            " AS amount_fen FROM fund_account WHERE kind = 'custody'"
        )
        await conn.execute("ALTER TABLE bench_amount ADD PRIMARY KEY (community)")
        amounts = {
            r["community"]: int(r["amount_fen"])
            for r in await conn.fetch("SELECT community, amount_fen FROM bench_amount")
        }
        # What the hand-written SQL computes on these balances, to check the service.
        await conn.execute("DROP TABLE IF EXISTS bench_expect")
        await conn.execute(f"CREATE TEMP TABLE bench_expect AS {shares_sql(str(YEAR))}")

        caller = bureau_caller(district)
        await open_database()
        try:
            await settle(conn)
            started = time.perf_counter()
            cpu = time.process_time()
            out = await batches.allocate_interest_for_district(caller, str(YEAR), amounts)
            result["service_s"] = time.perf_counter() - started
            result["service_cpu_s"] = time.process_time() - cpu
        finally:
            await close_database()
        result["service_entries"] = len(out)
        result["service_households"] = sum(o.households for o in out)
        await conn.execute("ANALYZE fund_line")
        await conn.execute("ANALYZE fund_entry")
        result["mismatched_shares"] = int(
            await conn.fetchval(
                "SELECT COUNT(*) FROM bench_expect AS x FULL JOIN (SELECT l.account,"
                " l.interest_delta FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
                " WHERE e.kind = 'interest' AND e.period = $1 AND l.household IS NOT NULL)"
                " AS y ON y.account = x.account"
                " WHERE COALESCE(x.share, 0) IS DISTINCT FROM COALESCE(y.interest_delta, 0)",
                str(YEAR),
            )
        )

        await settle(conn)
        started = time.perf_counter()
        lines = await hand_written_allocation(conn, str(YEAR + 1), caller.id)
        result["hand_s"] = time.perf_counter() - started
        result["hand_lines"] = lines
        await conn.execute("ANALYZE fund_line")
        await conn.execute("ANALYZE fund_entry")
        result["hand_sums_exact"] = bool(
            await conn.fetchval(
                "SELECT bool_and(s = e.amount_fen) FROM (SELECT entry, SUM(interest_delta) AS s"
                " FROM fund_line WHERE household IS NOT NULL GROUP BY entry) AS t"
                " JOIN fund_entry AS e ON e.id = t.entry WHERE e.kind = 'interest'"
            )
        )
        # More rounds, service and hand-written alternating, each on a new period: a
        # one-second batch varies by a tenth of a second from run to run on this machine.
        service_runs, hand_runs = [result["service_s"]], [result["hand_s"]]
        bare_runs = [await bare_pass(conn, 0)]
        for round_no in range(1, args.rounds):
            await open_database()
            try:
                await settle(conn)
                started = time.perf_counter()
                await batches.allocate_interest_for_district(
                    caller, str(YEAR + 10 + round_no), amounts
                )
                service_runs.append(time.perf_counter() - started)
            finally:
                await close_database()
            await settle(conn)
            started = time.perf_counter()
            await hand_written_allocation(conn, str(YEAR + 40 + round_no), caller.id)
            hand_runs.append(time.perf_counter() - started)
            bare_runs.append(await bare_pass(conn, round_no))
        result["service_runs"], result["hand_runs"] = service_runs, hand_runs
        result["bare_runs"] = bare_runs
        result["bare_s"] = statistics.median(bare_runs)
        result["service_s"] = statistics.median(service_runs)
        result["hand_s"] = statistics.median(hand_runs)
        if args.profile:
            # Not timed: the same batch path again (next period) under cProfile.
            import cProfile

            profiler = cProfile.Profile()
            await open_database()
            try:
                started = time.perf_counter()
                profiler.enable()
                await batches.allocate_interest_for_district(caller, str(YEAR + 70), amounts)
                profiler.disable()
                result["profiled_s"] = time.perf_counter() - started
            finally:
                await close_database()
            profiler.dump_stats(args.profile)
    finally:
        await conn.close()
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, required=True)
    parser.add_argument("--communities", type=int, required=True)
    parser.add_argument("--json", required=True, help="where to write the results")
    parser.add_argument("--profile", help="also profile the batch path once, stats to this file")
    parser.add_argument(
        "--rounds", type=int, default=1, help="timed runs of each (the median is reported)"
    )
    arguments = parser.parse_args()
    numbers = asyncio.run(main(arguments))
    with open(arguments.json, "w") as handle:
        json.dump(numbers, handle, default=str)
