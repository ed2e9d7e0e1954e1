"""The APScheduler (3.x) instance: in the app's lifespan when ``CHANGXIAO_SCHEDULER`` is
on, or alone in ``changxiao worker``; never started at import.

Every job runs through ``jobs.runs.execute`` for the period its schedule just fired, so
several processes on one database run each period once. On start the scheduler catches
up the periods missed while nothing ran (oldest first), and every
``CHANGXIAO_JOB_POLL_SECONDS`` it takes over failed or abandoned runs that are due.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from jobs.catalog import Job, all_jobs, job_named, schedule_of
from jobs.periods import cron_trigger, latest_fire, period_instant, period_name, recent_fires
from jobs.runs import due_retries, execute, log_event, logger, mark_abandoned
from service.clock import DISTRICT_ZONE, now
from service.config import get_settings
from service.db import fetch
from service.notices.outbox import send_due


async def run_period(job: Job, at: datetime, cause: str, again: bool = False) -> str | None:
    """Run ``job`` for the period fired at ``at`` unless another process has it."""
    return await execute(job.name, period_name(schedule_of(job), at), job.work, at, cause, again)


async def tick(name: str) -> None:
    """A scheduled fire: the period that has just begun."""
    job = job_named(name)
    if job is None:
        return
    fired = latest_fire(schedule_of(job), now())
    if fired is not None:
        await run_period(job, fired, "schedule")


async def _last_run_at(job: Job) -> datetime | None:
    rows = await fetch("SELECT MAX(run_at) AS last FROM job_run WHERE job = {}", job.name)
    value = rows[0]["last"] if rows else None
    if value is None or isinstance(value, datetime):
        return value
    # SQLite hands an aggregate back as the stored text (UTC, no offset).
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def missed_periods(job: Job, moment: datetime | None = None) -> list[datetime]:
    """Fire times of ``job`` not yet claimed up to ``moment``: every one since its last
    run (at most ``CHANGXIAO_JOB_CATCH_UP_MAX``, the newest), or only the latest for a
    job that never ran."""
    moment = moment or now()
    expression = schedule_of(job)
    last = await _last_run_at(job)
    if last is None:
        if not job.first_catch_up:
            return []
        latest = latest_fire(expression, moment)
        fires = [latest] if latest else []
    else:
        fires = recent_fires(expression, last, moment, get_settings().job_catch_up_max)
    if not fires:
        return []
    names = {period_name(expression, fire) for fire in fires}
    claimed = await fetch(
        "SELECT slot FROM job_run WHERE job = {} AND slot >= {}", job.name, min(names)
    )
    taken = {str(r["slot"]) for r in claimed}
    return [fire for fire in fires if period_name(expression, fire) not in taken]


async def catch_up(moment: datetime | None = None, jobs: Sequence[Job] | None = None) -> int:
    """Run every missed period of every job (or of ``jobs``), oldest first; returns how
    many ran here."""
    await retry_due(jobs)
    chosen = all_jobs() if jobs is None else jobs
    pending = [(fire, job) for job in chosen for fire in await missed_periods(job, moment)]
    pending.sort(key=lambda item: (item[0], item[1].name))
    if pending:
        log_event("jobs.catch_up", periods=len(pending))
    ran = 0
    for fire, job in pending:
        if await run_period(job, fire, "catch_up") is not None:
            ran += 1
    return ran


async def retry_due(jobs: Sequence[Job] | None = None) -> int:
    """Mark abandoned runs failed, then retry every failed run that is due."""
    await mark_abandoned()
    known = {job.name: job for job in (all_jobs() if jobs is None else jobs)}
    ran = 0
    for row in await due_retries():
        job = known.get(str(row["job"]))
        if job is None:
            continue
        at = row["run_at"]
        fire = at if isinstance(at, datetime) else period_instant(str(row["slot"]))
        if await execute(job.name, str(row["slot"]), job.work, fire, "retry") is not None:
            ran += 1
    return ran


async def _safely(name: str) -> None:
    try:
        if name == "catch-up":
            await catch_up()
        elif name == "outbox":
            await send_due()
        else:
            await retry_due()
    except Exception:
        logger.exception("jobs: %s failed", name)


def configure_logging() -> None:
    """JSON lines of the job runs to standard error unless logging is set up already."""
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def build_scheduler(catch_up_on_start: bool = True) -> AsyncIOScheduler:
    """One APScheduler job per catalogue entry on its cron schedule, the retry poll, and
    (unless asked not to) a catch-up right after start."""
    scheduler = AsyncIOScheduler(timezone=DISTRICT_ZONE)
    for job in all_jobs():
        scheduler.add_job(
            tick,
            cron_trigger(schedule_of(job)),
            args=[job.name],
            id=job.name,
            name=job.title,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    scheduler.add_job(
        _safely,
        IntervalTrigger(seconds=get_settings().job_poll_seconds, timezone=DISTRICT_ZONE),
        args=["retries"],
        id="retries",
        name="retry failed and abandoned runs",
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        _safely,
        IntervalTrigger(seconds=get_settings().job_poll_seconds, timezone=DISTRICT_ZONE),
        args=["outbox"],
        id="outbox",
        name="send the SMS and e-mail outbox",
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
    )
    if catch_up_on_start:
        # No grace limit: a slow start (imports, a busy machine) must not skip it.
        scheduler.add_job(
            _safely,
            args=["catch-up"],
            id="catch-up",
            name="catch up missed periods",
            max_instances=1,
            misfire_grace_time=None,
        )
    return scheduler
