"""Request and response bodies of the standards context (API.md "Standards and
forecast": the catalogue and inspections; the rest is ours, in the same style)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from service.registry.schemas import MULTILINE, PRINTABLE, Input, one_of
from service.standards import rules
from service.warranty.rules import CATEGORIES, UTILITIES

Note = Annotated[str, msgspec.Meta(max_length=2000, pattern=MULTILINE)]
# Bounds of list items do not reach the OpenAPI document: the service checks them
# (service.standards.service.record_inspection), so no schema-valid body is refused here.
Photo = str
MAX_PHOTO_NAME = 500
ItemCode = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Level = Annotated[str, one_of(*rules.LEVELS)]
Result = Annotated[str, one_of(*rules.RESULTS)]
Action = Annotated[str, one_of(*rules.ACTIONS)]
Fallback = Annotated[str, one_of("company", "street")]
Utility = Annotated[str, one_of(*UTILITIES)]
WarrantyCategory = Annotated[str, one_of(*CATEGORIES)]
RatingItem = Annotated[str, one_of(*rules.RATING_ITEMS)]
Workdays = Annotated[int, msgspec.Meta(ge=1, le=rules.MAX_WORKDAYS)]
Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=PRINTABLE)]
Quarter = Annotated[str, msgspec.Meta(pattern=r"^\d{4}Q[1-4]$")]


class StandardItemOut(msgspec.Struct):
    code: str
    name: str
    level: str
    group: str
    group_name: str
    check: str
    utility: str | None
    warranty_category: str | None
    fallback: str
    workdays: int
    rating_item: str | None
    district_own: bool


class CatalogueOut(msgspec.Struct):
    id: UUID
    version: int
    items: list[StandardItemOut]
    created_at: datetime


class StandardItemIn(Input):
    """A district's own item, added to a new version of its catalogue."""

    code: ItemCode
    name: Text200
    level: Level
    group: Text200
    check: Annotated[str, msgspec.Meta(max_length=500, pattern=MULTILINE)] = ""
    utility: Utility | None = None
    warranty_category: WarrantyCategory | None = None
    fallback: Fallback = "company"
    workdays: Workdays = rules.DEFAULT_WORKDAYS
    rating_item: RatingItem | None = None


class ResultIn(Input):
    code: ItemCode
    result: Result
    note: Note | None = None
    photos: Annotated[list[Photo], msgspec.Meta(max_length=9)] = msgspec.field(default_factory=list)
    # The operator (an organisation of kind ``operator``) whose line failed, when known.
    operator_id: UUID | None = None


class InspectionIn(Input):
    items: Annotated[list[ResultIn], msgspec.Meta(min_length=1, max_length=200)]
    community_id: UUID | None = None
    area_id: UUID | None = None
    inspected_on: date | None = None  # default: today
    # The street office that carried out the inspection for the bureau.
    street_office_id: UUID | None = None
    note: Note = ""


class TaskOut(msgspec.Struct):
    id: UUID
    code: str
    item_name: str
    level: str
    community_id: UUID | None
    area_id: UUID | None
    place_name: str | None
    status: str
    responsible_kind: str
    responsible_org_id: UUID | None
    responsible_org_name: str | None
    reason: str
    opened_on: date
    due_on: date
    overdue: bool
    inspection_id: UUID
    answer: str | None
    answered_on: date | None
    closed_on: date | None
    closed_by_inspection_id: UUID | None
    close_note: str | None


class ResultOut(msgspec.Struct):
    code: str
    name: str
    group: str
    result: str
    note: str
    photos: list[str]


class InspectionOut(msgspec.Struct):
    id: UUID
    level: str
    community_id: UUID | None
    area_id: UUID | None
    place_name: str | None
    inspected_on: date
    catalogue_version: int
    street_office_id: UUID | None
    note: str
    met: int
    not_met: int
    na: int
    results: list[ResultOut]
    tasks: list[TaskOut]
    closed_tasks: list[UUID]
    created_at: datetime


class TransitionIn(Input):
    action: Action
    note: Note | None = None


class MatrixColumn(msgspec.Struct):
    code: str
    name: str
    group: str
    group_name: str


class MatrixRow(msgspec.Struct):
    id: UUID
    code: str
    name: str
    area_name: str | None
    cells: dict[str, str]
    met: int
    inspected: int
    overdue: int
    last_inspected_on: date | None


class MatrixOut(msgspec.Struct):
    quarter: str
    starts_on: date
    ends_on: date
    level: str
    columns: list[MatrixColumn]
    rows: list[MatrixRow]
    legend: dict[str, str]


class QuarterSummary(msgspec.Struct):
    quarter: str
    places: int
    places_inspected: int
    items_inspected: int
    items_met: int
    items_not_met: int
    tasks_opened: int
    tasks_overdue: int


class HistoryOut(msgspec.Struct):
    level: str
    quarters: list[QuarterSummary]


class StandardsEvidence(msgspec.Struct):
    """A community's standards status in a rating period (the bureau decides the score)."""

    items: list[str]  # the catalogue items counted here
    inspections: int
    last_inspected_on: date | None
    items_met: int
    items_not_met: int
    items_na: int
    rectifications_open: int
    rectifications_overdue: int
