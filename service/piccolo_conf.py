"""Piccolo configuration: the engine comes from ``DATABASE_URL``; apps from the contexts."""

from piccolo.conf.apps import AppRegistry

from service.config import get_settings
from service.contexts import piccolo_apps
from service.db import engine_from_url

DB = engine_from_url(get_settings().database_url, pooler=get_settings().db_pooler)

APP_REGISTRY = AppRegistry(apps=piccolo_apps())
