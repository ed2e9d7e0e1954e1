"""Piccolo configuration: the engine comes from ``DATABASE_URL``."""

from piccolo.conf.apps import AppRegistry

from service.config import get_settings
from service.db import engine_from_url

DB = engine_from_url(get_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["service.piccolo_app"])
