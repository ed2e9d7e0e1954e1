"""The fund forecast in a real browser on the demo district: the committee opens its
forecast from the navigation and the chart draws; the bureau's overview lists every
community and leads to one; a scenario recomputes from the form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from service.registry.demo import DEMO_LOGINS
from tests.e2e.test_browser import DESKTOP, shoot, sign_in

COMMITTEE, COMMITTEE_PASSWORD = DEMO_LOGINS["committee"]
BUREAU, BUREAU_PASSWORD = DEMO_LOGINS["bureau"]


@pytest.fixture
async def context(chromium: Any) -> Any:
    ctx = await chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    yield ctx
    await ctx.close()


async def test_the_committee_sees_its_forecast_drawn_and_tries_a_major_repair(
    demo_server: str, context: Any, screenshots: Path
) -> None:
    page = await context.new_page()
    await sign_in(page, demo_server, COMMITTEE, COMMITTEE_PASSWORD)
    await page.click("nav >> text=资金预测")
    await page.wait_for_url(re.compile(r"/communities/[0-9a-f-]{36}/fund/forecast$"))
    await page.locator("#forecast-chart canvas").wait_for()
    assert re.fullmatch(r"\d+\.\d{2}", await page.locator("#threshold").inner_text())
    assert await page.locator("#years tr").count() == 11  # a header and ten years
    await shoot(page, screenshots, "14-forecast-committee")

    await page.select_option("select[name=scenario]", "major_repair")
    await page.select_option("select[name=component]", "facades")
    await page.fill("input[name=repair_year]", "2")
    await page.click("#scenario-form button[type=submit]")
    await page.wait_for_url(re.compile(r"scenario=major_repair"))
    await page.locator("#forecast-chart canvas").wait_for()
    assert re.fullmatch(r"\d{4}-\d{2}", await page.locator("#first-below").inner_text())
    assert "外立面" in await page.locator("#repairs").inner_text()


async def test_the_bureau_overview_leads_to_a_community_forecast(
    demo_server: str, context: Any, screenshots: Path
) -> None:
    page = await context.new_page()
    await sign_in(page, demo_server, BUREAU, BUREAU_PASSWORD)
    await page.click("nav >> text=资金预测")
    await page.wait_for_url(re.compile(r"/fund/forecasts$"))
    links = page.locator("#forecasts a")
    assert await links.count() == 126
    await shoot(page, screenshots, "15-forecasts-bureau")
    await links.first.click()
    await page.wait_for_url(re.compile(r"/communities/[0-9a-f-]{36}/fund/forecast\?"))
    await page.locator("#forecast-chart canvas").wait_for()
