"""The APScheduler (3.x) instance, started in the app's lifespan, never at import.

Every job runs through ``jobs.runs.run_once`` with a slot derived from its schedule, so
several processes on one database run each slot once.
"""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from jobs.contract_terms import JOB as CONTRACT_TERMS
from jobs.contract_terms import sweep_terms
from jobs.repair_escalation import JOB as ESCALATION
from jobs.repair_escalation import escalate_overdue
from jobs.runs import run_once
from service.clock import DISTRICT_ZONE, now


async def escalation_tick() -> None:
    moment = now()
    slot = moment.strftime("%Y-%m-%dT%H:") + f"{moment.minute // 15 * 15:02d}"
    await run_once(ESCALATION, slot, escalate_overdue, moment)


async def contract_terms_tick() -> None:
    moment = now()
    await run_once(CONTRACT_TERMS, moment.date().isoformat(), sweep_terms, moment)


def build_scheduler() -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=DISTRICT_ZONE)
    scheduler.add_job(
        escalation_tick,
        CronTrigger(minute="*/15", timezone=DISTRICT_ZONE),
        id=ESCALATION,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        contract_terms_tick,
        CronTrigger(hour=0, minute=10, timezone=DISTRICT_ZONE),
        id=CONTRACT_TERMS,
        coalesce=True,
        max_instances=1,
    )
    return scheduler
