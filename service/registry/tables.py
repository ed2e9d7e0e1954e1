"""Registry tables: district, areas (片区), communities (小区), buildings, households (房屋),
owners and their history, organisations.

Floor area is stored in hundredths of a square metre and money in fen, both as integers.
Foreign keys restrict deletion: nothing registered is ever cascaded away.
"""

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class District(Table, tablename="district"):
    id = UUID(primary_key=True)
    name = Varchar(length=100)
    code = Varchar(length=20, unique=True)


class Area(Table, tablename="area"):
    """A renovation area (片区): a group of contiguous communities renovated together."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    code = Varchar(length=40)
    renovation_year = Integer(null=True, default=None)
    created_at = Timestamptz()


class Community(Table, tablename="community"):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    area = ForeignKey(Area, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    code = Varchar(length=40)
    built_year = Integer()
    # First deposit rate of the maintenance fund, fen per m² (建设部令第165号 art. 7).
    deposit_rate_fen = BigInt()
    # How owners' fund-use votes are counted (service.votes.rules.VoteRule).
    vote_rule = Varchar(length=20, default="civil_code")
    # Which sub-account a fund use draws first: interest_first | principal_first.
    fund_draw_order = Varchar(length=20, default="interest_first")
    created_at = Timestamptz()


class Organization(Table, tablename="organization"):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=16)
    name = Varchar(length=200)
    # Set for an owners' committee: the one community it represents.
    community = ForeignKey(Community, null=True, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz()


class StreetArea(Table, tablename="street_area"):
    """An area a street office (an organisation of kind ``street``) covers, as the bureau
    named it: the office's users see the area and its communities."""

    id = UUID(primary_key=True)
    street = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    area = ForeignKey(Area, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz()


class Building(Table, tablename="building"):
    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=60)
    floors = Integer()
    has_elevator = Boolean(default=False)
    created_at = Timestamptz()


class Owner(Table, tablename="owner"):
    """A person or unit owning flats; recognised by a keyed digest of the identity number.

    The number itself is never stored: only the digest (to recognise one owner across
    flats) and the masked form shown to people.
    """

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    id_digest = Varchar(length=64)
    id_masked = Varchar(length=40)
    phone = Varchar(length=30, null=True, default=None)
    created_at = Timestamptz()


class Household(Table, tablename="household"):
    """A flat (房屋); it keeps its identity and fund account when the owner changes."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    building = ForeignKey(Building, on_delete=OnDelete.restrict, index=True)
    unit_no = Varchar(length=20)
    room_no = Varchar(length=20)
    floor_area = BigInt()  # hundredths of m²
    owner = ForeignKey(Owner, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz()
    # The storey the flat is on, 1 = ground floor (lift retrofits share costs by it).
    floor = Integer(null=True, default=None)


class Ownership(Table, tablename="ownership"):
    """Who owned a household from when to when; a sale closes one row and opens another."""

    id = UUID(primary_key=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, index=True)
    owner = ForeignKey(Owner, on_delete=OnDelete.restrict, index=True)
    since = Date()
    until = Date(null=True, default=None)
    recorded_at = Timestamptz()
