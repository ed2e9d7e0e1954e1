"""``changxiao jobs list|run|history`` and ``changxiao worker``."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from jobs.catalog import all_jobs, job_named, schedule_of
from jobs.periods import BadPeriod, latest_fire, next_fire, resolve_period
from jobs.scheduler import build_scheduler, configure_logging, run_period
from service.clock import DISTRICT_ZONE, now
from service.db import close_database, fetch, open_database


def _local(value: Any) -> str:
    if value is None:
        return "-"
    if hasattr(value, "astimezone"):
        return str(value.astimezone(DISTRICT_ZONE).strftime("%Y-%m-%d %H:%M:%S"))
    return str(value)


async def list_jobs() -> int:
    """Name, schedule, last run and next run of every job."""
    rows = await fetch(
        "SELECT r.job, r.slot, r.status, r.attempt FROM job_run AS r"
        " WHERE r.id = (SELECT MAX(x.id) FROM job_run AS x WHERE x.job = r.job"
        " AND x.run_at = (SELECT MAX(y.run_at) FROM job_run AS y WHERE y.job = r.job))"
    )
    last = {str(r["job"]): r for r in rows}
    moment = now()
    print(f"{'job':<24} {'schedule':<16} {'last run':<34} next run")
    for job in all_jobs():
        expression = schedule_of(job)
        row = last.get(job.name)
        seen = f"{row['slot']} {row['status']} (#{row['attempt']})" if row else "-"
        upcoming = next_fire(expression, moment)
        print(f"{job.name:<24} {expression:<16} {seen:<34} {_local(upcoming)}  {job.title}")
    return 0


async def run_job(name: str, period: str | None, again: bool = False) -> int:
    """Run one period of a job, claiming it exactly as the scheduler does."""
    job = job_named(name)
    if job is None:
        print(f"error: no job named {name!r} (see `changxiao jobs list`)", file=sys.stderr)
        return 2
    expression = schedule_of(job)
    try:
        fire = resolve_period(expression, period) if period else latest_fire(expression, now())
    except BadPeriod as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if fire is None:
        print(f"error: {name} has no period yet", file=sys.stderr)
        return 2
    outcome = await run_period(job, fire, "manual", again)
    if outcome is None:
        print(f"{name}: period already claimed by another run (see `changxiao jobs history`)")
        return 0
    print(f"{name}: {outcome}")
    return 1 if outcome.startswith("failed:") else 0


async def history(name: str | None, limit: int) -> int:
    """Runs, newest first."""
    rows = await fetch(
        "SELECT job, slot, status, attempt, cause, started_at, finished_at, worker, outcome"
        " FROM job_run" + (" WHERE job = {}" if name else "") + " ORDER BY run_at DESC, id DESC"
        " LIMIT {}",
        *([name] if name else []),
        limit,
    )
    print(
        f"{'job':<24} {'period':<20} {'status':<8} {'try':<4} {'cause':<9} "
        f"{'started':<20} {'finished':<20} {'worker':<24} outcome"
    )
    for r in rows:
        print(
            f"{r['job']:<24} {r['slot']:<20} {r['status']:<8} {r['attempt']:<4} "
            f"{r['cause']:<9} {_local(r['started_at']):<20} {_local(r['finished_at']):<20} "
            f"{r['worker']:<24} {r['outcome']}"
        )
    return 0


async def with_database(work: Any) -> int:
    configure_logging()
    await open_database()
    try:
        return int(await work)
    finally:
        await close_database()


async def worker() -> int:
    """The scheduler alone, until SIGTERM or SIGINT."""
    configure_logging()
    await open_database()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    scheduler = build_scheduler()
    scheduler.start()
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        await close_database()
    return 0
