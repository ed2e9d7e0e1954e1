"""Property service contracts (物业服务合同, Civil Code arts. 937-950).

The foundation keeps only what scoping needs (which company serves which community,
when); service records, ratings and subsidies build on it.
"""

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Date,
    ForeignKey,
    OnDelete,
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
    ends_on = Date(null=True, default=None)
    fee_fen_per_m2_month = BigInt(default=0)
    subsidy_fen_per_m2_month = BigInt(default=0)
    services = JSON(default=[])
    created_at = Timestamptz()
