"""Request and response bodies of lift retrofits (API.md "Lift retrofits")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from service.fund_uses.schemas import TallyOut
from service.registry.schemas import MULTILINE, PRINTABLE, Input, Short
from service.units import Factor, Money, PositiveMoney

Factors = dict[str, Factor]
Reason = Annotated[str, msgspec.Meta(max_length=1000, pattern=MULTILINE)]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=PRINTABLE)]


class LiftSettingsIn(Input):
    coefficients: Factors
    subsidy_per_lift: Money
    maintenance_fund_allowed: bool = True


class LiftSettingsOut(msgspec.Struct):
    coefficients: dict[str, str]
    subsidy_per_lift: str
    maintenance_fund_allowed: bool
    defaults: bool  # True while the district keeps DOMAIN.md's defaults


class LiftProjectIn(Input):
    building_id: UUID
    estimated_cost: PositiveMoney
    unit_no: Short | None = None  # null: the whole building is the unit
    coefficients: Factors | None = None
    upkeep_coefficients: Factors | None = None
    applicant_household_id: UUID | None = None


class AgreedOut(msgspec.Struct):
    share: str
    reason: str
    agreed_on: date


class ShareOut(msgspec.Struct):
    household_id: UUID
    room_no: str
    floor: int
    floor_area: str
    coefficient: str
    share: str
    agreed: AgreedOut | None = None
    # For owners, only their own households' payment figures are shown.
    paid: str | None = None
    pending: str | None = None
    outstanding: str | None = None


class DocumentIn(Input):
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=30, pattern=r"^[a-z_]+$")]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=PRINTABLE)]
    number: Reference | None = None
    issued_on: date | None = None


class DocumentOut(msgspec.Struct):
    id: UUID
    stage: str
    kind: str
    title: str
    number: str | None
    issued_on: date | None
    recorded_at: datetime


class EventOut(msgspec.Struct):
    action: str
    from_status: str | None
    to_status: str
    on_date: date
    note: str | None
    actor_role: str
    at: datetime


class ObjectionOut(msgspec.Struct):
    household_id: UUID
    room_no: str
    floor: int
    owner_name: str  # masked: 张*明
    reason: str | None


class ConsentResultOut(TallyOut):
    """The published tally (the fund-use tally's fields) with the objections."""

    matter: str
    status: str
    objections: list[ObjectionOut]
    published_at: datetime | None


class LiftProjectOut(msgspec.Struct):
    id: UUID
    community_id: UUID
    building_id: UUID
    building_name: str
    unit_no: str | None
    status: str
    stage_name: str
    applicant_household_id: UUID | None
    applicant_name: str | None
    estimated_cost: str
    subsidy: str
    owners_cost: str
    coefficients: dict[str, str]
    upkeep_coefficients: dict[str, str]
    households: int
    total_area: str
    subsidy_status: str
    subsidy_claimed_on: date | None
    subsidy_paid_on: date | None
    subsidy_reference: str | None
    work_id: UUID | None
    accepted_on: date | None
    warranty_until: date | None
    registration_no: str | None
    registered_on: date | None
    created_at: datetime
    shares: list[ShareOut]
    consent: ConsentResultOut | None
    documents: list[DocumentOut]
    events: list[EventOut]
    upkeep: list[UpkeepOut]


class ConsentIn(Input):
    household_id: UUID
    choice: Literal["yes", "no", "abstain"]
    reason: Reason | None = None


class ConsentOut(msgspec.Struct):
    project_id: UUID
    household_id: UUID
    choice: str
    reason: str | None
    cast_at: datetime
    replaced: bool


class AgreedShareIn(Input):
    """A household's agreed deviation from its computed share (recorded with why)."""

    household_id: UUID
    share: Money
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=MULTILINE)]
    agreed_on: date | None = None


class TransitionIn(Input):
    action: Literal["design_approved", "construction_done", "accepted", "registered", "cancel"]
    on: date | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000, pattern=MULTILINE)] | None = None
    # accepted: the installer (a contractor organisation), its settlement and warranty.
    contractor_id: UUID | None = None
    settlement_amount: PositiveMoney | None = None
    warranty_years: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    # registered: the market regulator's registration of the lift as special equipment.
    registration_no: Reference | None = None


class SubsidyIn(Input):
    action: Literal["claim", "paid"]
    on: date | None = None
    reference: Reference | None = None


class PaymentIn(Input):
    household_id: UUID
    amount: PositiveMoney
    method: Literal["direct", "provident_fund", "maintenance_fund"]
    reference: Reference | None = None
    paid_on: date | None = None


class PaymentOut(msgspec.Struct):
    id: UUID
    project_id: UUID
    household_id: UUID
    method: str
    amount: str
    reference: str | None
    fund_use_id: UUID | None
    paid_on: date
    state: str  # paid | part_paid | pending | void
    counted: str


class UpkeepIn(Input):
    year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    kind: Literal["maintenance", "inspection"]
    amount: PositiveMoney


class UpkeepShareOut(msgspec.Struct):
    household_id: UUID
    floor: int
    floor_area: str
    coefficient: str
    share: str


class UpkeepOut(msgspec.Struct):
    id: UUID
    project_id: UUID
    year: int
    kind: str
    amount: str
    shares: list[UpkeepShareOut]


class HouseholdUpkeepOut(msgspec.Struct):
    year: int
    kind: str
    share: str


class HouseholdLiftOut(msgspec.Struct):
    """One household's part in one lift project, with every payment towards it."""

    project_id: UUID
    status: str
    floor: int
    floor_area: str
    coefficient: str
    share: str
    agreed: AgreedOut | None
    paid: str
    pending: str
    outstanding: str
    payments: list[PaymentOut]
    upkeep: list[HouseholdUpkeepOut]
