"""Request and response bodies of the ratings API. Scores and ratios travel as strings
with two decimals ("89.99", "0.80"); money as yuan strings ("1234.50")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from service.complaints.schemas import ComplaintCounts
from service.contracts.schemas import OptionalText, Text
from service.registry.schemas import PRINTABLE, Input, one_of
from service.standards.schemas import StandardsEvidence
from service.units import PositiveScore, Score

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=PRINTABLE)]
Note = OptionalText
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=PRINTABLE)]


AppealDecision = Annotated[str, one_of("upheld", "dismissed")]


class SchemeItemIn(Input):
    code: Code
    name: Name
    max_score: PositiveScore


class BandIn(Input):
    min_score: Score
    grade: Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=PRINTABLE)]
    ratio: Score


class SchemeIn(Input):
    items: list[SchemeItemIn]
    bands: list[BandIn]


class SchemeItemOut(msgspec.Struct):
    code: str
    name: str
    max_score: str


class BandOut(msgspec.Struct):
    min_score: str
    grade: str
    ratio: str


class SchemeOut(msgspec.Struct):
    id: UUID
    version: int
    items: list[SchemeItemOut]
    bands: list[BandOut]
    created_at: datetime


class PeriodIn(Input):
    name: Name
    starts_on: date
    ends_on: date


class PeriodOut(msgspec.Struct):
    id: UUID
    name: str
    starts_on: date
    ends_on: date
    status: str
    scheme_id: UUID
    finalized_at: datetime | None


class ScoreIn(Input):
    code: Code
    score: Score
    note: Note = ""


class RatingIn(Input):
    contract_id: UUID
    items: list[ScoreIn]


class RescoreIn(Input):
    items: list[ScoreIn]


class ScoreOut(msgspec.Struct):
    code: str
    name: str
    max_score: str
    score: str
    note: str


class AppealOut(msgspec.Struct):
    appeal_id: UUID
    rating_id: UUID
    reason: str
    filed_at: datetime
    decision: str | None
    note: str
    answered_at: datetime | None


class RatingOut(msgspec.Struct):
    rating_id: UUID
    period_id: UUID
    contract_id: UUID
    community_id: UUID
    company_id: UUID
    total: str
    grade: str
    subsidy_ratio: str
    items: list[ScoreOut]
    review_flag: bool
    appeal: AppealOut | None
    created_at: datetime
    updated_at: datetime


class AppealIn(Input):
    reason: Text


class AnswerIn(Input):
    decision: AppealDecision
    note: Text
    items: list[ScoreIn] | None = None


class SatisfactionIn(Input):
    household_id: UUID
    score: int
    comment: Note = ""


class SatisfactionOut(msgspec.Struct):
    id: UUID
    period_id: UUID
    household_id: UUID
    score: int
    comment: str
    answered_at: datetime


class ItemEvidence(msgspec.Struct):
    code: str
    name: str
    max_score: str
    categories: list[str]
    record_days: int | None
    suggested_score: str | None
    # The community's kept standards this item bears on (service/standards/), if any.
    standards: StandardsEvidence | None = None
    # Beside the satisfaction item: the period's complaints against the company.
    complaints: ComplaintCounts | None = None


class EvidenceOut(msgspec.Struct):
    period_id: UUID
    contract_id: UUID
    served_days: int
    period_days: int
    record_days: dict[str, int]
    repair_tickets_closed: int
    repair_tickets_closed_on_time: int
    satisfaction_answers: int
    satisfaction_average: str | None
    complaints: ComplaintCounts
    items: list[ItemEvidence]
    # The community's standards status in the period: items met, rectifications overdue.
    standards: StandardsEvidence | None = None
