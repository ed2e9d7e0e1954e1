"""The plan's kept standards (改造提质标准): a versioned catalogue of items per district,
inspections of a community or an area item by item, and the rectification task a
not-met item opens for its responsible party.

Foreign keys restrict deletion: nothing recorded is cascaded away.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from service.registry.tables import Area, Community, District, Organization
from service.warranty.tables import Work


class StandardCatalogue(Table, tablename="standard_catalogue"):
    """One version of a district's standards catalogue (data, never edited: adding an
    item makes a new version; an inspection keeps the version it used).

    ``items``: [{code, name, level, group, check, utility?, warranty_category?,
    fallback, workdays, rating_item?}] (see ``service.standards.rules.DEFAULT_ITEMS``).
    """

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    version = Integer()
    items = JSON(default=[])
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz()


class Inspection(Table, tablename="standard_inspection"):
    """An inspection of one community or one area (exactly one of the two is set)."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    level = Varchar(length=10)  # community | area
    community = ForeignKey(Community, null=True, default=None, on_delete=OnDelete.restrict)
    area = ForeignKey(Area, null=True, default=None, on_delete=OnDelete.restrict)
    catalogue = ForeignKey(StandardCatalogue, on_delete=OnDelete.restrict)
    inspected_on = Date(index=True)
    # The street office that carried it out for the bureau, when one did.
    street_office = ForeignKey(Organization, null=True, default=None, on_delete=OnDelete.restrict)
    note = Text(default="")
    met = Integer(default=0)
    not_met = Integer(default=0)
    na = Integer(default=0)
    created_by = UUID()
    created_role = Varchar(length=16)
    created_at = Timestamptz()


class InspectionResult(Table, tablename="standard_inspection_result"):
    """One item's finding: met | not_met | na, with a note and photo names."""

    id = UUID(primary_key=True)
    inspection = ForeignKey(Inspection, on_delete=OnDelete.restrict, index=True)
    code = Varchar(length=40)
    result = Varchar(length=10)
    note = Text(default="")
    photos = JSON(default=[])


class Rectification(Table, tablename="standard_rectification"):
    """A rectification task (整改) opened by a not-met item; a later inspection finding
    the item met closes it. ``status``: open | answered | closed."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    level = Varchar(length=10)
    community = ForeignKey(Community, null=True, default=None, on_delete=OnDelete.restrict)
    area = ForeignKey(Area, null=True, default=None, on_delete=OnDelete.restrict)
    code = Varchar(length=40)
    item_name = Varchar(length=200)
    opened_by = ForeignKey(Inspection, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=12, index=True)
    responsible_kind = Varchar(length=12)  # company | contractor | operator | street
    responsible_org = ForeignKey(
        Organization, null=True, default=None, on_delete=OnDelete.restrict, index=True
    )
    work = ForeignKey(Work, null=True, default=None, on_delete=OnDelete.restrict)
    reason = Text(default="")
    opened_on = Date()
    due_on = Date(index=True)
    answer = Text(null=True, default=None)
    answered_on = Date(null=True, default=None)
    answered_by = UUID(null=True, default=None)
    closed_on = Date(null=True, default=None)
    closed_by = UUID(null=True, default=None)
    closed_by_inspection = ForeignKey(
        Inspection, null=True, default=None, on_delete=OnDelete.restrict
    )
    close_note = Text(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
