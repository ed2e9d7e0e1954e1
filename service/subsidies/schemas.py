"""Response bodies of subsidies and the credit record."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec


class SubsidyOut(msgspec.Struct):
    subsidy_id: UUID
    period_id: UUID
    contract_id: UUID
    company_id: UUID
    community_id: UUID
    rate_per_m2_month: str
    served_area: str
    served_days: int
    period_days: int
    months_in_period: int
    # Months served, each calendar month counting its days served over its own days, to
    # four decimals for reading (the base uses the exact fraction); null on older rows.
    months_served: str | None
    base: str
    ratio: str
    amount: str
    status: str
    approved_by: UUID | None
    approved_at: datetime | None
    released_by: UUID | None
    released_at: datetime | None


class CreditEntry(msgspec.Struct):
    period_id: UUID
    period_name: str
    starts_on: date
    ends_on: date
    contract_id: UUID
    community_id: UUID
    rating_id: UUID
    total: str
    grade: str
    subsidy_ratio: str
    review_flag: bool
    subsidy: SubsidyOut | None


class CreditOut(msgspec.Struct):
    company_id: UUID
    periods_rated: int
    review_flags: int
    released_total: str
    entries: list[CreditEntry]
