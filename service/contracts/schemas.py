"""Request and response bodies of the contracts API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from service.contracts import rules
from service.registry.schemas import PRINTABLE, Input, one_of
from service.units import Money

# One line: no control or zero-width characters (as the registry's PRINTABLE), maybe empty.
LINE_OR_EMPTY = PRINTABLE.replace("]+$", "]*$")
# Free text: line breaks and tabs allowed, other control characters not (NUL breaks PostgreSQL).
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]*$"

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=MULTILINE)]
OptionalText = Annotated[str, msgspec.Meta(max_length=2000, pattern=MULTILINE)]
PhotoRef = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=PRINTABLE)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=PRINTABLE)]


Mode = Annotated[str, one_of(*rules.MODES)]
RecordCategory = Annotated[str, one_of(*rules.RECORD_CATEGORIES)]


class Attachment(Input):
    """A document of the contract (the signed text, a filing receipt), by reference."""

    name: Label
    ref: PhotoRef


class ContractIn(Input):
    community_id: UUID
    company_id: UUID
    mode: Mode
    starts_on: date
    ends_on: date | None
    fee_per_m2_month: Money
    subsidy_per_m2_month: Money = Money(0)
    services: list[Label] = msgspec.field(default_factory=list)
    attachments: list[Attachment] = msgspec.field(default_factory=list)


class ContractOut(msgspec.Struct):
    id: UUID
    community_id: UUID
    company_id: UUID
    mode: str
    status: str
    starts_on: date
    ends_on: date | None
    fee_per_m2_month: str
    subsidy_per_m2_month: str
    services: list[str]
    attachments: list[dict[str, str]]
    no_fixed_term: bool
    fixed_term_ended_on: date | None
    notice_given_on: date | None
    end_reason: str
    created_at: datetime


class TerminateIn(Input):
    notice_given_on: date
    ends_on: date
    reason: OptionalText = ""


class NonRenewalIn(Input):
    notice_given_on: date


class ServiceRecordIn(Input):
    performed_on: date
    category: RecordCategory
    description: Text
    place: Annotated[str, msgspec.Meta(max_length=200, pattern=LINE_OR_EMPTY)] = ""
    photos: list[PhotoRef] = msgspec.field(default_factory=list)


class ServiceRecordBatchIn(Input):
    batch_key: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=PRINTABLE)]
    records: list[ServiceRecordIn]


class ServiceRecordOut(msgspec.Struct):
    id: UUID
    contract_id: UUID
    community_id: UUID
    performed_on: date
    category: str
    description: str
    place: str
    photos: list[str]
    batch_id: UUID | None
    created_at: datetime


class ServiceRecordBatchOut(msgspec.Struct):
    batch_id: UUID
    batch_key: str
    count: int
    record_ids: list[UUID]
