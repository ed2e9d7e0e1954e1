"""Pure rules of property service contracts and service records (no I/O)."""

from __future__ import annotations

import os
from datetime import date, timedelta

MODES = ("market", "guaranteed", "self")
# handover (交接): the term is over but the successor has not taken over (yet), or the
# hand-over record is not confirmed by both sides; the old company keeps serving and is
# paid until its successor's contract starts (Civil Code arts. 949-950).
STATUSES = ("draft", "live", "handover", "ended")
# The statuses in which the contract's organisation still answers for the community.
SERVING = ("live", "handover")

# The owners' common decision on the property's manager (Civil Code art. 278 para 1
# item 4): choosing a company (or self-management), renewing, dismissing; or, where the
# owners cannot decide, the bureau's placement under 社区保障性物业 (no vote).
DECISION_KINDS = ("choose", "renew", "dismiss", "placement")
VOTED_KINDS = ("choose", "renew", "dismiss")
DECISION_STATUSES = ("voting", "passed", "rejected", "placed")
# Sides of a hand-over record: the outgoing organisation and the incoming side (the
# owners' committee or the successor).
SIDES = ("outgoing", "incoming")

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


def notice_end(notice_given_on: date, days: int) -> date:
    """The last day of a no-fixed-term contract ended on written notice: the notice day
    is not counted (Civil Code art. 201), the period runs ``days`` days from the next
    day, so service ends on notice + ``days`` (art. 948 para 2: 60 days at least)."""
    if days < NOTICE_FLOOR_DAYS:
        raise ValueError(f"notice period below the statutory {NOTICE_FLOOR_DAYS} days")
    return notice_given_on + timedelta(days=days)


def termination_problem(role: str, no_fixed_term: bool, notice_pending: bool) -> str | None:
    """Why this party may not give notice of ending the contract now, or None.

    Art. 948 para 2: either side ends a no-fixed-term contract on written notice. A
    company cannot end a fixed-term contract early (it may only decline to renew, art.
    947). One notice at a time: a second one while the first runs is refused."""
    if notice_pending:
        return "已有解除通知正在生效期内，不能重复通知。"
    if role == "company" and not no_fixed_term:
        return (
            "固定期限合同期内，物业服务企业不能单方解除；"
            "不续约须在期满前 90 日书面通知（民法典第九百四十七条）。"
        )
    return None


def handover_end(term_end: date, successor_starts_on: date) -> date:
    """The old company's last day of service when its successor's contract starts: the
    day before that start, never before the old term's own end (art. 950)."""
    return max(term_end, successor_starts_on - timedelta(days=1))


def handover_may_close(successor_started: bool, outgoing: bool, incoming: bool) -> bool:
    """A contract in hand-over ends once its successor's contract has started and both
    sides confirmed the hand-over record (arts. 949-950)."""
    return successor_started and outgoing and incoming


def may_continue_without_fixed_term(status: str, ends_on: date | None, today: date) -> bool:
    """Art. 948: a live fixed-term contract whose term has run out may continue with
    no fixed term when the owners decided nothing and the company keeps serving."""
    return status == "live" and ends_on is not None and ends_on < today
