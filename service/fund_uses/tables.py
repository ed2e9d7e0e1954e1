"""Fund uses: the proposal, its apportionment, the owners' ballots, and the payments.

The money itself moves in the journal (``fund_entry`` of kind ``use`` with this use's
id); these tables hold the decision and its basis, so "why was I charged this" has an
answer.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from service.registry.tables import (
    Building,
    Community,
    District,
    Household,
    Organization,
    Owner,
)


class FundUse(Table, tablename="fund_use"):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    description = Text()
    component = Varchar(length=30, null=True, default=None)
    estimated_cost_fen = BigInt()
    approved_cost_fen = BigInt(null=True, default=None)
    paid_fen = BigInt(default=0)
    self_funded_fen = BigInt(default=0)
    total_area = BigInt()  # hundredths of m², the apportionment's basis
    emergency = Boolean(default=False)
    emergency_reason = Varchar(length=30, null=True, default=None)
    status = Varchar(length=20, index=True)
    vote_rule = Varchar(length=20)
    vote_closes_on = Date(null=True, default=None)
    tally = JSON(null=True, default=None)  # the published result when the vote closed
    proposer_id = UUID()
    proposer_role = Varchar(length=16)
    proposer_org = ForeignKey(Organization, null=True, default=None, on_delete=OnDelete.restrict)
    approver_id = UUID(null=True, default=None)
    approved_at = Timestamptz(null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # The repair ticket that opened this use as a draft (DOMAIN "Repairs"), if any.
    repair_ticket_id = UUID(null=True, default=None, index=True)


class FundUsePart(Table, tablename="fund_use_part"):
    """A part the use repairs: its category and, when named, one building (165号令
    art. 18: the warranty guard runs on every part). No building: the charged ones."""

    id = UUID(primary_key=True)
    fund_use = ForeignKey(FundUse, on_delete=OnDelete.restrict, index=True)
    category = Varchar(length=30)
    building = ForeignKey(Building, null=True, default=None, on_delete=OnDelete.restrict)


class FundUseShare(Table, tablename="fund_use_share"):
    """One household's part of the cost, by floor area (art. 19), fixed at proposal."""

    id = UUID(primary_key=True)
    fund_use = ForeignKey(FundUse, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, index=True)
    owner = ForeignKey(Owner, on_delete=OnDelete.restrict)
    floor_area = BigInt()
    share_fen = BigInt()


class FundBallot(Table, tablename="fund_ballot"):
    """A household's ballot; a later one replaces it while the vote is open (audited)."""

    id = UUID(primary_key=True)
    fund_use = ForeignKey(FundUse, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict)
    owner = ForeignKey(Owner, on_delete=OnDelete.restrict)
    choice = Varchar(length=10)
    cast_by = UUID()
    cast_role = Varchar(length=16)
    cast_at = Timestamptz()


class FundDisbursement(Table, tablename="fund_disbursement"):
    """A staged payment to the repairer, posted to households by the stored shares."""

    id = UUID(primary_key=True)
    fund_use = ForeignKey(FundUse, on_delete=OnDelete.restrict, index=True)
    stage = Varchar(length=10)  # advance | progress | final
    amount_fen = BigInt()
    posted_fen = BigInt()
    self_funded_fen = BigInt()
    entry_id = UUID(null=True, default=None)
    created_by = UUID()
    created_at = Timestamptz()


class FundSelfFunded(Table, tablename="fund_self_funded"):
    """What a household's balance could not cover (自筹): owed by the owner at the time."""

    id = UUID(primary_key=True)
    disbursement = ForeignKey(FundDisbursement, on_delete=OnDelete.restrict, index=True)
    fund_use = ForeignKey(FundUse, on_delete=OnDelete.restrict)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, index=True)
    owner = ForeignKey(Owner, on_delete=OnDelete.restrict)
    amount_fen = BigInt()


class FundNoticeServed(Table, tablename="fund_notice_served"):
    """The vote's notice counts as served (送达) on an owner when the owner first opens it;
    one row per fund use and owner (a unique index), never updated."""

    id = UUID(primary_key=True)
    fund_use = ForeignKey(FundUse, on_delete=OnDelete.restrict, index=True)
    owner = ForeignKey(Owner, on_delete=OnDelete.restrict)
    account = UUID()
    served_at = Timestamptz()
