"""Request and response bodies of the registry API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from service.units import Area, Money

# No control characters (NUL breaks PostgreSQL text), and at least one visible character:
# a name of spaces or zero-width characters alone is no name.
_UNSEEN = r"\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff"
PRINTABLE = rf"^[^{_UNSEEN}]*[^\s{_UNSEEN}][^{_UNSEEN}]*$"
# The same characters for an optional one-line text (may be empty or blank).
LINE_OR_EMPTY = rf"^[^{_UNSEEN}]*$"
# Free text (descriptions, notes, reasons): line breaks and tabs allowed, no other control
# characters.
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=PRINTABLE)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z_\-]+$")]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=PRINTABLE)]
Year = Annotated[int, msgspec.Meta(ge=1900, le=2100)]
Storey = Annotated[int, msgspec.Meta(ge=1, le=120)]


class Input(msgspec.Struct, forbid_unknown_fields=True):
    """A request body: unknown fields are refused (mass-assignment guard)."""


def one_of(*values: str) -> msgspec.Meta:
    """``Annotated[str, one_of(...)]``: a string field whose values are ``values``,
    declared as an enum in the OpenAPI document (tests/test_openapi_contract.py insists
    on it for such fields); the service refuses anything else with a 422 naming the
    field and the values."""
    return msgspec.Meta(extra_json_schema={"extra": {"enum": list(values)}})


OrgKind = Annotated[str, one_of("bureau", "audit", "company", "committee", "contractor", "street")]


class OrganizationIn(Input):
    kind: OrgKind
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=PRINTABLE)]
    community_id: UUID | None = None


class OrganizationOut(msgspec.Struct):
    id: UUID
    kind: str
    name: str
    district_id: UUID
    community_id: UUID | None


class StreetAreasIn(Input):
    # The whole set of areas the street office covers (replaces the previous one).
    area_ids: Annotated[list[UUID], msgspec.Meta(max_length=200)]


class StreetAreasOut(msgspec.Struct):
    org_id: UUID
    area_ids: list[UUID]


class AreaIn(Input):
    name: Name
    code: Code
    renovation_year: Year | None = None


class AreaOut(msgspec.Struct):
    id: UUID
    name: str
    code: str
    renovation_year: int | None


class CommunityIn(Input):
    area_id: UUID
    name: Name
    code: Code
    built_year: Year
    deposit_rate_per_m2: Money
    vote_rule: Literal["civil_code", "strict_2007", "henan_objection"] = "civil_code"
    fund_draw_order: Literal["interest_first", "principal_first"] = "interest_first"


class CommunityOut(msgspec.Struct):
    id: UUID
    area_id: UUID
    name: str
    code: str
    built_year: int
    deposit_rate_per_m2: str
    households: int
    floor_area: str
    vote_rule: str
    fund_draw_order: str


class BuildingIn(Input):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=PRINTABLE)]
    floors: Annotated[int, msgspec.Meta(ge=1, le=120)]
    has_elevator: bool = False


class BuildingOut(msgspec.Struct):
    id: UUID
    community_id: UUID
    name: str
    floors: int
    has_elevator: bool


class HouseholdIn(Input):
    building_id: UUID
    unit_no: Short
    room_no: Short
    floor_area: Area
    owner_name: Name
    owner_id_no: Annotated[str, msgspec.Meta(min_length=15, max_length=20)]
    owner_phone: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    # When the current owner acquired the flat, if known (default: the day it is registered).
    owner_since: date | None = None
    # The storey, 1 = ground floor; at most the building's floors.
    floor: Storey | None = None


class HouseholdOut(msgspec.Struct):
    id: UUID
    community_id: UUID
    building_id: UUID
    building_name: str
    unit_no: str
    room_no: str
    floor_area: str
    owner_id: UUID
    owner_name: str
    owner_id_no: str  # always masked
    owner_phone: str | None
    floor: int | None = None


class FloorIn(Input):
    """The storey of a registered flat (1 = ground floor)."""

    floor: Storey


class TransferIn(Input):
    """A sale: the household keeps its identity and fund account; the owner changes."""

    owner_name: Name
    owner_id_no: Annotated[str, msgspec.Meta(min_length=15, max_length=20)]
    since: date
    owner_phone: Annotated[str, msgspec.Meta(max_length=30)] | None = None


class OwnershipOut(msgspec.Struct):
    owner_id: UUID
    owner_name: str
    owner_id_no: str
    since: date
    until: date | None


class ImportResult(msgspec.Struct):
    imported: int
    buildings_created: int
    owners_created: int
