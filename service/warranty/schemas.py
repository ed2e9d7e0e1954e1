"""Request and response bodies of the works, warranty and repairs API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from service.registry.schemas import MULTILINE, PRINTABLE, Input, one_of
from service.units import Money, PositiveMoney
from service.warranty import rules

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=PRINTABLE)]
Years = Annotated[int, msgspec.Meta(ge=0, le=200)]
TermMonths = Annotated[int, msgspec.Meta(ge=0, le=1200)]
Seasons = Annotated[int, msgspec.Meta(ge=0, le=20)]
Months = Annotated[int, msgspec.Meta(ge=1, le=24)]
Photo = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
MonthDay = Annotated[str, msgspec.Meta(pattern=r"^\d{2}-\d{2}$")]
Hours = Annotated[int, msgspec.Meta(ge=1, le=24 * 90)]


Category = Annotated[str, one_of(*rules.CATEGORIES)]
Urgency = Annotated[str, one_of(*rules.URGENCIES)]
Utility = Annotated[str, one_of(*rules.UTILITIES)]
Action = Annotated[str, one_of(*sorted(rules.ACTIONS))]
DisputeDecision = Annotated[str, one_of("upheld", "rejected")]


class ComponentIn(Input):
    category: Category
    # The contract's term in years; for ``structure`` the design life stated in the
    # design documents (any positive number; 50 when none is given).
    warranty_years: Years | None = None
    # Months added to the years: ``other`` may take a term under a year.
    warranty_months: TermMonths | None = None
    # Heating and cooling: whole seasons the contract promises (at least 2).
    warranty_seasons: Seasons | None = None


class WorkIn(Input):
    community_id: UUID
    title: Title
    contractor_id: UUID
    accepted_on: date
    settlement_amount: PositiveMoney
    components: Annotated[list[ComponentIn], msgspec.Meta(min_length=1, max_length=20)]
    retention_amount: Money | None = None
    defects_liability_months: Months = 12
    building_ids: Annotated[list[UUID], msgspec.Meta(max_length=500)] | None = None
    construction_unit: Annotated[str, msgspec.Meta(max_length=200, pattern=MULTILINE)] = ""


class ComponentOut(msgspec.Struct):
    id: UUID
    category: str
    category_name: str
    warranty_years: int | None
    warranty_months: int | None
    warranty_seasons: int | None
    warranty_until: date
    under_warranty: bool


class WorkOut(msgspec.Struct):
    id: UUID
    community_id: UUID
    title: str
    construction_unit: str
    contractor_id: UUID
    contractor_name: str
    accepted_on: date
    settlement_amount: str
    retention_amount: str
    defects_liability_months: int
    defects_liability_end: date
    building_ids: list[UUID]
    components: list[ComponentOut]


class RetentionOut(msgspec.Struct):
    work_id: UUID
    retention_amount: str
    # Repairs by others charged to the contractor, what of the retention money remains
    # releasable after them, and what they exceed it by (still owed by the contractor).
    charged_amount: str
    remaining_amount: str
    uncovered_amount: str
    defects_liability_end: date
    open_warranty_tickets: int
    # blocked | held | releasable
    state: str
    releasable: bool
    reason: str


class WarrantyEndOut(msgspec.Struct):
    component_id: UUID
    work_id: UUID
    work_title: str
    contractor_id: UUID
    contractor_name: str
    category: str
    category_name: str
    warranty_until: date
    days_left: int
    within_30_days: bool


class RepairIn(Input):
    community_id: UUID
    category: Category
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=MULTILINE)]
    urgency: Urgency = "normal"
    building_id: UUID | None = None
    household_id: UUID | None = None
    photos: Annotated[list[Photo], msgspec.Meta(max_length=9)] = msgspec.field(default_factory=list)
    major: bool = False
    # Where the fault is: a household's own part or a common part; required with
    # ``household_id``, else ``common``.
    part: Annotated[str, one_of("private", "common")] | None = None
    # An operator's line or facility: water | power | gas | heat | telecom.
    utility: Utility | None = None
    # The operator (an organisation of kind ``operator``), when known.
    operator_id: UUID | None = None


class TransitionIn(Input):
    action: Action
    note: Annotated[str, msgspec.Meta(max_length=2000, pattern=MULTILINE)] | None = None
    # decide_dispute only: upheld (not a warranty defect: re-route) | rejected.
    decision: DisputeDecision | None = None


class EventOut(msgspec.Struct):
    action: str
    from_status: str | None
    to_status: str
    actor_id: UUID | None
    actor_name: str
    actor_role: str
    note: str | None
    at: datetime


class RepairOut(msgspec.Struct):
    id: UUID
    community_id: UUID
    building_id: UUID | None
    household_id: UUID | None
    category: str
    description: str
    photos: list[str]
    urgency: str
    major: bool
    status: str
    responsible_kind: str
    responsible_org_id: UUID | None
    responsible_org_name: str | None
    work_id: UUID | None
    warranty_until: date | None
    reason: str
    due_at: datetime
    overdue: bool
    reported_at: datetime
    reporter_id: UUID
    done_at: datetime | None
    reopen_count: int
    fund_use_id: UUID | None
    dispute_decision: str | None
    part: str
    utility: str | None
    taken_from_id: UUID | None
    events: list[EventOut] | None = None


class PolicyIn(Input):
    emergency_hours: Hours = 24
    normal_hours: Hours = 168
    heating_start: MonthDay = "11-15"
    heating_end: MonthDay = "03-15"
    cooling_start: MonthDay = "06-01"
    cooling_end: MonthDay = "09-30"


class PolicyOut(msgspec.Struct):
    emergency_hours: int
    normal_hours: int
    heating_start: str
    heating_end: str
    cooling_start: str
    cooling_end: str


class FigureOut(msgspec.Struct):
    org_id: UUID
    org_name: str
    org_kind: str
    tickets: int
    done: int
    on_time: int
    # Shares as decimal strings with four places; None when nothing to measure.
    on_time_share: str | None
    median_hours_to_done: str | None
    reopened: int
    reopen_rate: str | None


class FiguresOut(msgspec.Struct):
    period_start: date
    period_end: date
    items: list[FigureOut]


class TakeOverIn(Input):
    """The bureau gives an overdue warranty ticket to another repairer."""

    repairer_id: UUID
    # The repair cost charged to the contractor (yuan).
    charge_amount: PositiveMoney
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=MULTILINE)]


class ChargeOut(msgspec.Struct):
    id: UUID
    ticket_id: UUID
    work_id: UUID
    work_title: str
    contractor_id: UUID
    repairer_id: UUID
    repairer_name: str
    amount: str
    note: str
    created_at: datetime


class CreditOut(msgspec.Struct):
    """A contractor's warranty record: tickets, overdue ones, those taken from it and
    what was charged to it."""

    contractor_id: UUID
    contractor_name: str
    warranty_tickets: int
    open_overdue: int
    taken_over: int
    charged_amount: str
    charges: list[ChargeOut]


class WorkdayOverrideIn(Input):
    day: date
    # True: a working day; False: a rest day.
    working: bool
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=MULTILINE)]


class WorkdayOverrideOut(msgspec.Struct):
    id: UUID
    day: date
    working: bool
    note: str
    created_at: datetime


class WorkdayOut(msgspec.Struct):
    day: date
    working: bool
    national_working: bool
    overridden: bool
    # Where a period whose last day is ``day`` ends (Civil Code art. 203).
    period_ends_on: date
