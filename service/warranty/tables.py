"""Renovation works (改造工程) and who built them; the foundation keeps what scoping needs."""

from piccolo.columns import UUID, BigInt, Date, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from service.registry.tables import Community, District, Organization


class Work(Table, tablename="work"):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    contractor = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    accepted_on = Date()
    settlement_fen = BigInt(default=0)
    created_at = Timestamptz()
