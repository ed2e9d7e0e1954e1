"""Piccolo app of the fund forecast context; migrations in ``migrations/forecast/``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.forecast.tables import LifecycleComponent

APP_CONFIG = AppConfig(
    app_name="forecast",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "forecast"),
    table_classes=[LifecycleComponent],
    migration_dependencies=["service.registry.piccolo_app"],
    commands=[],
)
