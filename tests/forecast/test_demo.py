"""The demo district's forecasts render on the pages: every community's for the bureau,
its own for the committee, and the API answers for each of them.

The demo is seeded once for this module as a district of its own, with its first
deposits posted (as ``changxiao seed --demo`` does)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from litestar import Litestar

from service.auth.bootstrap import ensure_bureau
from service.auth.sessions import SESSION_COOKIE, open_session
from service.funds.batches import post_first_deposits_for_district
from service.registry.demo import DEMO_LOGINS, DemoPlan, seed_demo_district
from service.registry.tables import Community
from tests.support import login
from tests.web.support import browser

SERIES = re.compile(r'id="forecast-series">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
async def demo(client: httpx.AsyncClient) -> tuple[DemoPlan, str]:
    await ensure_bureau()  # the shared test district stays the first one
    tag = uuid.uuid4().hex[:8]
    plan = await seed_demo_district(
        district_code=f"DEMO{tag}",
        district_name="演示区",
        username_suffix=f"-{tag}",
        promise_first_deposits=False,
    )
    await post_first_deposits_for_district(plan.district_id)
    return plan, f"-{tag}"


async def _page_as(app: Litestar, client: httpx.AsyncClient, who: str, suffix: str) -> Any:
    username, password = DEMO_LOGINS[who]
    headers = await login(client, username + suffix, password)
    me = await client.get("/api/v1/auth/me", headers=headers)
    page = await browser(app)
    page.cookies.set(SESSION_COOKIE, await open_session(uuid.UUID(me.json()["id"])))
    return page, headers


async def test_every_demo_community_forecast_renders_for_the_bureau(
    app: Litestar, client: httpx.AsyncClient, demo: tuple[DemoPlan, str]
) -> None:
    plan, suffix = demo
    communities = await Community.select(Community.id).where(Community.district == plan.district_id)
    assert len(communities) == 126
    page, _ = await _page_as(app, client, "bureau", suffix)
    async with page:
        for community in communities:
            response = await page.get(f"/communities/{community['id']}/fund/forecast")
            assert response.status_code == 200, response.text
            found = SERIES.search(response.text)
            assert found
            chart = json.loads(found.group(1))
            assert len(chart["months"]) == 120
            # Every demo household paid its first deposit: the fund starts above its line.
            assert float(chart["balance"][0]) > float(chart["threshold"]) > 0


async def test_the_demo_committee_sees_its_forecast_and_a_major_repair_crosses_the_line(
    app: Litestar, client: httpx.AsyncClient, demo: tuple[DemoPlan, str]
) -> None:
    _, suffix = demo
    page, headers = await _page_as(app, client, "committee", suffix)
    async with page:
        home = await page.get("/", follow_redirects=True)
        link = re.search(r'href="(/communities/[0-9a-f-]+)/fund/forecast"', home.text)
        assert link, "the committee's navigation links its forecast"
        response = await page.get(f"{link.group(1)}/fund/forecast")
        assert response.status_code == 200
        assert 'id="forecast-chart"' in response.text
    path = f"{link.group(1)}/fund/forecast"
    expected = (await client.get(f"/api/v1{path}", headers=headers)).json()
    assert expected["first_below"] is None
    # Renovated in 2021 or 2022: the roof waterproofing falls due 15 years later.
    assert {r["component"] for r in expected["repairs"]} <= {"waterproofing"}
    # Facades renewed in year 1 (50.00 yuan/m² against first deposits of 45.00 yuan/m²)
    # take the fund below the line at once, without replenishment.
    major = (
        await client.get(
            f"/api/v1{path}",
            params={"scenario": "major_repair", "component": "facades", "repair_year": 1},
            headers=headers,
        )
    ).json()
    assert major["first_below"] == major["start"]
    assert major["replenish_per_m2"] is not None
    assert major["replenish_per_m2"] != "0.00"


async def test_the_demo_bureau_overview_shows_all_126_communities(
    app: Litestar, client: httpx.AsyncClient, demo: tuple[DemoPlan, str]
) -> None:
    _, suffix = demo
    page, _ = await _page_as(app, client, "bureau", suffix)
    async with page:
        response = await page.get("/fund/forecasts")
        assert response.status_code == 200
        rows = re.findall(r'href="/communities/[0-9a-f-]+/fund/forecast\?', response.text)
        assert len(rows) == 126
        major = await page.get("/fund/forecasts", params={"scenario": "none", "years": 30})
        assert major.status_code == 200
