"""Request and response bodies of fund uses and owners' votes (API.md "Fund use")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from service.fund_uses.rules import EMERGENCY_REASONS
from service.registry.schemas import MULTILINE, PRINTABLE, Input, one_of
from service.units import PositiveMoney
from service.warranty.rules import CATEGORIES

EmergencyReason = Annotated[str, one_of(*EMERGENCY_REASONS)]
RepairCategory = Annotated[str, one_of(*CATEGORIES)]

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=PRINTABLE)]
Description = Annotated[str, msgspec.Meta(max_length=4000, pattern=MULTILINE)]


class PartIn(Input):
    """A part the use repairs: its repair category and, when it is not the charged
    buildings', the buildings it is on."""

    category: RepairCategory
    building_ids: Annotated[list[UUID], msgspec.Meta(max_length=500)] | None = None


Parts = Annotated[list[PartIn], msgspec.Meta(max_length=20)]


class FundUseIn(Input):
    community_id: UUID
    title: Title
    description: Description
    estimated_cost: PositiveMoney
    # The repair category of the part repaired (165号令 art. 18: the warranty guard
    # always runs on it); required.
    component: RepairCategory
    household_ids: list[UUID] | None = None
    building_ids: list[UUID] | None = None
    emergency: bool = False
    emergency_reason: EmergencyReason | None = None
    vote_closes_on: date | None = None
    # Further parts the use repairs (each checked like ``component``).
    parts: Parts | None = None


class FundUseSubmitIn(Input):
    """Completing a draft opened by a repair ticket: what a proposal needs besides the
    community (the draft's) and the component (the ticket's unless given)."""

    estimated_cost: PositiveMoney
    household_ids: list[UUID] | None = None
    building_ids: list[UUID] | None = None
    title: Title | None = None
    description: Description | None = None
    component: RepairCategory | None = None
    emergency: bool = False
    emergency_reason: EmergencyReason | None = None
    vote_closes_on: date | None = None
    parts: Parts | None = None


class PartOut(msgspec.Struct):
    category: str
    building_ids: list[UUID]


class ShareOut(msgspec.Struct):
    household_id: UUID
    floor_area: str
    share: str


class FundUseOut(msgspec.Struct):
    id: UUID
    community_id: UUID
    title: str
    description: str
    component: str | None
    parts: list[PartOut]
    repair_ticket_id: UUID | None
    status: str
    estimated_cost: str
    approved_cost: str | None
    paid: str
    self_funded: str
    emergency: bool
    emergency_reason: str | None
    vote_rule: str
    vote_closes_on: date | None
    total_area: str
    households: int
    proposer_id: UUID
    created_at: datetime
    published_at: datetime | None
    apportionment: list[ShareOut]


class BallotIn(Input):
    household_id: UUID
    choice: Literal["yes", "no", "abstain"]


class BallotOut(msgspec.Struct):
    fund_use_id: UUID
    household_id: UUID
    choice: str
    cast_at: datetime
    replaced: bool


class TallyOut(msgspec.Struct):
    eligible_area: str
    eligible_owners: int
    voted_area: str
    voted_owners: int
    yes_area: str
    yes_owners: int
    no_area: str
    no_owners: int
    quorum_met: bool
    approved: bool
    rule: str


class DisbursementIn(Input):
    amount: PositiveMoney
    stage: Literal["advance", "progress", "final"]


class DisbursementOut(msgspec.Struct):
    disbursement_id: UUID
    fund_use_id: UUID
    stage: str
    amount: str
    posted: str
    self_funded: str
    entry_id: UUID | None
    status: str


class SelfFundedOut(msgspec.Struct):
    household_id: UUID
    owner_id: UUID
    amount: str
