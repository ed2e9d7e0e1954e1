"""Server-rendered pages (templates/pages/)."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from service.auth.roles import PUBLIC
from service.registry.tables import Area, Community, Household


@get("/", opt=PUBLIC, include_in_schema=False)
async def index() -> Template:
    """The landing page: what this service is, how big the district is, where the API is."""
    return Template(
        template_name="pages/index.html",
        context={
            "areas": await Area.count(),
            "communities": await Community.count(),
            "households": await Household.count(),
        },
    )


# Pages are mounted at the root, not under /api/v1.
PAGE_HANDLERS = [index]
