"""Request and response bodies of the complaints API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from service.complaints import rules
from service.contracts.schemas import OptionalText, Text
from service.registry.schemas import Input, one_of
from service.warranty.schemas import Photo

Category = Annotated[str, one_of(*rules.CATEGORIES)]
Place = Annotated[str, one_of(*rules.PLACES)]


class ComplaintIn(Input):
    category: Category
    place: Place
    description: Text
    household_id: UUID | None = None
    building_id: UUID | None = None
    photos: Annotated[list[Photo], msgspec.Meta(max_length=9)] = msgspec.field(default_factory=list)


class AnswerIn(Input):
    answer: Text


class ConfirmIn(Input):
    resolved: bool
    note: OptionalText = ""


class ComplaintOut(msgspec.Struct):
    id: UUID
    community_id: UUID
    company_id: UUID
    category: str
    category_name: str
    place: str
    building_id: UUID | None
    household_id: UUID | None
    description: str
    photos: list[str]
    status: str
    complainant_role: str
    filed_at: datetime
    answer_due_at: datetime
    overdue: bool
    answer: str | None
    first_answered_at: datetime | None
    answered_at: datetime | None
    answers: int
    confirmation_note: str | None
    confirmed_at: datetime | None


class ComplaintCounts(msgspec.Struct):
    """A period's complaints against the company in the community (filed in the period)."""

    filed: int
    answered: int
    resolved: int
    disputed: int
    overdue: int
    answer_window_days: int
