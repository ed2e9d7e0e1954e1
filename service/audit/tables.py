"""The audit log: who changed what, when, with before and after values. Append-only."""

from piccolo.columns import JSON, UUID, BigSerial, Timestamptz, Varchar
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    id = BigSerial(primary_key=True)
    at = Timestamptz()
    district_id = UUID(null=True, default=None, index=True)
    actor_id = UUID(null=True, default=None)
    actor_name = Varchar(length=80)
    action = Varchar(length=60)
    entity = Varchar(length=40)
    entity_id = Varchar(length=64, index=True)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
