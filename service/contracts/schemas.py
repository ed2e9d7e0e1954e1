"""Request and response bodies of the contracts API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from service.contracts import rules
from service.registry.schemas import LINE_OR_EMPTY, PRINTABLE, Input, one_of
from service.units import Money

# One line: no control or zero-width characters (as the registry's PRINTABLE), maybe empty.
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


class ContractIn(Input, kw_only=True):
    community_id: UUID
    # None only for owners' self-management (mode ``self``): the committee manages.
    company_id: UUID | None = None
    mode: Mode
    starts_on: date
    ends_on: date | None
    fee_per_m2_month: Money
    subsidy_per_m2_month: Money = Money(0)
    services: list[Label] = msgspec.field(default_factory=list)
    attachments: list[Attachment] = msgspec.field(default_factory=list)
    # The owners' passed decision (choose/renew) or the bureau's placement behind it;
    # required from a committee.
    decision_id: UUID | None = None


class ContractOut(msgspec.Struct):
    id: UUID
    community_id: UUID
    # None under owners' self-management (mode ``self``).
    company_id: UUID | None
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
    # The organisation that manages: the company, or the committee under ``self``.
    manager_id: UUID
    decision_id: UUID | None
    dismissal_id: UUID | None
    notice_by: str
    handover_since: date | None


class TerminateIn(Input):
    notice_given_on: date
    # Optional for a no-fixed-term contract: notice day + the notice period (art. 948).
    ends_on: date | None = None
    reason: OptionalText = ""
    # The owners' passed dismissal decision (committee; bureau for a contract it did not place).
    decision_id: UUID | None = None


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


DecisionKind = Annotated[str, one_of(*rules.DECISION_KINDS)]
ChoiceValue = Annotated[str, one_of("yes", "no", "abstain")]
Side = Annotated[str, one_of(*rules.SIDES)]
Items = Annotated[list[Label], msgspec.Meta(max_length=200)]


class DecisionIn(Input):
    community_id: UUID
    kind: DecisionKind
    company_id: UUID | None = None
    mode: Mode | None = None
    contract_id: UUID | None = None
    title: Annotated[str, msgspec.Meta(max_length=200, pattern=LINE_OR_EMPTY)] = ""
    note: OptionalText = ""


class DecisionBallotIn(Input):
    household_id: UUID
    choice: ChoiceValue


class DecisionBallotOut(msgspec.Struct):
    decision_id: UUID
    household_id: UUID
    choice: str
    cast_at: datetime
    replaced: bool


class DecisionTallyOut(msgspec.Struct):
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
    matter: str


class DecisionOut(msgspec.Struct):
    id: UUID
    community_id: UUID
    kind: str
    status: str
    company_id: UUID | None
    mode: str
    contract_id: UUID | None
    title: str
    note: str
    tally: DecisionTallyOut | None
    opened_at: datetime
    closed_at: datetime | None


class HandoverIn(Input):
    """What is handed back (Civil Code art. 949)."""

    documents: Items = msgspec.field(default_factory=list)
    keys: Items = msgspec.field(default_factory=list)
    equipment: Items = msgspec.field(default_factory=list)
    rooms: Items = msgspec.field(default_factory=list)
    fund_account: OptionalText = ""
    note: OptionalText = ""


class ConfirmIn(Input):
    side: Side


class HandoverOut(msgspec.Struct):
    contract_id: UUID
    contract_status: str
    documents: list[str]
    keys: list[str]
    equipment: list[str]
    rooms: list[str]
    fund_account: str
    note: str
    recorded_at: datetime
    outgoing_confirmed_at: datetime | None
    incoming_confirmed_at: datetime | None
    incoming_confirmed_role: str
