"""Piccolo app of the contracts context; migrations in ``migrations/contracts/``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.contracts.tables import (
    Contract,
    HandoverRecord,
    ManagementBallot,
    ManagementDecision,
    ServiceRecord,
    ServiceRecordBatch,
)

APP_CONFIG = AppConfig(
    app_name="contracts",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "contracts"),
    table_classes=[
        Contract,
        ServiceRecordBatch,
        ServiceRecord,
        ManagementDecision,
        ManagementBallot,
        HandoverRecord,
    ],
    migration_dependencies=["service.registry.piccolo_app"],
    commands=[],
)
