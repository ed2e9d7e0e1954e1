"""Warranty and repair rules: pure functions, no I/O.

Sources: 建设工程质量管理条例 art. 40 and 房屋建筑工程质量保修办法 (minimum periods),
Civil Code arts. 201-203 (counting), 建设工程质量保证金管理办法 (retention money).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from service.warranty.holidays import next_working_day_from

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
# Design life of the structure: the statute says "the design life"; ordinary housing is
# designed for 50 years (GB 50068), which we take unless the contract says more.
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

    def __init__(self, category: str, minimum: str):
        self.category = category
        self.minimum = minimum
        super().__init__(f"{CATEGORY_NAMES[category]}的保修期不得短于法定最低期限（{minimum}）")


class WarrantyTermMissing(ValueError):
    """A category with no statutory minimum needs the contract's period."""


def add_years(start: date, years: int) -> date:
    """The same calendar date ``years`` later; the month's last day if it does not exist."""
    return _on(start.year + years, start.month, start.day)


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later; the month's last day if it does not exist."""
    index = start.year * 12 + start.month - 1 + months
    return _on(index // 12, index % 12 + 1, start.day)


def period_end(last_day: date) -> date:
    """Civil Code art. 203: a period whose last day is a rest day ends the next working day."""
    return next_working_day_from(last_day)


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
    if category in STATUTORY_YEARS:
        return f"{STATUTORY_YEARS[category]} 年"
    return "由合同约定"


def warranty_until(
    category: str,
    accepted_on: date,
    years: int | None = None,
    heating_season: Season = HEATING_SEASON,
    *,
    seasons: int | None = None,
    cooling_season: Season = COOLING_SEASON,
) -> date:
    """The last day the component is under warranty (inclusive).

    The period runs from the day after completion acceptance (art. 201) for the statutory
    minimum of its category (条例 art. 40), or longer when the contract says so (``years``,
    or ``seasons`` for heating and cooling); a contract term ending earlier than the
    minimum raises ``WarrantyTooShort``. Years end on the same calendar date (month end
    if missing); seasons end at the close of the last whole season after acceptance; the
    end moves to the next working day when it falls on a rest day (art. 203).
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    if category in SEASON_CATEGORIES:
        season = heating_season if category == "heating" else cooling_season
        if seasons is not None and seasons < STATUTORY_SEASONS:
            raise WarrantyTooShort(category, statutory_minimum(category))
        last = seasons_end(accepted_on, season, seasons or STATUTORY_SEASONS)
        if years is not None:
            by_years = add_years(accepted_on, years)
            if by_years < last:
                raise WarrantyTooShort(category, statutory_minimum(category))
            last = by_years
        return period_end(last)
    if seasons is not None:
        raise ValueError("seasons apply to heating and cooling only")
    minimum = STATUTORY_YEARS.get(category)
    if minimum is None and years is None:
        raise WarrantyTermMissing(category)
    if years is not None and minimum is not None and years < minimum:
        raise WarrantyTooShort(category, statutory_minimum(category))
    if years is not None and years < 1:
        raise WarrantyTooShort(category, "1 年")
    chosen = years if years is not None else minimum
    assert chosen is not None
    return period_end(add_years(accepted_on, chosen))


def under_warranty(until: date, on_date: date) -> bool:
    """True while ``on_date`` is not after the warranty's last day."""
    return on_date <= until


def retention_limit(settlement_fen: int) -> int:
    """The most retention money allowed: 3% of the settlement, rounded down to the fen."""
    return settlement_fen * RETENTION_PERCENT // 100


def defects_liability_end(accepted_on: date, months: int) -> date:
    """Last day of the defects liability period (缺陷责任期), counted like any period."""
    return period_end(add_months(accepted_on, months))


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
    org_id: UUID
    name: str


@dataclass(frozen=True)
class Routing:
    kind: str  # contractor | company | fund | bureau
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
    common_part: bool,
    building_id: UUID | None = None,
    exclude_warranty: bool = False,
) -> Routing:
    """Who repairs (DOMAIN "Repairs"; 条例 art. 41, 165号令 art. 18).

    Under warranty → the contractor; else a major repair of a common part → a fund-use
    proposal; else → the property company holding the live contract; with no live
    contract, the bureau arranges it. ``exclude_warranty`` skips the warranty step (after
    the bureau agreed it is not a warranty defect).
    """
    label = CATEGORY_NAMES[category]
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
    if major and common_part:
        return Routing(
            kind="fund",
            org_id=company.org_id if company else None,
            reason=f"{why}，属共用部位的大修或更新，转为住宅专项维修资金使用申请。",
        )
    if company is not None:
        return Routing(
            kind="company",
            org_id=company.org_id,
            reason=f"{why}，属日常维修养护，由在管物业服务企业{company.name}负责。",
        )
    return Routing(
        kind="bureau",
        org_id=None,
        reason=f"{why}，且小区当前没有在管的物业服务合同，由区住建局安排维修。",
    )
