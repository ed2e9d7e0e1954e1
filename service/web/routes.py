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

from service.auth.roles import ACCOUNT_ROLES, ALL_ROLES, COMMITTEE, OWNER, STREET, allow
from service.clock import now
from service.contexts import page_handlers
from service.fund_uses.reads import visible_uses
from service.funds.reads import household_fund
from service.http import CallerDep, ScopeDep, provide_caller, provide_scope
from service.lifts.tables import LiftProject
from service.lifts.views import listed_projects, project_out
from service.ratings.tables import RatingPeriod
from service.registry.places import flats
from service.warranty.rules import STATUS_NAMES as REPAIR_STATUS_NAMES
from service.warranty.tables import RepairTicket
from service.warranty.tickets import list_query
from service.web.guard import page_guard
from service.web.render import PAGE_EXCEPTION_HANDLERS, caller_of, page, see_other

STATIC_DIR = Path(__file__).resolve().parent / "static"


@get("/", opt=allow(*ACCOUNT_ROLES), include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Redirect | Template:
    """The caller's home: a committee its community, an owner its households, a street
    office its inspections and tasks, the others the communities they see (their pages
    come with "Web pages II")."""
    caller = caller_of(request)
    if caller.role == STREET:
        return see_other("/standards/street")
    if caller.role == COMMITTEE and caller.committee_community_id is not None:
        return see_other(f"/communities/{caller.committee_community_id}")
    if caller.role == OWNER:
        return see_other("/households")
    return see_other("/communities")


@get("/households", opt=allow(*ALL_ROLES), include_in_schema=False)
async def owner_home(caller: CallerDep, access: ScopeDep) -> Redirect | Template:
    """An owner's home: its flats with their balances, the votes that ask it, the lift
    projects of its units, the satisfaction surveys of open rating periods, its repair
    tickets."""
    if caller.role != OWNER:
        return see_other("/")
    households = [
        {**flat, "fund": await household_fund(flat)} for flat in await flats(access.households())
    ]
    votes = [u for u in await visible_uses(caller, access) if u["status"] == "voting"]
    periods = await (
        RatingPeriod.select(RatingPeriod.id, RatingPeriod.name, RatingPeriod.ends_on)
        .where((RatingPeriod.district == caller.district_id) & (RatingPeriod.status == "open"))
        .order_by(RatingPeriod.starts_on)
    )
    tickets = (
        await list_query(caller, access, now())
        .order_by(RepairTicket.reported_at, ascending=False)
        .limit(5)
    )
    lift_rows = await (await listed_projects(access)).order_by(LiftProject.created_at)
    lifts = [await project_out(row, access, full=False) for row in lift_rows]
    return page(
        "owner_home.html",
        households=households,
        lifts=lifts,
        votes=votes,
        periods=periods,
        tickets=tickets,
        ticket_status=REPAIR_STATUS_NAMES,
    )


def build_page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[home, owner_home, *page_handlers()],
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
