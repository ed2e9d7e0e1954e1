"""Warranty and repair rules: pure functions, no I/O.

Sources: 建设工程质量管理条例 art. 40 and 房屋建筑工程质量保修办法 (minimum periods),
Civil Code arts. 201-203 (counting), 建设工程质量保证金管理办法 (retention money).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from uuid import UUID

CATEGORIES = (
    "structure",
    "roofing",
    "wet_rooms",
    "exterior_wall",
    "heating",
    "cooling",
    "electrical",
    "plumbing",
    "equipment",
    "decoration",
    "other",
)
CATEGORY_NAMES = {
    "structure": "地基基础和主体结构",
    "roofing": "屋面防水",
    "wet_rooms": "有防水要求的卫生间、房间",
    "exterior_wall": "外墙防渗漏",
    "heating": "供热系统",
    "cooling": "供冷系统",
    "electrical": "电气管线",
    "plumbing": "给排水管道",
    "equipment": "设备安装",
    "decoration": "装修工程",
    "other": "其他项目",
}
# Design life of the structure: the statute says "the design life stated in the design
# documents" (条例 art. 40 item 1); ordinary housing is designed for 50 years (GB 50068),
# which we take only when the works register records none.
STRUCTURE_DESIGN_LIFE_YEARS = 50
STATUTORY_YEARS = {
    "structure": STRUCTURE_DESIGN_LIFE_YEARS,
    "roofing": 5,
    "wet_rooms": 5,
    "exterior_wall": 5,
    "electrical": 2,
    "plumbing": 2,
    "equipment": 2,
    "decoration": 2,
}
SEASON_CATEGORIES = frozenset({"heating", "cooling"})
STATUTORY_SEASONS = 2
RETENTION_PERCENT = 3
DEFAULT_DEFECTS_LIABILITY_MONTHS = 12
MAX_DEFECTS_LIABILITY_MONTHS = 24


@dataclass(frozen=True)
class Season:
    """A yearly season from (month, day) to (month, day), inclusive; may cross New Year."""

    start: tuple[int, int]
    end: tuple[int, int]

    def __post_init__(self) -> None:
        for month, day in (self.start, self.end):
            # 2000 is a leap year: 29 Feb is accepted as a season bound.
            date(2000, month, day)

    def crosses_new_year(self) -> bool:
        return self.end < self.start

    def starting_in(self, year: int) -> tuple[date, date]:
        start = _on(year, *self.start)
        end = _on(year + 1 if self.crosses_new_year() else year, *self.end)
        return start, end


def _on(year: int, month: int, day: int) -> date:
    """The date, with 29 February falling back to the 28th in common years."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


HEATING_SEASON = Season(start=(11, 15), end=(3, 15))
# No national cooling season exists; this default is ours (configurable per district).
COOLING_SEASON = Season(start=(6, 1), end=(9, 30))


class WarrantyTooShort(ValueError):
    """The contract's period ends before the statutory minimum."""

    def __init__(self, category: str, minimum: str, message: str | None = None):
        self.category = category
        self.minimum = minimum
        super().__init__(
            message or f"{CATEGORY_NAMES[category]}的保修期不得短于法定最低期限（{minimum}）"
        )


class WarrantyTermMissing(ValueError):
    """A category with no statutory minimum needs the contract's period."""


# --- Working days (Civil Code art. 203) ----------------------------------------------


class WorkingCalendar(Protocol):
    """Which days are working days: the State Council's arrangement (make-up working
    days included) as a maintained library computes it, plus the district's overrides."""

    def is_working_day(self, day: date) -> bool: ...


@dataclass(frozen=True)
class DistrictCalendar:
    """The national calendar with the district's own overrides laid over it.

    ``overrides`` maps a day to True (a working day) or False (a rest day); a day not
    overridden is whatever the national calendar says.
    """

    national: WorkingCalendar
    overrides: Mapping[date, bool] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        working = self.overrides.get(day)
        return self.national.is_working_day(day) if working is None else working


# No arrangement has ever made more than a few weeks in a row rest days.
MAX_REST_RUN_DAYS = 60


def next_working_day_from(day: date, calendar: WorkingCalendar) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    for offset in range(MAX_REST_RUN_DAYS + 1):
        candidate = day + timedelta(days=offset)
        if calendar.is_working_day(candidate):
            return candidate
    raise ValueError(f"no working day within {MAX_REST_RUN_DAYS} days of {day}")


def add_years(start: date, years: int) -> date:
    """The same calendar date ``years`` later; the month's last day if it does not exist."""
    return _on(start.year + years, start.month, start.day)


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later; the month's last day if it does not exist."""
    index = start.year * 12 + start.month - 1 + months
    return _on(index // 12, index % 12 + 1, start.day)


def period_end(last_day: date, calendar: WorkingCalendar) -> date:
    """Civil Code art. 203: a period whose last day is a statutory holiday or rest day ends
    on the next working day (of the given calendar, for any year)."""
    return next_working_day_from(last_day, calendar)


def seasons_end(accepted_on: date, season: Season, seasons: int) -> date:
    """Last day of the ``seasons``-th whole season after acceptance.

    A season already running on the acceptance day (or starting that day: the start day
    is not counted, art. 201) is not whole and does not count.
    """
    year = accepted_on.year - 1
    counted = 0
    while True:
        start, end = season.starting_in(year)
        if start > accepted_on:
            counted += 1
            if counted == seasons:
                return end
        year += 1


def statutory_minimum(category: str) -> str:
    """The statutory minimum as words (for messages)."""
    if category in SEASON_CATEGORIES:
        return f"{STATUTORY_SEASONS} 个{'采暖' if category == 'heating' else '供冷'}期"
    if category == "structure":
        return "设计文件规定的合理使用年限"
    if category in STATUTORY_YEARS:
        return f"{STATUTORY_YEARS[category]} 年"
    return "由合同约定"


def contract_months(years: int | None, months: int | None) -> int | None:
    """The contract's period in months (``years`` and ``months`` add up); None if neither."""
    if years is None and months is None:
        return None
    return 12 * (years or 0) + (months or 0)


def warranty_last_day(
    category: str,
    accepted_on: date,
    years: int | None = None,
    heating_season: Season = HEATING_SEASON,
    *,
    seasons: int | None = None,
    cooling_season: Season = COOLING_SEASON,
    months: int | None = None,
) -> date:
    """The period's last day before Civil Code art. 203 moves it off a rest day.

    The period runs from the day after completion acceptance (art. 201) for the statutory
    minimum of its category (条例 art. 40) or the contract's longer term: ``years`` plus
    ``months`` (they add up), or ``seasons`` for heating and cooling. Structure takes the
    design life stated in the design documents as ``years`` (any positive number; 50 when
    none is recorded); ``other`` takes the contract's term, even under a year. A term
    below a statutory minimum raises ``WarrantyTooShort``; ``other`` with no term raises
    ``WarrantyTermMissing``. Years and months end on the same calendar date (the month's
    last day when it does not exist, art. 202); seasons end at the close of the last
    whole season after acceptance.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    term = contract_months(years, months)
    if category in SEASON_CATEGORIES:
        season = heating_season if category == "heating" else cooling_season
        if seasons is not None and seasons < STATUTORY_SEASONS:
            raise WarrantyTooShort(category, statutory_minimum(category))
        last = seasons_end(accepted_on, season, seasons or STATUTORY_SEASONS)
        if term is not None:
            by_term = add_months(accepted_on, term)
            if by_term < last:
                raise WarrantyTooShort(category, statutory_minimum(category))
            last = by_term
        return last
    if seasons is not None:
        raise ValueError("seasons apply to heating and cooling only")
    if category == "structure":
        if months:
            raise ValueError("a design life is stated in whole years")
        if years is not None and years < 1:
            raise WarrantyTooShort(
                category, statutory_minimum(category), "设计文件规定的合理使用年限须为正整数年"
            )
        return add_years(accepted_on, STRUCTURE_DESIGN_LIFE_YEARS if years is None else years)
    minimum = STATUTORY_YEARS.get(category)
    if term is None:
        if minimum is None:
            raise WarrantyTermMissing(category)
        term = 12 * minimum
    if term < 1:
        raise WarrantyTooShort(category, statutory_minimum(category), "保修期须大于零")
    if minimum is not None and term < 12 * minimum:
        raise WarrantyTooShort(category, statutory_minimum(category))
    return add_months(accepted_on, term)


def warranty_until(
    category: str,
    accepted_on: date,
    years: int | None = None,
    heating_season: Season = HEATING_SEASON,
    *,
    calendar: WorkingCalendar,
    seasons: int | None = None,
    cooling_season: Season = COOLING_SEASON,
    months: int | None = None,
) -> date:
    """The last day the component is under warranty (inclusive): ``warranty_last_day``
    moved to the next working day of ``calendar`` when it is a rest day (art. 203)."""
    last = warranty_last_day(
        category,
        accepted_on,
        years,
        heating_season,
        seasons=seasons,
        cooling_season=cooling_season,
        months=months,
    )
    return period_end(last, calendar)


def under_warranty(until: date, on_date: date) -> bool:
    """True while ``on_date`` is not after the warranty's last day."""
    return on_date <= until


def retention_limit(settlement_fen: int) -> int:
    """The most retention money allowed: 3% of the settlement, rounded down to the fen."""
    return settlement_fen * RETENTION_PERCENT // 100


def defects_liability_end(accepted_on: date, months: int, calendar: WorkingCalendar) -> date:
    """Last day of the defects liability period (缺陷责任期), counted like any period."""
    return period_end(add_months(accepted_on, months), calendar)


def retention_state(open_warranty_tickets: int, liability_end: date, on_date: date) -> str:
    """``blocked`` while a warranty ticket of the work is open; else ``releasable`` after
    the defects liability period, ``held`` before its end."""
    if open_warranty_tickets > 0:
        return "blocked"
    return "releasable" if on_date > liability_end else "held"


# --- Repair tickets --------------------------------------------------------------

URGENCIES = ("emergency", "normal")
DEFAULT_DUE_HOURS = {"emergency": 24, "normal": 7 * 24}


def due_at(reported_at: datetime, urgency: str, policy: dict[str, int] | None = None) -> datetime:
    """When the responsible party must be done: reported time + hours of its urgency."""
    hours = (policy or DEFAULT_DUE_HOURS)[urgency]
    return reported_at + timedelta(hours=hours)


# Parties an actor can be for one ticket.
RESPONSIBLE = "responsible"  # the organisation the ticket is routed to
WARRANTOR = "warrantor"  # the responsible contractor (may dispute)
REPORTER = "reporter"
COMMITTEE = "committee"
BUREAU = "bureau"

OPEN_STATUSES = frozenset({"assigned", "accepted", "in_progress", "disputed"})
STATUSES = (*sorted(OPEN_STATUSES), "done", "verified")

# (status, action) → (next status, parties allowed).
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("assigned", "accept"): ("accepted", frozenset({RESPONSIBLE})),
    ("accepted", "start"): ("in_progress", frozenset({RESPONSIBLE})),
    ("in_progress", "finish"): ("done", frozenset({RESPONSIBLE})),
    ("done", "verify"): ("verified", frozenset({REPORTER, COMMITTEE})),
    ("done", "reopen"): ("assigned", frozenset({REPORTER, COMMITTEE})),
    ("assigned", "dispute"): ("disputed", frozenset({WARRANTOR})),
    ("accepted", "dispute"): ("disputed", frozenset({WARRANTOR})),
    ("in_progress", "dispute"): ("disputed", frozenset({WARRANTOR})),
    ("disputed", "decide_dispute"): ("assigned", frozenset({BUREAU})),
}
ACTIONS = frozenset(action for _, action in TRANSITIONS)


class UnknownAction(ValueError):
    pass


class IllegalTransition(ValueError):
    """The action does not apply to a ticket in this status."""


class NotYourStep(PermissionError):
    """The actor is not a party allowed to take this step."""


def next_status(status: str, action: str, role: str | Iterable[str]) -> str:
    """The status after ``action`` by an actor playing ``role`` (one or several parties).

    Raises ``UnknownAction``, ``IllegalTransition`` (the action does not apply in this
    status) or ``NotYourStep`` (the actor may not take it).
    """
    if action not in ACTIONS:
        raise UnknownAction(action)
    step = TRANSITIONS.get((status, action))
    if step is None:
        raise IllegalTransition(f"{action} is not possible from {status}")
    roles = {role} if isinstance(role, str) else set(role)
    target, allowed = step
    if not roles & allowed:
        raise NotYourStep(f"{action} needs one of {sorted(allowed)}")
    return target


# --- Routing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A work component that might cover the reported place."""

    component_id: UUID
    work_id: UUID
    work_title: str
    contractor_id: UUID
    contractor_name: str
    category: str
    accepted_on: date
    warranty_until: date
    # Buildings the work covers; empty = the whole community.
    building_ids: frozenset[UUID]


@dataclass(frozen=True)
class Company:
    """Who manages the community under its contract: a property company, or under
    owners' self-management (业主自治) the owners' committee (``kind`` committee)."""

    org_id: UUID
    name: str
    kind: str = "company"  # company | committee


@dataclass(frozen=True)
class Operator:
    """A professional operator (专业经营单位) registered as an organisation."""

    org_id: UUID
    name: str


# Where the fault is (Civil Code arts. 271-273): a household's own part or a common part.
PRIVATE = "private"  # 专有部分
COMMON = "common"  # 共有部分
PARTS = (PRIVATE, COMMON)
# Operators' pipelines and facilities (water, power, gas, heat, telecom): theirs to repair
# and pay for, never the fund's (165号令 art. 25; 物业管理条例 art. 51).
UTILITIES = {
    "water": "供水",
    "power": "供电",
    "gas": "供气",
    "heat": "供热",
    "telecom": "通信",
}
# Who a ticket is routed to; ``bureau`` when nobody else can be, ``repairer`` after the
# bureau took a warranty ticket from its contractor and gave it to another repairer,
# ``committee`` when the owners manage the community themselves (业主自治).
RESPONSIBLE_KINDS = (
    "contractor",
    "company",
    "fund",
    "owner",
    "operator",
    "bureau",
    "repairer",
    "committee",
)


@dataclass(frozen=True)
class Routing:
    kind: str  # one of RESPONSIBLE_KINDS
    org_id: UUID | None
    reason: str
    work_id: UUID | None = None
    component_id: UUID | None = None
    warranty_until: date | None = None


def covers(candidate: Candidate, building_id: UUID | None) -> bool:
    """A work covers its buildings (all, when it names none); a place with no building
    is covered by any work of the community."""
    return (
        building_id is None or not candidate.building_ids or building_id in candidate.building_ids
    )


def covering(
    candidates: Sequence[Candidate], category: str, building_id: UUID | None, on_date: date
) -> Candidate | None:
    """The component under warranty covering the place on ``on_date`` (longest first)."""
    found = [
        c
        for c in candidates
        if c.category == category
        and under_warranty(c.warranty_until, on_date)
        and c.accepted_on <= on_date
        and covers(c, building_id)
    ]
    found.sort(key=lambda c: (c.warranty_until, str(c.component_id)), reverse=True)
    return found[0] if found else None


def route_ticket(
    category: str,
    on_date: date,
    candidates: Sequence[Candidate],
    company: Company | None,
    *,
    major: bool,
    part: str,
    building_id: UUID | None = None,
    utility: str | None = None,
    operator: Operator | None = None,
    exclude_warranty: bool = False,
) -> Routing:
    """Who repairs, by where the fault is (DOMAIN "Repairs"; 条例 art. 41, 165号令 arts.
    18 and 25).

    1. an operator's pipeline or facility (``utility``) → the operator;
    2. a renovation component of that category covering the place (the flat's building
       for a private part) still under warranty → its contractor;
    3. a household's own part (``private``) → the owner, at the owner's cost;
    4. a common part: major repair or renewal → a fund-use proposal; routine → the
       property company of the live contract (or of the contract in hand-over, art. 950;
       the owners' committee under self-management); with none, the bureau arranges it.

    ``exclude_warranty`` skips step 2 (the bureau ruled it is not a warranty defect).
    """
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}")
    label = CATEGORY_NAMES[category]
    if utility is not None:
        if utility not in UTILITIES:
            raise ValueError(f"unknown utility {utility!r}")
        who = operator.name if operator else f"{UTILITIES[utility]}专业经营单位"
        return Routing(
            kind="operator",
            org_id=operator.org_id if operator else None,
            reason=(
                f"属于{UTILITIES[utility]}专业经营单位的管线设施，由{who}负责维修养护并承担费用，"
                "不得使用住宅专项维修资金。"
            ),
        )
    hit = None if exclude_warranty else covering(candidates, category, building_id, on_date)
    if hit is not None:
        return Routing(
            kind="contractor",
            org_id=hit.contractor_id,
            work_id=hit.work_id,
            component_id=hit.component_id,
            warranty_until=hit.warranty_until,
            reason=(
                f"{label}属于改造工程“{hit.work_title}”"
                f"（{hit.accepted_on.isoformat()} 竣工验收），"
                f"保修期至 {hit.warranty_until.isoformat()}，"
                f"由施工单位{hit.contractor_name}负责保修。"
            ),
        )
    why = (
        "经区住建局认定不属于保修范围" if exclude_warranty else f"{label}不在任何改造工程的保修期内"
    )
    if part == PRIVATE:
        paid = (
            f"业主也可委托物业服务企业{company.name}有偿维修。"
            if company is not None and company.kind == "company"
            else "业主也可委托维修单位有偿维修。"
        )
        return Routing(
            kind="owner",
            org_id=None,
            reason=f"{why}，属业主专有部分，由业主自行负责维修并承担费用；{paid}",
        )
    if major:
        return Routing(
            kind="fund",
            org_id=company.org_id if company else None,
            reason=f"{why}，属共用部位的大修或更新，转为住宅专项维修资金使用申请（草稿）。",
        )
    if company is not None and company.kind == "committee":
        return Routing(
            kind="committee",
            org_id=company.org_id,
            reason=f"{why}，属共用部位的日常维修养护；小区实行业主自治，由{company.name}组织维修。",
        )
    if company is not None:
        return Routing(
            kind="company",
            org_id=company.org_id,
            reason=f"{why}，属共用部位的日常维修养护，由在管物业服务企业{company.name}负责。",
        )
    return Routing(
        kind="bureau",
        org_id=None,
        reason=f"{why}，且小区当前没有在管的物业服务合同，由区住建局安排维修。",
    )


# --- A contractor that does not come (房屋建筑工程质量保修办法 arts. 9, 12) ------------

TAKEABLE_STATUSES = frozenset({"assigned", "accepted", "in_progress"})


class NotTakeable(ValueError):
    """The ticket cannot be taken from its contractor (yet)."""


def may_take_over(kind: str, status: str, due: datetime, at: datetime) -> None:
    """The bureau (for the client) may give a warranty ticket to another repairer only
    when the contractor has not finished it by its due time (arts. 9, 12). A disputed
    ticket is decided first (``decide_dispute``); raises ``NotTakeable`` otherwise."""
    if kind != "contractor":
        raise NotTakeable("只有由施工单位保修的工单才能收回改派。")
    if status not in TAKEABLE_STATUSES:
        raise NotTakeable(
            f"工单当前状态为{status_named(status)}，不能收回改派（有异议的须先裁决）。"
        )
    if at <= due:
        raise NotTakeable(f"施工单位的维修时限（{due.isoformat()}）未过，不能收回改派。")


@dataclass(frozen=True)
class RetentionBalance:
    """Retention money less what was charged to the contractor for repairs by others."""

    retention: int
    charged: int
    # What can still be returned to the contractor, and what the charges exceed it by
    # (still owed by the contractor, to be recovered otherwise).
    remaining: int
    uncovered: int


def retention_balance(retention_fen: int, charged_fen: int) -> RetentionBalance:
    """Charges for a defect repaired by another come out of the retention money first
    (建设工程质量保证金管理办法 art. 9); the rest of them stays owed."""
    if retention_fen < 0 or charged_fen < 0:
        raise ValueError("amounts are never negative")
    remaining = max(retention_fen - charged_fen, 0)
    return RetentionBalance(
        retention=retention_fen,
        charged=charged_fen,
        remaining=remaining,
        uncovered=max(charged_fen - retention_fen, 0),
    )


# A ticket's states as people read them (pages, documents, error details).
STATUS_NAMES = {
    "assigned": "已派单",
    "accepted": "已受理",
    "in_progress": "维修中",
    "disputed": "有异议",
    "done": "已完工待验收",
    "verified": "已验收",
}


def status_named(status: str) -> str:
    """A ticket state for an error detail: its Chinese name and, for API clients, its code."""
    return f"{STATUS_NAMES.get(status, status)}（{status}）"
