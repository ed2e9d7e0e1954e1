"""Exactly-once runs: a job claims its time slot with a unique row before doing anything."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from jobs.tables import JobRun
from service.clock import now
from service.db import fetch, is_integrity_error

logger = logging.getLogger("changxiao.jobs")


async def claim(job: str, slot: str) -> int | None:
    """Claim ``(job, slot)``; the claim's id, or None when another process has it."""
    try:
        rows = await JobRun.insert(JobRun(job=job, slot=slot, started_at=now()))
    except Exception as exc:
        if is_integrity_error(exc):
            return None
        raise
    return int(rows[0]["id"])


async def run_once(
    job: str, slot: str, work: Callable[[datetime], Awaitable[str]], at: datetime | None = None
) -> str | None:
    """Run ``work`` for this slot unless some process already claimed it; record the outcome."""
    claim_id = await claim(job, slot)
    if claim_id is None:
        return None
    moment = at or now()
    try:
        outcome = await work(moment)
    except Exception as exc:
        logger.exception("job %s (%s) failed", job, slot)
        outcome = f"failed: {exc}"[:400]
    await fetch(
        "UPDATE job_run SET finished_at = {}, outcome = {} WHERE id = {}",
        now(),
        outcome[:400],
        claim_id,
    )
    return outcome
