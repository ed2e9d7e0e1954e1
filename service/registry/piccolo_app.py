"""Piccolo app of the registry, auth and audit context; migrations in ``migrations/registry/``.

It also registers the jobs' ``job_run`` table (``jobs/tables.py``), which these
migrations created.
"""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from jobs.tables import JobRun
from service.audit.tables import AuditEntry
from service.auth.tables import Account, ClaimCode, LoginFailure, SignInFailure, WebSession
from service.registry.tables import (
    Area,
    Building,
    Community,
    District,
    Household,
    Organization,
    Owner,
    Ownership,
    StreetArea,
)

APP_CONFIG = AppConfig(
    app_name="registry",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "registry"),
    table_classes=[
        District,
        Area,
        Community,
        Organization,
        Building,
        Owner,
        Household,
        Ownership,
        StreetArea,
        Account,
        WebSession,
        ClaimCode,
        SignInFailure,
        AuditEntry,
        JobRun,
        LoginFailure,
    ],
    migration_dependencies=[],
    commands=[],
)
