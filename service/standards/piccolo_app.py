"""Piccolo app of the standards context; migrations in ``migrations/standards/``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.standards.tables import (
    Inspection,
    InspectionResult,
    Rectification,
    StandardCatalogue,
)

APP_CONFIG = AppConfig(
    app_name="standards",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "standards"),
    table_classes=[StandardCatalogue, Inspection, InspectionResult, Rectification],
    migration_dependencies=[
        "service.registry.piccolo_app",
        "service.warranty.piccolo_app",
    ],
    commands=[],
)
