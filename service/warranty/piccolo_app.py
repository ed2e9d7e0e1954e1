"""Piccolo app of the warranty context; migrations in ``migrations/warranty/``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.warranty.tables import (
    RepairEvent,
    RepairPolicy,
    RepairTicket,
    WarrantyCharge,
    Work,
    WorkBuilding,
    WorkComponent,
    WorkdayOverride,
)

APP_CONFIG = AppConfig(
    app_name="warranty",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "warranty"),
    table_classes=[
        Work,
        WorkBuilding,
        WorkComponent,
        RepairPolicy,
        RepairTicket,
        RepairEvent,
        WarrantyCharge,
        WorkdayOverride,
    ],
    migration_dependencies=["service.registry.piccolo_app", "service.contracts.piccolo_app"],
    commands=[],
)
