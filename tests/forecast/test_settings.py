"""A district's own component life-cycle data: read by fund readers, replaced by the
bureau, used by every forecast of the district; our defaults are marked as ours."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from service.audit.tables import AuditEntry
from service.clock import today
from service.forecast.rules import add_months, months_between
from tests.forecast.test_api import _community
from tests.support import World

PATH = "/api/v1/fund/forecast-settings"


async def _put(client: httpx.AsyncClient, world: World, body: Any, who: str = "bureau") -> Any:
    return await client.put(PATH, json=body, headers=world.h(who))


@pytest.fixture
async def restore(client: httpx.AsyncClient, world: World) -> Any:
    yield
    response = await _put(client, world, {"lifecycle": []})
    assert response.status_code == 200, response.text


async def test_the_defaults_are_ours_and_every_fund_reader_sees_them(
    client: httpx.AsyncClient, world: World
) -> None:
    for who in ("bureau", "auditor", "company", "committee", "owner1"):
        response = await client.get(PATH, headers=world.h(who))
        assert response.status_code == 200, response.text
    table = {c["component"]: c for c in response.json()["lifecycle"]}
    assert set(table) == {"roof", "waterproofing", "pipes", "lifts", "facades"}
    assert {c["source"] for c in table.values()} == {"default"}
    assert (table["pipes"]["life_years"], table["pipes"]["cost_per_m2"]) == (20, "30.00")
    assert (await client.get(PATH, headers=world.h("contractor"))).status_code == 403


async def test_the_bureau_replaces_the_districts_data_and_forecasts_use_it(
    client: httpx.AsyncClient, world: World, restore: None
) -> None:
    response = await _put(
        client,
        world,
        {"lifecycle": [{"component": "pipes", "life_years": 10, "cost_per_m2": "20.00"}]},
    )
    assert response.status_code == 200, response.text
    table = {c["component"]: c for c in response.json()["lifecycle"]}
    assert (table["pipes"]["life_years"], table["pipes"]["cost_per_m2"]) == (10, "20.00")
    assert table["pipes"]["source"] == "district"
    assert table["roof"]["source"] == "default"
    # A community built five years ago: its pipes are now renewed after 10 years.
    community, _, _ = await _community(client, world, today().year - 5)
    body = (
        await client.get(
            f"/api/v1/communities/{community}/fund/forecast",
            params={"years": 5},
            headers=world.h("bureau"),
        )
    ).json()
    start = add_months(today().year, today().month, 1)
    due = months_between(start, date(today().year + 5, 1, 1)) + 1
    year, month = add_months(start[0], start[1], due - 1)
    assert [(r["month"], r["component"], r["amount"]) for r in body["repairs"]] == [
        (f"{year:04d}-{month:02d}", "pipes", "3200.00")  # 20.00 × 160.00 m²
    ]
    assert {c["component"]: c["source"] for c in body["lifecycle"]}["pipes"] == "district"
    entry = await (
        AuditEntry.select()
        .where(AuditEntry.action == "forecast.lifecycle")
        .order_by(AuditEntry.at, ascending=False)
        .first()
    )
    assert entry is not None
    # Back to our defaults when the district lists nothing.
    cleared = await _put(client, world, {"lifecycle": []})
    assert {c["source"] for c in cleared.json()["lifecycle"]} == {"default"}


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"component": "chimney", "life_years": 10, "cost_per_m2": "1.00"}, "component"),
        ({"component": "roof", "life_years": 0, "cost_per_m2": "1.00"}, "life_years"),
        ({"component": "roof", "life_years": 10, "cost_per_m2": "-1.00"}, "cost_per_m2"),
        ({"component": "roof", "life_years": 10, "cost_per_m2": "1.001"}, "cost_per_m2"),
        ({"component": "roof", "life_years": 10, "cost_per_m2": "1", "x": 1}, "x"),
    ],
)
async def test_bad_life_cycle_data_is_refused_naming_the_field(
    client: httpx.AsyncClient, world: World, item: dict[str, Any], field: str
) -> None:
    response = await _put(client, world, {"lifecycle": [item]})
    assert response.status_code == 422, response.text
    assert field in response.text


async def test_a_component_twice_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, world: World
) -> None:
    item = {"component": "roof", "life_years": 10, "cost_per_m2": "1.00"}
    response = await _put(client, world, {"lifecycle": [item, item]})
    assert response.status_code == 422
    assert "lifecycle[1].component" in response.text
    table = (await client.get(PATH, headers=world.h("bureau"))).json()["lifecycle"]
    assert {c["source"] for c in table} == {"default"}


@pytest.mark.parametrize("who", ["auditor", "company", "committee", "contractor", "owner1"])
async def test_only_the_bureau_changes_the_data(
    client: httpx.AsyncClient, world: World, who: str
) -> None:
    body = {"lifecycle": [{"component": "roof", "life_years": 10, "cost_per_m2": "1.00"}]}
    response = await _put(client, world, body, who)
    assert response.status_code == 403
