"""Owners' complaints (投诉) against the community's property company."""

from piccolo.columns import (
    JSON,
    UUID,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from service.registry.tables import Building, Community, District, Household, Organization


class Complaint(Table, tablename="complaint"):
    """One complaint: who filed it, about what and where, the company's answer and the
    complainant's confirmation (service/complaints/rules.py has the states)."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    # The company holding the community's live contract when the complaint was filed.
    company = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    category = Varchar(length=16)
    place = Varchar(length=12)  # household | building | community
    building = ForeignKey(Building, null=True, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, null=True, on_delete=OnDelete.restrict, index=True)
    description = Text()
    photos = JSON(default=[])
    status = Varchar(length=12, index=True)
    complainant_id = UUID(index=True)
    complainant_role = Varchar(length=16)  # owner | committee
    # The committee (organisation) that filed it, so that any of its users may confirm.
    complainant_org = ForeignKey(Organization, null=True, on_delete=OnDelete.restrict)
    filed_at = Timestamptz(index=True)
    answer_due_at = Timestamptz()
    answer = Text(null=True, default=None)
    answered_by = UUID(null=True, default=None)
    first_answered_at = Timestamptz(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    answers = Integer(default=0)
    confirmation_note = Text(null=True, default=None)
    confirmed_by = UUID(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()
