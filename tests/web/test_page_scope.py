"""Every page declares its roles, sends anonymous visitors to sign in, and answers 404
for anything outside the caller's scope, exactly as a missing object (API.md)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from service.auth.roles import ACCOUNT_ROLES
from tests.support import World, created
from tests.web.support import browser, signed_in

ANONYMOUS_PAGES = {"/login", "/claim", "/claim/buildings"}
WHO = {
    "bureau": "bureau",
    "auditor": "auditor",
    "company": "company",
    "committee": "committee",
    "contractor": "contractor",
    "owner": "owner1",
}


def page_routes(app: Litestar) -> list[tuple[str, HTTPRouteHandler]]:
    found = []
    for route in app.routes:
        if route.path.startswith(("/api/", "/static", "/schema", "/healthz")):
            continue
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler) and handler.http_methods != {"OPTIONS"}:
                found.append((route.path, handler))
    return found


def test_every_page_route_declares_its_roles(app: Litestar) -> None:
    undeclared = []
    for path, handler in page_routes(app):
        if handler.opt.get("anonymous"):
            assert path in ANONYMOUS_PAGES, f"{path} is open to anonymous visitors"
            continue
        roles = handler.opt.get("roles")
        if not roles or not set(roles) <= ACCOUNT_ROLES:
            undeclared.append(f"{sorted(handler.http_methods)} {path}")
    assert not undeclared, undeclared
    assert len(page_routes(app)) >= 20


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: values.get(m.group(1), "0"), path)


async def test_an_anonymous_visitor_of_any_page_is_sent_to_sign_in(app: Litestar) -> None:
    anything = {"community_id": str(uuid.uuid4()), "index": "0"}
    async with await browser(app) as page:
        for path, handler in page_routes(app):
            if handler.opt.get("anonymous") or "GET" not in handler.http_methods:
                continue
            ids = {k: str(uuid.uuid4()) for k in re.findall(r"\{(\w+):str\}", path)}
            target = _fill(path, {**anything, **ids})
            response = await page.get(target)
            assert response.status_code == 303, target
            location = response.headers["location"]
            assert location.startswith("/login"), target
        posted = await page.post("/repairs", data={"description": "x"})
        assert posted.status_code == 303
        assert posted.headers["location"] == "/login"


@pytest.fixture(scope="module")
async def outside(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    """Objects in community CB, which only the district's bureau and auditor see."""
    bureau = world.h("bureau")
    use = await created(
        await client.post(
            "/api/v1/fund-uses",
            json={
                "community_id": world.ids["CB"],
                "title": "CB 楼道照明",
                "description": "",
                "estimated_cost": "900.00",
                "household_ids": [world.ids["h4"]],
                "component": "other",
            },
            headers=bureau,
        )
    )
    ticket = await created(
        await client.post(
            "/api/v1/repairs",
            json={
                "community_id": world.ids["CB"],
                "category": "other",
                "description": "CB 路面破损",
            },
            headers=bureau,
        )
    )
    return {
        "community_id": world.ids["CB"],
        "household_id": world.ids["h4"],
        "use_id": use["id"],
        "ticket_id": ticket["id"],
    }


async def test_every_page_answers_404_for_every_role_outside_its_scope(
    app: Litestar, client: httpx.AsyncClient, world: World, outside: dict[str, str]
) -> None:
    checked = 0
    for role, who in WHO.items():
        page = await signed_in(app, client, world, who)
        async with page:
            for path, handler in page_routes(app):
                roles = handler.opt.get("roles") or ()
                if "GET" not in handler.http_methods or role not in roles or "{" not in path:
                    continue
                # The district's readers see all of it: for them, a missing object.
                wide = role in ("bureau", "auditor")
                values = {
                    name: str(uuid.uuid4()) if wide else outside.get(name, str(uuid.uuid4()))
                    for name in re.findall(r"\{(\w+):str\}", path)
                }
                values.setdefault("index", "0")
                malformed = {k: "not-an-id" for k in values} | {"index": "0"}
                for target in (_fill(path, values), _fill(path, malformed)):
                    response = await page.get(target)
                    assert response.status_code == 404, f"{role} {target}: {response.status_code}"
                    assert "text/html" in response.headers["content-type"]
                    checked += 1
    assert checked >= 40


async def test_a_role_a_page_is_not_for_is_refused_with_a_page(
    app: Litestar, client: httpx.AsyncClient, world: World
) -> None:
    page = await signed_in(app, client, world, "contractor")
    async with page:
        response = await page.get(f"/communities/{world.ids['CA']}/households")
        assert response.status_code == 403
        assert "无权" in response.text


async def test_a_committee_editing_the_url_to_another_community_gets_404(
    app: Litestar, client: httpx.AsyncClient, world: World
) -> None:
    page = await signed_in(app, client, world, "committee")
    async with page:
        mine = await page.get(f"/communities/{world.ids['CA']}")
        assert mine.status_code == 200
        other = await page.get(f"/communities/{world.ids['CB']}")
        assert other.status_code == 404
        missing = await page.get(f"/communities/{uuid.uuid4()}")
        assert missing.status_code == 404
        assert other.text == missing.text
