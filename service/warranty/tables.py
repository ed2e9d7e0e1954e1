"""Renovation works (改造工程), their components under warranty, repair tickets.

Scoping reads ``Work.contractor`` and ``Work.community`` (service/auth/scope.py).
"""

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from service.registry.tables import Building, Community, District, Household, Organization


class Work(Table, tablename="work"):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    contractor = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    accepted_on = Date()
    settlement_fen = BigInt(default=0)
    created_at = Timestamptz()
    # 建设单位 (the client of the works), as named in the contract.
    construction_unit = Varchar(length=200, default="")
    # 质量保证金: at most 3% of the settlement.
    retention_fen = BigInt(default=0)
    defects_liability_months = Integer(default=12)


class WorkBuilding(Table, tablename="work_building"):
    """A building a work covers; a work with none covers its whole community."""

    id = UUID(primary_key=True)
    work = ForeignKey(Work, on_delete=OnDelete.restrict, index=True)
    building = ForeignKey(Building, on_delete=OnDelete.restrict, index=True)


class WorkComponent(Table, tablename="work_component"):
    """One category of a work with its warranty end (last covered day, inclusive)."""

    id = UUID(primary_key=True)
    work = ForeignKey(Work, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    category = Varchar(length=20)
    # The contract's term when it names one (None: the statutory minimum).
    warranty_years = Integer(null=True, default=None)
    warranty_seasons = Integer(null=True, default=None)
    # Months added to the years (``other`` may take a term under a year).
    warranty_months = Integer(null=True, default=None)
    warranty_until = Date(index=True)
    # The period's last day before Civil Code art. 203 moved it off a rest day: kept so
    # that a changed working-day calendar can move the end again.
    period_last_day = Date(null=True, default=None, index=True)


class RepairPolicy(Table, tablename="repair_policy"):
    """A district's configurable repair settings (defaults in rules.py when absent)."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, unique=True)
    emergency_hours = Integer(default=24)
    normal_hours = Integer(default=168)
    heating_start = Varchar(length=5, default="11-15")
    heating_end = Varchar(length=5, default="03-15")
    cooling_start = Varchar(length=5, default="06-01")
    cooling_end = Varchar(length=5, default="09-30")
    updated_at = Timestamptz()


class RepairTicket(Table, tablename="repair_ticket"):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    building = ForeignKey(Building, null=True, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, null=True, on_delete=OnDelete.restrict, index=True)
    category = Varchar(length=20)
    description = Text()
    photos = JSON(default=[])
    urgency = Varchar(length=12)
    major = Boolean(default=False)
    status = Varchar(length=16, index=True)
    # rules.RESPONSIBLE_KINDS
    responsible_kind = Varchar(length=12)
    responsible_org = ForeignKey(Organization, null=True, on_delete=OnDelete.restrict, index=True)
    # The work the ticket was checked against under warranty (kept after a re-route).
    work = ForeignKey(Work, null=True, on_delete=OnDelete.restrict, index=True)
    component = ForeignKey(WorkComponent, null=True, on_delete=OnDelete.restrict)
    warranty_until = Date(null=True, default=None)
    reason = Text()
    # Set when the fund-use proposal for a fund-path ticket is created (issue 4).
    fund_use_id = UUID(null=True, default=None)
    reporter_id = UUID()
    reporter_role = Varchar(length=16)
    reported_at = Timestamptz()
    due_at = Timestamptz(index=True)
    accepted_at = Timestamptz(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    done_at = Timestamptz(null=True, default=None)
    verified_at = Timestamptz(null=True, default=None)
    reopen_count = Integer(default=0)
    dispute_note = Text(null=True, default=None)
    dispute_decision = Varchar(length=12, null=True, default=None)
    updated_at = Timestamptz()
    # Where the fault is: private (a household's own part) | common.
    part = Varchar(length=8, default="common")
    # An operator's line (water | power | gas | heat | telecom), else None.
    utility = Varchar(length=10, null=True, default=None)
    # The contractor the bureau took the ticket from after its due time (arts. 9, 12).
    taken_from = ForeignKey(Organization, null=True, on_delete=OnDelete.restrict, index=True)
    taken_at = Timestamptz(null=True, default=None)


class RepairEvent(Table, tablename="repair_event"):
    """Each step of a ticket: who, when, from which status to which."""

    id = UUID(primary_key=True)
    ticket = ForeignKey(RepairTicket, on_delete=OnDelete.restrict, index=True)
    action = Varchar(length=20)
    from_status = Varchar(length=16, null=True, default=None)
    to_status = Varchar(length=16)
    actor_id = UUID(null=True, default=None)
    actor_name = Varchar(length=80)
    actor_role = Varchar(length=16)
    note = Text(null=True, default=None)
    at = Timestamptz()


class WarrantyCharge(Table, tablename="warranty_charge"):
    """A repair cost charged to a contractor who did not come within the due time: the
    bureau gave its warranty ticket to another repairer (房屋建筑工程质量保修办法 art. 12).
    It comes out of the work's retention money and stands in the contractor's record."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    ticket = ForeignKey(RepairTicket, on_delete=OnDelete.restrict, unique=True)
    work = ForeignKey(Work, on_delete=OnDelete.restrict, index=True)
    contractor = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    repairer = ForeignKey(Organization, on_delete=OnDelete.restrict)
    amount_fen = BigInt()
    note = Text()
    created_by = UUID()
    created_at = Timestamptz()


class WorkdayOverride(Table, tablename="workday_override"):
    """The district's own working-day decision for one day, laid over the national
    calendar: ``working`` True makes it a working day, False a rest day."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    day = Date(index=True)
    working = Boolean()
    note = Text()
    created_by = UUID()
    created_at = Timestamptz()
