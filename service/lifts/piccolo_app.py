"""Piccolo app of the lift retrofit context; migrations in ``migrations/lifts/``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.lifts.tables import (
    LiftConsent,
    LiftDocument,
    LiftEvent,
    LiftPayment,
    LiftProject,
    LiftSettings,
    LiftShare,
    LiftUpkeep,
    LiftUpkeepShare,
)

APP_CONFIG = AppConfig(
    app_name="lifts",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "lifts"),
    table_classes=[
        LiftSettings,
        LiftProject,
        LiftShare,
        LiftConsent,
        LiftDocument,
        LiftEvent,
        LiftPayment,
        LiftUpkeep,
        LiftUpkeepShare,
    ],
    migration_dependencies=[
        "service.registry.piccolo_app",
        "service.funds.piccolo_app",
        "service.warranty.piccolo_app",
    ],
    commands=[],
)
