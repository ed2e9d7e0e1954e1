"""The bounded contexts, in the order their tables and routes are wired.

Each context folder may hold ``piccolo_app.py`` (its tables and migrations folder) and
``routes.py`` exposing ``ROUTE_HANDLERS``; the app and Piccolo pick them up from here.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

CONTEXTS = (
    "registry",
    "auth",
    "audit",
    "contracts",
    "warranty",
    "funds",
    "votes",
    "fund_uses",
    "ratings",
    "complaints",
    "subsidies",
    "lifts",
    "forecast",
    "standards",
    "notices",
    "reports",
    "web",
)


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def piccolo_apps() -> list[str]:
    """Modules of every context's Piccolo app."""
    return [f"service.{c}.piccolo_app" for c in CONTEXTS if _exists(f"service.{c}.piccolo_app")]


def page_handlers() -> list[Any]:
    """Every context's ``PAGE_HANDLERS`` (its ``pages.py``, mounted at the root)."""
    handlers: list[Any] = []
    for context in CONTEXTS:
        name = f"service.{context}.pages"
        if _exists(name):
            handlers.extend(getattr(importlib.import_module(name), "PAGE_HANDLERS", []))
    return handlers


def route_handlers() -> list[Any]:
    """Every context's ``ROUTE_HANDLERS`` (mounted under ``/api/v1``)."""
    handlers: list[Any] = []
    for context in CONTEXTS:
        name = f"service.{context}.routes"
        if _exists(name):
            handlers.extend(getattr(importlib.import_module(name), "ROUTE_HANDLERS", []))
    return handlers
