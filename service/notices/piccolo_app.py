"""Piccolo app of the notices context; migrations in ``migrations/notices/``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.notices.tables import Notice, OutboxMessage

APP_CONFIG = AppConfig(
    app_name="notices",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "notices"),
    table_classes=[Notice, OutboxMessage],
    migration_dependencies=["service.registry.piccolo_app"],
    commands=[],
)
