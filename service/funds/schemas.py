"""Request and response bodies of the maintenance fund API (API.md "Maintenance fund")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from service.registry.schemas import MULTILINE, Input
from service.units import PositiveMoney

Memo = Annotated[str, msgspec.Meta(max_length=500, pattern=MULTILINE)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=MULTILINE)]
# A year, a month, a quarter or a half year: 2026, 2026-06, 2026-Q2, 2026-H1.
Period = Annotated[
    str,
    msgspec.Meta(pattern=r"^(19|20|21)\d\d(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$", max_length=20),
]


class DepositIn(Input):
    household_id: UUID
    amount: PositiveMoney
    kind: Literal["first", "replenish"]
    paid_on: date
    memo: Memo = ""


class DepositOut(msgspec.Struct):
    entry_id: UUID
    household_id: UUID
    amount: str
    balance: str


class InterestIn(Input):
    community_id: UUID
    period: Period
    amount: PositiveMoney


class CommunityInterestIn(Input):
    community_id: UUID
    amount: PositiveMoney


class DistrictInterestIn(Input):
    """One period's interest for many communities, allocated all or nothing."""

    period: Period
    items: Annotated[list[CommunityInterestIn], msgspec.Meta(min_length=1, max_length=20_000)]


class InterestOut(msgspec.Struct):
    entry_id: UUID
    community_id: UUID
    period: str
    allocated: str
    households: int


class IncomeIn(Input):
    community_id: UUID
    amount: PositiveMoney
    memo: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=MULTILINE)]
    received_on: date


class IncomeOut(msgspec.Struct):
    entry_id: UUID
    community_id: UUID
    allocated: str
    households: int


class RefundIn(Input):
    household_id: UUID
    reason: Reason


class RefundOut(msgspec.Struct):
    entry_id: UUID
    household_id: UUID
    amount: str
    principal: str
    interest: str


class ReverseIn(Input):
    reason: Reason


class ReverseOut(msgspec.Struct):
    entry_id: UUID
    reverses_entry_id: UUID
    kind: str
    amount: str


class HouseholdFundOut(msgspec.Struct):
    household_id: UUID
    principal: str
    interest: str
    balance: str
    first_deposit: str
    first_deposit_paid: bool
    closed: bool
    replenish_threshold: str
    needs_replenishment: bool
    owed_to_threshold: str
    self_funded_due: str


class FundEntryOut(msgspec.Struct):
    entry_id: UUID
    seq: int
    kind: str
    amount: str
    principal_delta: str
    interest_delta: str
    posted_at: datetime
    value_date: date
    memo: str
    owner_id: UUID | None
    owner_name: str | None
    reverses_entry_id: UUID | None = None
    fund_use_id: UUID | None = None


class YearFiguresOut(msgspec.Struct):
    """One calendar year's flows into and out of the households' accounts (net of reversals)."""

    year: int
    deposited: str
    interest: str
    income: str
    used: str
    refunded: str
    total_in: str
    total_out: str


class CommunityFundOut(msgspec.Struct):
    community_id: UUID
    balance: str
    principal: str
    interest: str
    households: int
    households_with_account: int
    households_needing_replenishment: int
    chain_head: str
    entries: int
    years: list[YearFiguresOut]


class BuildingFundOut(msgspec.Struct):
    building_id: UUID
    community_id: UUID
    balance: str
    principal: str
    interest: str
    households: int
    households_with_account: int
    households_needing_replenishment: int
    years: list[YearFiguresOut]


class ReplenishmentOut(msgspec.Struct):
    household_id: UUID
    building_id: UUID
    building_name: str
    unit_no: str
    room_no: str
    owner_name: str
    balance: str
    first_deposit: str
    replenish_threshold: str
    owed: str


class HeadCheckOut(msgspec.Struct):
    """Whether the journal still holds a head someone kept (``?head=``)."""

    head: str
    ok: bool
    witnessed: bool
    contained: bool
    seq: int | None
    recorded_at: datetime | None
    problems: list[str]


class VerifyOut(msgspec.Struct, omit_defaults=True):
    community_id: UUID
    ok: bool
    entries: int
    chain_head: str
    problems: list[str]
    # Only with ?head=: whether the journal still holds that head (absent otherwise).
    head: HeadCheckOut | None = None


class WitnessedHeadOut(msgspec.Struct):
    """One row of the chain-head witness log (the export a committee keeps)."""

    seq: int
    head_hash: str
    tag: str
    reason: str
    recorded_at: datetime
