"""The forecast pages: the committee's and the bureau's, with the chart's data, the
scenario form, and the scope of the pages (out of scope: the same 404 page)."""

from __future__ import annotations

import json
import re
import uuid

import httpx
from litestar import Litestar

from tests.support import World
from tests.web.support import signed_in

SERIES = re.compile(r'<script type="application/json" id="forecast-series">(.*?)</script>', re.S)


def chart_of(html: str) -> dict[str, object]:
    found = SERIES.search(html)
    assert found, "no chart data on the page"
    data: dict[str, object] = json.loads(found.group(1))
    return data


async def test_the_committee_sees_its_community_forecast_with_a_chart(
    app: Litestar, client: httpx.AsyncClient, world: World
) -> None:
    async with await signed_in(app, client, world, "committee") as page:
        home = await page.get(f"/communities/{world.ids['CA']}")
        assert f"/communities/{world.ids['CA']}/fund/forecast" in home.text
        response = await page.get(f"/communities/{world.ids['CA']}/fund/forecast")
        assert response.status_code == 200, response.text
        html = response.text
        assert 'id="forecast-chart"' in html
        assert "/static/vendor/echarts/echarts.common.min.js" in html
        assert "/static/forecast.js" in html
        chart = chart_of(html)
        assert isinstance(chart["months"], list) and len(chart["months"]) == 120
        assert "我们设定的默认值" in html
        assert f"/buildings/{world.ids['CA-1']}/fund/forecast" in html
        other = await page.get(f"/communities/{world.ids['CB']}/fund/forecast")
        missing = await page.get(f"/communities/{uuid.uuid4()}/fund/forecast")
        assert other.status_code == missing.status_code == 404
        assert other.text == missing.text


async def test_the_bureau_sees_any_community_and_building_forecast_and_its_scenarios(
    app: Litestar, client: httpx.AsyncClient, world: World
) -> None:
    async with await signed_in(app, client, world, "bureau") as page:
        for community in ("CA", "CB"):
            response = await page.get(f"/communities/{world.ids[community]}/fund/forecast")
            assert response.status_code == 200, response.text
        response = await page.get(
            f"/buildings/{world.ids['CB-1']}/fund/forecast",
            params={"scenario": "major_repair", "repair_year": 2, "component": "roof", "years": 3},
        )
        assert response.status_code == 200, response.text
        assert "提前大修" in response.text
        assert len(chart_of(response.text)["months"]) == 36  # type: ignore[arg-type]
        assert "屋面（保温层、面层、排水）" in response.text


async def test_an_owner_and_a_contractor_are_refused_the_forecast_page(
    app: Litestar, client: httpx.AsyncClient, world: World
) -> None:
    for who in ("owner1", "contractor"):
        async with await signed_in(app, client, world, who) as page:
            response = await page.get(f"/communities/{world.ids['CA']}/fund/forecast")
            assert response.status_code == 403


async def test_the_bureau_overview_lists_every_community_soonest_below_first(
    app: Litestar, client: httpx.AsyncClient, world: World
) -> None:
    async with await signed_in(app, client, world, "bureau") as page:
        response = await page.get("/fund/forecasts")
        assert response.status_code == 200, response.text
        for community in ("CA", "CB"):
            assert f"/communities/{world.ids[community]}/fund/forecast" in response.text
        assert 'href="/fund/forecasts"' in response.text  # in the bureau's navigation
        none = await page.get("/fund/forecasts", params={"scenario": "none", "years": 3})
        assert none.status_code == 200
        assert "不续交" in none.text
    for who in ("committee", "company"):
        async with await signed_in(app, client, world, who) as page:
            assert (await page.get("/fund/forecasts")).status_code == 403
