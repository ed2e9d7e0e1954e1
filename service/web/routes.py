"""The pages' ground: the router every context's pages hang on (its guard, its error
pages, the caller and scope dependencies), the home page, and the vendored static files.

Each context keeps its pages in its own ``pages.py`` (``PAGE_HANDLERS``), beside its
``routes.py``; they call the context's service and the one scope layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router

from service.auth.roles import ALL_ROLES, COMMITTEE, OWNER, allow
from service.contexts import page_handlers
from service.http import provide_caller, provide_scope
from service.web.guard import page_guard
from service.web.render import PAGE_EXCEPTION_HANDLERS, caller_of, see_other

STATIC_DIR = Path(__file__).resolve().parent / "static"


@get("/", opt=allow(*ALL_ROLES), include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Redirect | Template:
    """The caller's home: a committee its community, an owner its households, the
    others the communities they see."""
    caller = caller_of(request)
    if caller.role == COMMITTEE and caller.committee_community_id is not None:
        return see_other(f"/communities/{caller.committee_community_id}")
    if caller.role == OWNER:
        return see_other("/households")
    return see_other("/communities")


def build_page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[home, *page_handlers()],
        guards=[page_guard],
        dependencies={
            "caller": Provide(provide_caller, sync_to_thread=False),
            "access": Provide(provide_scope),
        },
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
        # No bearer token: pages sign in with the session cookie (page_guard).
        opt={"public": True},
    )


def build_static_router() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(max_age=86400, public=True),
        include_in_schema=False,
        opt={"public": True},
    )
