"""Piccolo app of the complaints context; migrations in ``migrations/complaints/``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.complaints.tables import Complaint

APP_CONFIG = AppConfig(
    app_name="complaints",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "complaints"),
    table_classes=[Complaint],
    migration_dependencies=["service.registry.piccolo_app", "service.contracts.piccolo_app"],
    commands=[],
)
