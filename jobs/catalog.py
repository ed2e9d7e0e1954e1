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
    # A job that never ran runs its latest period on the first start; a heavy one that
    # is not needed at once (last year's statements) waits for its schedule instead.
    first_catch_up: bool = True


def _builtin() -> list[Job]:
    from jobs import (
        contract_terms,
        deadlines,
        fund_notices,
        fund_statements,
        ledger_check,
        rating_reminders,
        repair_escalation,
        vote_closings,
    )

    return [
        Job(
            contract_terms.JOB,
            "合同期满处理：有通知的终止，无通知的成为不定期合同（民法典第947-948条）",
            "10 0 * * *",
            contract_terms.sweep_terms,
        ),
        Job(
            repair_escalation.JOB,
            "超期维修升级至区住建局督办，通知督办方与责任方",
            "*/15 * * * *",
            repair_escalation.escalate_overdue,
        ),
        Job(
            fund_notices.REPLENISHMENT,
            "每月：余额不足首期交存额30%的房屋，通知业主与业委会应续交金额（第17条）",
            "0 9 1 * *",
            fund_notices.replenishment_notices,
        ),
        Job(
            fund_notices.FIRST_DEPOSIT,
            "每月：未交首期维修资金的房屋，提醒业主与业委会（第7条）",
            "0 9 1 * *",
            fund_notices.first_deposit_reminders,
        ),
        Job(
            deadlines.WARRANTY,
            "每日：保修期届满前90天、30天，通知住建局、业委会、物业企业、施工单位",
            "30 8 * * *",
            deadlines.warranty_ends,
        ),
        Job(
            deadlines.CONTRACTS,
            "每日：物业服务合同到期前90天、60天提醒，终止后提醒交接（第946-949条）",
            "0 8 * * *",
            deadlines.contract_ends,
        ),
        Job(
            rating_reminders.JOB,
            "每日：评价期开始、即将结束、已结束待定稿，申诉待答复的提醒",
            "15 8 * * *",
            rating_reminders.rating_reminders,
        ),
        Job(
            fund_statements.JOB,
            "每年1月：上年度维修资金公布表发送业委会与业主（第33条，附PDF）",
            "0 6 2 1 *",
            fund_statements.publish_statements,
            first_catch_up=False,
        ),
        Job(
            vote_closings.JOB,
            "每日：表决期届满的维修资金使用表决自动截止并公布结果，告知业委会与住建局",
            "5 0 * * *",
            vote_closings.close_due_votes,
        ),
        Job(
            ledger_check.JOB,
            "每夜：校验每个小区的维修资金账簿（余额、日记账、哈希链），记录链头，不一致即告知住建局",
            "30 2 * * *",
            ledger_check.verify_ledgers,
            first_catch_up=False,
        ),
    ]


@lru_cache(maxsize=1)
def all_jobs() -> tuple[Job, ...]:
    """The built-in jobs and those of ``CHANGXIAO_JOB_MODULES``, less those named in
    ``CHANGXIAO_JOBS_DISABLED``."""
    jobs = _builtin()
    for module in _names(os.environ.get("CHANGXIAO_JOB_MODULES", "")):
        jobs.extend(importlib.import_module(module).JOBS)
    disabled = set(_names(get_settings().jobs_disabled))
    return tuple(job for job in jobs if job.name not in disabled)


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def job_named(name: str) -> Job | None:
    return next((job for job in all_jobs() if job.name == name), None)


def schedule_of(job: Job) -> str:
    """The job's cron expression: the setting if one names it, else its default."""
    return get_settings().job_schedules.get(job.name, job.schedule)
