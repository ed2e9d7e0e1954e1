"""Pure rules of property service contracts and service records (no I/O)."""

from __future__ import annotations

import os
from datetime import date, timedelta

MODES = ("market", "guaranteed", "self")
STATUSES = ("draft", "live", "ended")

# What a company records; each feeds one item of the default score sheet.
RECORD_CATEGORIES = {
    "cleaning": "保洁",
    "patrol": "秩序巡查",
    "greening": "绿化养护",
    "facility_check": "共用设施检查",
    "repair": "维修",
}

# Civil Code art. 946 and 948: 60 days' written notice is the statutory floor.
NOTICE_FLOOR_DAYS = 60
# Civil Code art. 947: a company that will not renew says so 90 days before the term ends.
NON_RENEWAL_NOTICE_DAYS = 90
MAX_BATCH = 1000


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def notice_days() -> int:
    """Notice period for ending a contract: ``CHANGXIAO_CONTRACT_NOTICE_DAYS``, never below
    the 60-day floor of Civil Code arts. 946/948 (Henan's 2017 regulation asks 3 months)."""
    return max(NOTICE_FLOOR_DAYS, _env_int("CHANGXIAO_CONTRACT_NOTICE_DAYS", NOTICE_FLOOR_DAYS))


def backdate_days() -> int:
    """How many days back a service record may be dated: ``CHANGXIAO_RECORD_BACKDATE_DAYS``."""
    return max(0, _env_int("CHANGXIAO_RECORD_BACKDATE_DAYS", 7))


def terms_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """True when two inclusive terms share a day; an open end (no fixed term) never ends."""
    a_before_b_ends = b_end is None or a_start <= b_end
    b_before_a_ends = a_end is None or b_start <= a_end
    return a_before_b_ends and b_before_a_ends


def notice_is_sufficient(notice_given_on: date, ends_on: date, days: int) -> bool:
    """Written notice given at least ``days`` days before the last day of service
    (Civil Code arts. 946, 948)."""
    return ends_on - notice_given_on >= timedelta(days=days)


def record_date_problem(
    performed_on: date,
    today: date,
    max_back_days: int,
    term_start: date,
    term_end: date | None,
) -> str | None:
    """Why a service record cannot carry this date, or None when it can."""
    if performed_on > today:
        return "不能晚于今天"
    if performed_on < today - timedelta(days=max_back_days):
        return f"只能补录最近 {max_back_days} 天内的记录"
    if performed_on < term_start or (term_end is not None and performed_on > term_end):
        return "不在合同期限内"
    return None


def may_continue_without_fixed_term(status: str, ends_on: date | None, today: date) -> bool:
    """Art. 948: a live fixed-term contract whose term has run out may continue with
    no fixed term when the owners decided nothing and the company keeps serving."""
    return status == "live" and ends_on is not None and ends_on < today
