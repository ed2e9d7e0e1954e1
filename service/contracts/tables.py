"""Property service contracts (物业服务合同, Civil Code arts. 937-950) and service records.

Scoping reads ``Contract.company``, ``Contract.community`` and ``Contract.status``
(service/auth/scope.py): a company sees the communities where it holds a 'live' contract.
"""

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from service.registry.tables import Community, District, Household, Organization


class Contract(Table, tablename="contract"):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    company = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    mode = Varchar(length=16)  # market | guaranteed | self
    status = Varchar(length=16, default="draft")  # rules.STATUSES
    starts_on = Date()
    # None: no fixed term (art. 948 continuation after the term ran out).
    ends_on = Date(null=True, default=None)
    fee_fen_per_m2_month = BigInt(default=0)
    subsidy_fen_per_m2_month = BigInt(default=0)
    services = JSON(default=[])
    created_at = Timestamptz()
    # Added by issue 5.
    attachments = JSON(default=[])
    # The fixed term's last day before an art. 948 continuation.
    fixed_term_ended_on = Date(null=True, default=None)
    notice_given_on = Date(null=True, default=None)
    # expired | terminated, once status is 'ended' (or terminated with a future end).
    end_reason = Varchar(length=16, default="")
    created_by = UUID(null=True, default=None)
    created_by_role = Varchar(length=16, default="")
    activated_by = UUID(null=True, default=None)
    activated_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(null=True, default=None)
    # Added by issue 10: the owners' decision (or bureau placement) behind the contract,
    # the dismissal behind its termination, who gave notice, and hand-over (arts. 949-950).
    decision_id = UUID(null=True, default=None)
    dismissal_id = UUID(null=True, default=None)
    notice_by = Varchar(length=16, default="")  # company | owners | bureau
    # The first day of hand-over: the day after the term (or notice period) ran out.
    handover_since = Date(null=True, default=None)


class ServiceRecordBatch(Table, tablename="service_record_batch"):
    """A batch of service records, idempotent per (contract, batch_key)."""

    id = UUID(primary_key=True)
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict, index=True)
    batch_key = Varchar(length=100)
    fingerprint = Varchar(length=64)
    record_count = Integer()
    created_by = UUID()
    created_at = Timestamptz()


class ServiceRecord(Table, tablename="service_record"):
    """One thing a company did: cleaning, patrol, greening, a facility check, a repair."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict, index=True)
    company = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    performed_on = Date()
    category = Varchar(length=20)
    description = Text()
    place = Varchar(length=200, default="")
    photos = JSON(default=[])
    from_batch = ForeignKey(ServiceRecordBatch, null=True, on_delete=OnDelete.restrict, index=True)
    # Position inside its batch (0-based), so a replayed batch lists ids in order.
    batch_index = Integer(null=True, default=None)
    created_by = UUID()
    created_at = Timestamptz()


class ManagementDecision(Table, tablename="management_decision"):
    """The owners' common decision on who manages the community (Civil Code art. 278
    para 1 item 4: choosing, renewing or dismissing a property company, or managing it
    themselves), counted by service.votes.rules; or the bureau's placement under
    社区保障性物业 where the owners cannot decide (kind ``placement``, no vote)."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=16)  # rules.DECISION_KINDS
    status = Varchar(length=16)  # rules.DECISION_STATUSES
    # The company chosen, renewed, dismissed or placed; None for self-management.
    company = ForeignKey(Organization, null=True, on_delete=OnDelete.restrict, index=True)
    mode = Varchar(length=16, default="")  # the mode chosen (choose/renew/placement)
    # The contract renewed or dismissed.
    contract = ForeignKey(Contract, null=True, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    note = Text(default="")
    tally = JSON(null=True, default=None)  # the published result
    opened_by = UUID()
    opened_role = Varchar(length=16)
    opened_at = Timestamptz()
    closed_by = UUID(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class ManagementBallot(Table, tablename="management_ballot"):
    """One flat's ballot; a later ballot for the flat replaces it while voting is open."""

    id = UUID(primary_key=True)
    decision = ForeignKey(ManagementDecision, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, index=True)
    choice = Varchar(length=8)
    cast_by = UUID()
    cast_role = Varchar(length=16)
    cast_at = Timestamptz()


class HandoverRecord(Table, tablename="handover_record"):
    """What the outgoing organisation hands back (Civil Code art. 949): documents, keys,
    equipment, the property-service rooms and the maintenance fund's account details;
    confirmed by the outgoing side and by the incoming side (committee or successor)."""

    id = UUID(primary_key=True)
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict, unique=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    documents = JSON(default=[])
    keys = JSON(default=[])
    equipment = JSON(default=[])
    rooms = JSON(default=[])
    fund_account = Text(default="")
    note = Text(default="")
    recorded_by = UUID()
    recorded_at = Timestamptz()
    outgoing_confirmed_by = UUID(null=True, default=None)
    outgoing_confirmed_at = Timestamptz(null=True, default=None)
    incoming_confirmed_by = UUID(null=True, default=None)
    incoming_confirmed_role = Varchar(length=16, default="")
    incoming_confirmed_at = Timestamptz(null=True, default=None)
