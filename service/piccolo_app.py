"""The Piccolo app holding every table; its migrations live in ``migrations/changxiao/``.

One app rather than one per context: the contexts reference each other's tables, and
Piccolo's auto-migrations order cross-app foreign keys poorly.
"""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.audit.tables import AuditEntry
from service.auth.tables import Account
from service.contracts.tables import Contract
from service.registry.tables import (
    Area,
    Building,
    Community,
    District,
    Household,
    Organization,
    Owner,
    Ownership,
)
from service.warranty.tables import Work

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "changxiao"

APP_CONFIG = AppConfig(
    app_name="changxiao",
    migrations_folder_path=str(MIGRATIONS),
    table_classes=[
        District,
        Area,
        Community,
        Organization,
        Building,
        Owner,
        Household,
        Ownership,
        Account,
        AuditEntry,
        Contract,
        Work,
    ],
    migration_dependencies=[],
    commands=[],
)
