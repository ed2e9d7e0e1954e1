"""Pure rules of owners' complaints (投诉) against the community's property company
(no I/O): what a complaint is about, its states, the company's answer window, and what
a rating period counts (DOMAIN.md "Quality rating": complaints by owners or the
committee, with the company's answer and the owner's confirmation, are evidence).

DOMAIN.md names no answer window; ours is 7 calendar days from filing
(``CHANGXIAO_COMPLAINT_ANSWER_DAYS``), as the district's appeal window is 7 days.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# What the complaint is about; the first five follow the items of the score sheet.
CATEGORIES = (
    "general",  # 综合管理（制度、公示、人员）
    "security",  # 秩序维护与安全
    "cleaning",  # 环境卫生
    "greening",  # 绿化养护
    "facilities",  # 共用设施设备维护
    "repair",  # 报修处理
    "fees",  # 收费
    "attitude",  # 服务态度
    "other",
)
CATEGORY_NAMES = {
    "general": "综合管理",
    "security": "秩序维护与安全",
    "cleaning": "环境卫生",
    "greening": "绿化养护",
    "facilities": "共用设施设备",
    "repair": "报修处理",
    "fees": "收费",
    "attitude": "服务态度",
    "other": "其他",
}

# Where: a household's own part, a building's common part, the community's common part.
HOUSEHOLD, BUILDING, COMMUNITY = "household", "building", "community"
PLACES = (HOUSEHOLD, BUILDING, COMMUNITY)

FILED, ANSWERED, RESOLVED, DISPUTED = "filed", "answered", "resolved", "disputed"
STATUSES = (FILED, ANSWERED, RESOLVED, DISPUTED)
OPEN_STATUSES = frozenset({FILED, ANSWERED, DISPUTED})
STATUS_NAMES = {
    FILED: "已受理待答复",
    ANSWERED: "已答复待确认",
    RESOLVED: "已解决",
    DISPUTED: "有异议",
}

# Parties of a complaint.
COMPANY = "company"  # the property company complained about
COMPLAINANT = "complainant"  # the owner who filed it, or its committee

# (status, action) → (next status, party allowed). The company answers a new complaint
# and answers again one the complainant disputed; the complainant confirms an answer as
# resolved or disputes it. A resolved complaint is closed.
TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (FILED, "answer"): (ANSWERED, COMPANY),
    (DISPUTED, "answer"): (ANSWERED, COMPANY),
    (ANSWERED, "resolve"): (RESOLVED, COMPLAINANT),
    (ANSWERED, "dispute"): (DISPUTED, COMPLAINANT),
}


class IllegalStep(ValueError):
    """The step does not apply to a complaint in this status."""


def next_status(status: str, action: str) -> str:
    """The status after ``action``; ``IllegalStep`` when it does not apply now."""
    step = TRANSITIONS.get((status, action))
    if step is None:
        raise IllegalStep(f"{action} is not possible from {status}")
    return step[0]


def party_of(action: str) -> str:
    """Who takes ``action`` (the company answers, the complainant confirms)."""
    for (_, name), (_, party) in TRANSITIONS.items():
        if name == action:
            return party
    raise KeyError(action)


def answer_window_days() -> int:
    """Days the company has to answer: ``CHANGXIAO_COMPLAINT_ANSWER_DAYS`` (default 7)."""
    try:
        return max(1, int(os.environ.get("CHANGXIAO_COMPLAINT_ANSWER_DAYS", 7)))
    except ValueError:
        return 7


def answer_due(filed_at: datetime, days: int) -> datetime:
    """The moment the first answer is due: ``days`` × 24 hours after filing."""
    return filed_at + timedelta(days=days)


def is_overdue(due_at: datetime, first_answered_at: datetime | None, at: datetime) -> bool:
    """Answered after the due moment, or still unanswered once it passed. An answer at
    the due moment itself is in time."""
    if first_answered_at is not None:
        return first_answered_at > due_at
    return at > due_at


@dataclass(frozen=True)
class Filed:
    """One complaint as a period's count sees it."""

    status: str
    due_at: datetime
    first_answered_at: datetime | None


@dataclass(frozen=True)
class Counts:
    filed: int
    answered: int
    resolved: int
    disputed: int
    overdue: int


def count_complaints(complaints: Iterable[Filed], at: datetime) -> Counts:
    """What a rating period shows of the complaints filed in it: how many were filed,
    answered at least once, confirmed resolved by the complainant, disputed now, and
    answered late or still unanswered past the window at ``at``."""
    given = list(complaints)
    return Counts(
        filed=len(given),
        answered=sum(1 for c in given if c.first_answered_at is not None),
        resolved=sum(1 for c in given if c.status == RESOLVED),
        disputed=sum(1 for c in given if c.status == DISPUTED),
        overdue=sum(1 for c in given if is_overdue(c.due_at, c.first_answered_at, at)),
    )


def status_named(status: str) -> str:
    """A complaint's state for an error detail: its Chinese name and its code."""
    return f"{STATUS_NAMES.get(status, status)}（{status}）"
