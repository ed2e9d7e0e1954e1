"""Piccolo app of the ratings context; migrations in ``migrations/ratings/``.

It also registers the subsidies' table (``service/subsidies/tables.py``), which these
migrations created.
"""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.ratings.tables import (
    Appeal,
    Rating,
    RatingPeriod,
    RatingScheme,
    SatisfactionAnswer,
)
from service.subsidies.tables import Subsidy

APP_CONFIG = AppConfig(
    app_name="ratings",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "ratings"),
    table_classes=[RatingScheme, RatingPeriod, Rating, Appeal, SatisfactionAnswer, Subsidy],
    migration_dependencies=["service.registry.piccolo_app", "service.contracts.piccolo_app"],
    commands=[],
)
