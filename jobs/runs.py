"""Exactly-once runs: a job claims its period with a unique row before doing anything.

A claim is a ``job_run`` row ``running`` under a lease that the running process renews.
The row is inserted (the unique key on ``(job, slot)`` lets one process win) or, when the
period's earlier attempt failed or its process died (lease expired), taken over by a
conditional UPDATE that one process alone can satisfy. Attempts are bounded
(``CHANGXIAO_JOB_MAX_ATTEMPTS``) with exponential backoff. Every job is idempotent by
construction as well (notices carry idempotency keys), so a retry never doubles anything.
Each step logs one JSON line on the ``changxiao.jobs`` logger.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from service.clock import now
from service.config import get_settings
from service.db import fetch, is_integrity_error, transaction

logger = logging.getLogger("changxiao.jobs")

Outcome = Mapping[str, int] | str


@dataclass(frozen=True)
class Period:
    """What a job computes for: its name, the period's name and instant."""

    job: str
    name: str
    at: datetime
    attempt: int = 1


Work = Callable[[Period], Awaitable[Outcome]]


@dataclass(frozen=True)
class Claim:
    id: int
    attempt: int
    at: datetime


def log_event(event: str, **fields: Any) -> None:
    """One structured line: ``{"event": ..., "job": ..., ...}``."""
    record = {"event": event, "at": now().isoformat(), "worker": _worker(), **fields}
    logger.info(json.dumps(record, ensure_ascii=False, default=str))


def _worker() -> str:
    # The pid at call time: a forked worker names itself, not its parent.
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


async def claim(
    job: str, slot: str, at: datetime | None = None, cause: str = "schedule", again: bool = False
) -> Claim | None:
    """Claim ``(job, slot)`` for this process: insert it, or take over a failed or
    abandoned attempt that is due. None when another process has it, it is done, or its
    attempts are spent."""
    settings = get_settings()
    moment = now()
    lease = moment + timedelta(seconds=settings.job_lease_seconds)
    run_at = at or moment
    try:
        async with transaction():
            rows = await fetch(
                "INSERT INTO job_run (job, slot, started_at, finished_at, outcome, status,"
                " attempt, lease_until, next_retry_at, run_at, worker, cause, error, counts)"
                " VALUES ({}, {}, {}, NULL, '', 'running', 1, {}, NULL, {}, {}, {}, '', {})"
                " RETURNING id",
                job,
                slot,
                moment,
                lease,
                run_at,
                _worker(),
                cause,
                # A parameter, not a literal: '{}' in the text would be read as a placeholder.
                "{}",
            )
        return Claim(int(rows[0]["id"]), 1, run_at)
    except Exception as exc:
        if not is_integrity_error(exc):
            raise
    return await take_over(job, slot, cause, again)


async def take_over(job: str, slot: str, cause: str, again: bool = False) -> Claim | None:
    """Start the next attempt of a failed run whose backoff has passed, or of a running
    one whose lease expired (its process died); one process wins the UPDATE. ``again``
    (a person's rerun): any failed run, whatever its backoff and attempts."""
    settings = get_settings()
    moment = now()
    if again:
        async with transaction():
            rows = await fetch(
                "UPDATE job_run SET status = 'running', attempt = attempt + 1, started_at = {},"
                " finished_at = NULL, lease_until = {}, next_retry_at = NULL, worker = {},"
                " cause = {}, error = '' WHERE job = {} AND slot = {} AND status = 'failed'"
                " RETURNING id, attempt, run_at",
                moment,
                moment + timedelta(seconds=settings.job_lease_seconds),
                _worker(),
                cause,
                job,
                slot,
            )
        if rows:
            row = rows[0]
            return Claim(int(row["id"]), int(row["attempt"]), _instant(row["run_at"]) or moment)
    async with transaction():
        rows = await fetch(
            "UPDATE job_run SET status = 'running', attempt = attempt + 1, started_at = {},"
            " finished_at = NULL, lease_until = {}, next_retry_at = NULL, worker = {},"
            " cause = {}, error = '' WHERE job = {} AND slot = {} AND attempt < {}"
            " AND ((status = 'failed' AND next_retry_at IS NOT NULL AND next_retry_at <= {})"
            " OR (status = 'running' AND lease_until < {})) RETURNING id, attempt, run_at",
            moment,
            moment + timedelta(seconds=settings.job_lease_seconds),
            _worker(),
            cause,
            job,
            slot,
            settings.job_max_attempts,
            moment,
            moment,
        )
    if not rows:
        return None
    row = rows[0]
    return Claim(int(row["id"]), int(row["attempt"]), _instant(row["run_at"]) or moment)


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def backoff(attempt: int) -> timedelta:
    """Wait before the attempt after ``attempt``: base × 2^(attempt-1) seconds."""
    return timedelta(seconds=get_settings().job_retry_seconds * 2 ** max(0, attempt - 1))


def _summary(outcome: Outcome) -> tuple[str, dict[str, int]]:
    if isinstance(outcome, str):
        return outcome[:400], {}
    counts = {str(k): int(v) for k, v in outcome.items()}
    return " ".join(f"{k}={v}" for k, v in counts.items())[:400], counts


async def _renew(claim_id: int, attempt: int) -> None:
    """Keep the lease while the job runs (every third of it)."""
    seconds = get_settings().job_lease_seconds
    while True:
        await asyncio.sleep(max(0.2, seconds / 3))
        try:
            await fetch(
                "UPDATE job_run SET lease_until = {} WHERE id = {} AND attempt = {}"
                " AND status = 'running'",
                now() + timedelta(seconds=seconds),
                claim_id,
                attempt,
            )
        except Exception:  # a missed renewal is retried at the next beat
            logger.exception("lease renewal failed")


async def execute(
    job: str,
    slot: str,
    work: Work,
    at: datetime | None = None,
    cause: str = "schedule",
    again: bool = False,
) -> str | None:
    """Run ``work`` for this period unless another process has it; record the outcome.
    Returns the outcome line, or None when this process did not run it. ``again``: also
    rerun a period that failed for good (a person's decision, ``jobs run --again``)."""
    taken = await claim(job, slot, at, cause, again)
    if taken is None:
        return None
    log_event("job.start", job=job, period=slot, attempt=taken.attempt, cause=cause)
    began = time.monotonic()
    beat = asyncio.create_task(_renew(taken.id, taken.attempt))
    try:
        outcome = await work(Period(job, slot, taken.at, taken.attempt))
    except Exception as exc:
        text = f"failed: {exc}"[:400]
        last = taken.attempt >= get_settings().job_max_attempts
        retry_at = None if last else now() + backoff(taken.attempt)
        await fetch(
            "UPDATE job_run SET status = 'failed', finished_at = {}, outcome = {}, error = {},"
            " next_retry_at = {}, lease_until = NULL WHERE id = {} AND attempt = {}",
            now(),
            text,
            f"{type(exc).__name__}: {exc}"[:4000],
            retry_at,
            taken.id,
            taken.attempt,
        )
        log_event(
            "job.error",
            job=job,
            period=slot,
            attempt=taken.attempt,
            error=f"{type(exc).__name__}: {exc}",
            retry_at=retry_at,
            seconds=round(time.monotonic() - began, 3),
        )
        logger.debug("job %s (%s) failed", job, slot, exc_info=True)
        return text
    finally:
        beat.cancel()
    line, counts = _summary(outcome)
    await fetch(
        "UPDATE job_run SET status = 'done', finished_at = {}, outcome = {}, counts = {},"
        " lease_until = NULL WHERE id = {} AND attempt = {}",
        now(),
        line,
        json.dumps(counts),
        taken.id,
        taken.attempt,
    )
    log_event(
        "job.end",
        job=job,
        period=slot,
        attempt=taken.attempt,
        counts=counts,
        outcome=line,
        seconds=round(time.monotonic() - began, 3),
    )
    return line


async def run_once(
    job: str, slot: str, work: Work, at: datetime | None = None, cause: str = "schedule"
) -> str | None:
    """``execute`` under its older name."""
    return await execute(job, slot, work, at, cause)


async def mark_abandoned() -> int:
    """Runs whose lease expired (their process died) show as failed, due for a retry
    after the backoff while attempts remain."""
    settings = get_settings()
    moment = now()
    rows = await fetch(
        "SELECT id, attempt FROM job_run WHERE status = 'running' AND lease_until < {}", moment
    )
    for row in rows:
        attempt = int(row["attempt"])
        retry_at = moment + backoff(attempt) if attempt < settings.job_max_attempts else None
        updated = await fetch(
            "UPDATE job_run SET status = 'failed', finished_at = {}, outcome = {},"
            " error = {}, next_retry_at = {}, lease_until = NULL"
            " WHERE id = {} AND attempt = {} AND status = 'running' AND lease_until < {}"
            " RETURNING job, slot",
            moment,
            "failed: 进程中断（租约过期）",
            "abandoned: the lease expired before the run finished",
            retry_at,
            row["id"],
            attempt,
            moment,
        )
        for gone in updated:
            log_event("job.abandoned", job=gone["job"], period=gone["slot"], attempt=attempt)
    return len(rows)


async def due_retries() -> list[dict[str, Any]]:
    """Failed runs whose backoff has passed and attempts remain, oldest period first."""
    return await fetch(
        "SELECT job, slot, run_at, attempt FROM job_run WHERE status = 'failed'"
        " AND next_retry_at IS NOT NULL AND next_retry_at <= {} AND attempt < {}"
        " ORDER BY run_at, job",
        now(),
        get_settings().job_max_attempts,
    )
