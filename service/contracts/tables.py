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

from service.registry.tables import Community, District, Organization


class Contract(Table, tablename="contract"):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    company = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    mode = Varchar(length=16)  # market | guaranteed | self
    status = Varchar(length=16, default="draft")  # draft | live | ended
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
