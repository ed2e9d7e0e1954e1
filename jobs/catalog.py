"""Every scheduled job: its name, what it does (in Chinese, for ``jobs list`` and the
bureau), its default schedule (cron, district's zone; ``CHANGXIAO_JOB_SCHEDULES``
overrides it) and its work. Modules named in ``CHANGXIAO_JOB_MODULES`` (comma-separated,
each exposing ``JOBS``) add jobs of a deployment's own.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from functools import lru_cache

from jobs.runs import Work
from service.config import get_settings


@dataclass(frozen=True)
class Job:
    name: str
    title: str
    schedule: str
    work: Work


def _builtin() -> list[Job]:
    from jobs import contract_terms, notice_jobs, repair_escalation

    return [
        Job(
            contract_terms.JOB,
            "合同期满处理（民法典第947-948条）",
            "10 0 * * *",
            contract_terms.sweep_terms,
        ),
        Job(
            repair_escalation.JOB,
            "超期维修升级督办",
            "*/15 * * * *",
            repair_escalation.escalate_overdue,
        ),
        *notice_jobs.JOBS,
    ]


@lru_cache(maxsize=1)
def all_jobs() -> tuple[Job, ...]:
    jobs = _builtin()
    for module in filter(
        None, (m.strip() for m in os.environ.get("CHANGXIAO_JOB_MODULES", "").split(","))
    ):
        jobs.extend(importlib.import_module(module).JOBS)
    return tuple(jobs)


def job_named(name: str) -> Job | None:
    return next((job for job in all_jobs() if job.name == name), None)


def schedule_of(job: Job) -> str:
    """The job's cron expression: the setting if one names it, else its default."""
    return get_settings().job_schedules.get(job.name, job.schedule)
