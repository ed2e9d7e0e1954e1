"""Lift retrofits (既有住宅加装电梯): the project of one building unit, its owners' consent,
the cost shares by floor, payments, stage documents, and the yearly upkeep afterwards.

Money is integer fen, floor area integer hundredths of m², coefficients integer
hundredths (0.5 → 50). Foreign keys restrict deletion: nothing recorded is cascaded away.
"""

from __future__ import annotations

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

from service.fund_uses.tables import FundUse
from service.registry.tables import Building, Community, District, Household, Owner
from service.warranty.tables import Work


class LiftSettings(Table, tablename="lift_settings"):
    """A district's lift data: default floor coefficients, the subsidy per lift, and
    whether owners may pay from their maintenance-fund account (defaults in rules.py
    while no row exists)."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, unique=True)
    coefficients = JSON()  # {"1": 0, "2": 50, ...}: hundredths per floor
    subsidy_fen = BigInt()
    maintenance_fund_allowed = Boolean(default=True)
    updated_by = UUID()
    updated_at = Timestamptz()


class LiftProject(Table, tablename="lift_project"):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    building = ForeignKey(Building, on_delete=OnDelete.restrict, index=True)
    unit_no = Varchar(length=20, null=True, default=None)  # None: the whole building
    status = Varchar(length=20, index=True)
    # The owners' representative: the owner of this flat of the unit.
    applicant_household = ForeignKey(
        Household, null=True, default=None, on_delete=OnDelete.restrict
    )
    estimated_cost_fen = BigInt()
    subsidy_fen = BigInt()  # the government subsidy applied (at most the cost)
    coefficients = JSON()  # as used for the shares: {"1": 0, "2": 50, ...}
    upkeep_coefficients = JSON(null=True, default=None)  # None: the same as the cost's
    total_area = BigInt()
    tally = JSON(null=True, default=None)  # the published consent result
    published_at = Timestamptz(null=True, default=None)
    subsidy_status = Varchar(length=12, default="unclaimed")
    subsidy_claimed_on = Date(null=True, default=None)
    subsidy_paid_on = Date(null=True, default=None)
    subsidy_reference = Varchar(length=100, null=True, default=None)
    work = ForeignKey(Work, null=True, default=None, on_delete=OnDelete.restrict)
    accepted_on = Date(null=True, default=None)
    registration_no = Varchar(length=60, null=True, default=None)
    registered_on = Date(null=True, default=None)
    created_by = UUID()
    created_role = Varchar(length=16)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class LiftShare(Table, tablename="lift_share"):
    """One household's part of the owners' cost, fixed when the project is created (an
    agreed deviation re-shares the rest while consent is open)."""

    id = UUID(primary_key=True)
    project = ForeignKey(LiftProject, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, index=True)
    floor = Integer()
    floor_area = BigInt()
    coefficient = Integer()  # hundredths
    share_fen = BigInt()
    agreed_fen = BigInt(null=True, default=None)  # a recorded deviation: the agreed share
    agreed_reason = Text(null=True, default=None)
    agreed_on = Date(null=True, default=None)


class LiftConsent(Table, tablename="lift_consent"):
    """A household's consent form; a later one replaces it while consent is open."""

    id = UUID(primary_key=True)
    project = ForeignKey(LiftProject, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict)
    owner = ForeignKey(Owner, on_delete=OnDelete.restrict)
    choice = Varchar(length=10)
    reason = Text(null=True, default=None)  # an objection's reason (published)
    cast_by = UUID()
    cast_role = Varchar(length=16)
    cast_at = Timestamptz()


class LiftDocument(Table, tablename="lift_document"):
    """A document of a stage: approvals, permits, acceptance reports, certificates."""

    id = UUID(primary_key=True)
    project = ForeignKey(LiftProject, on_delete=OnDelete.restrict, index=True)
    stage = Varchar(length=20)
    kind = Varchar(length=30)
    title = Varchar(length=200)
    number = Varchar(length=100, null=True, default=None)  # 文号 / certificate number
    issued_on = Date(null=True, default=None)
    recorded_by = UUID()
    recorded_at = Timestamptz()


class LiftEvent(Table, tablename="lift_event"):
    """Each step of a project's state machine: who, when, from which stage to which."""

    id = UUID(primary_key=True)
    project = ForeignKey(LiftProject, on_delete=OnDelete.restrict, index=True)
    action = Varchar(length=30)
    from_status = Varchar(length=20, null=True, default=None)
    to_status = Varchar(length=20)
    on_date = Date()
    note = Text(null=True, default=None)
    actor_id = UUID()
    actor_role = Varchar(length=16)
    at = Timestamptz()


class LiftPayment(Table, tablename="lift_payment"):
    """A household's payment towards its share: direct, provident-fund withdrawal (with
    the centre's reference) or from its maintenance-fund account (a fund use)."""

    id = UUID(primary_key=True)
    project = ForeignKey(LiftProject, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, index=True)
    owner = ForeignKey(Owner, on_delete=OnDelete.restrict)
    method = Varchar(length=20)
    amount_fen = BigInt()
    reference = Varchar(length=100, null=True, default=None)
    fund_use = ForeignKey(FundUse, null=True, default=None, on_delete=OnDelete.restrict)
    paid_on = Date()
    recorded_by = UUID()
    recorded_role = Varchar(length=16)
    idempotency_key = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz()


class LiftUpkeep(Table, tablename="lift_upkeep"):
    """A year's maintenance or inspection cost of the lift, shared by the unit's owners."""

    id = UUID(primary_key=True)
    project = ForeignKey(LiftProject, on_delete=OnDelete.restrict, index=True)
    year = Integer()
    kind = Varchar(length=20)  # maintenance | inspection
    amount_fen = BigInt()
    coefficients = JSON()
    recorded_by = UUID()
    created_at = Timestamptz()


class LiftUpkeepShare(Table, tablename="lift_upkeep_share"):
    id = UUID(primary_key=True)
    upkeep = ForeignKey(LiftUpkeep, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, index=True)
    floor = Integer()
    floor_area = BigInt()
    coefficient = Integer()
    share_fen = BigInt()
