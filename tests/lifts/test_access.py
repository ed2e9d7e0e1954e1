"""Who may do what with a lift project, and what is out of scope (404 like a missing
one): the bureau or the committee of that community creates and manages; owners consent
for their own flats and see only their own units; roles that may never act get 403."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.lifts.estate import Estate, Unit, make_estate, make_unit, new_project
from tests.support import World, assert_list_contract


@pytest.fixture(scope="module")
async def estate(client: httpx.AsyncClient, world: World) -> Estate:
    return await make_estate(client, world)


@pytest.fixture(scope="module")
async def unit(client: httpx.AsyncClient, world: World, estate: Estate) -> Unit:
    return await make_unit(client, world, estate, owner_logins=(3,))


@pytest.fixture(scope="module")
async def project(client: httpx.AsyncClient, estate: Estate, unit: Unit) -> dict[str, str]:
    return await new_project(client, estate.committee, unit)


async def test_roles_that_may_never_create_or_close_are_refused_with_403(
    client: httpx.AsyncClient, world: World, unit: Unit, project: dict[str, str]
) -> None:
    body = {"building_id": unit.building, "unit_no": "1", "estimated_cost": "1.00"}
    for role in ("auditor", "company", "contractor", "owner1"):
        response = await client.post("/api/v1/lift-projects", json=body, headers=world.h(role))
        assert response.status_code == 403, role
    for role in ("auditor", "company", "owner1"):
        response = await client.post(
            f"/api/v1/lift-projects/{project['id']}/close-consent", headers=world.h(role)
        )
        assert response.status_code == 403, role
    consent = await client.post(
        f"/api/v1/lift-projects/{project['id']}/consents",
        json={"household_id": unit.households[3], "choice": "yes"},
        headers=world.h("bureau"),
    )
    assert consent.status_code == 403
    contractor = await client.get(
        f"/api/v1/lift-projects/{project['id']}", headers=world.h("contractor")
    )
    assert contractor.status_code == 403


async def test_another_communitys_committee_and_owners_elsewhere_get_404(
    client: httpx.AsyncClient, world: World, unit: Unit, project: dict[str, str]
) -> None:
    url = f"/api/v1/lift-projects/{project['id']}"
    for role in ("committee", "owner1"):
        assert (await client.get(url, headers=world.h(role))).status_code == 404, role
        assert (await client.get(f"{url}/notice.pdf", headers=world.h(role))).status_code == 404
    paper = await client.post(
        f"{url}/consents",
        json={"household_id": unit.households[0], "choice": "yes"},
        headers=world.h("committee"),
    )
    assert paper.status_code == 404
    create = await client.post(
        "/api/v1/lift-projects",
        json={"building_id": unit.building, "unit_no": "2", "estimated_cost": "1.00"},
        headers=world.h("committee"),
    )
    assert create.status_code == 404
    missing = await client.get(f"/api/v1/lift-projects/{uuid.uuid4()}", headers=world.h("bureau"))
    assert missing.status_code == 404
    view = await client.get(
        f"/api/v1/households/{unit.households[3]}/lift", headers=world.h("owner1")
    )
    assert view.status_code == 404
    listed = await client.get(
        "/api/v1/lift-projects",
        params={"community_id": project["community_id"]},
        headers=world.h("committee"),
    )
    assert listed.status_code == 200 and listed.json()["items"] == []


async def test_an_owner_of_the_unit_sees_its_project_and_their_own_figures_only(
    client: httpx.AsyncClient, world: World, estate: Estate, unit: Unit, project: dict[str, str]
) -> None:
    mine = unit.owner_h[3]
    read = await client.get(f"/api/v1/lift-projects/{project['id']}", headers=mine)
    assert read.status_code == 200
    figures = {s["household_id"]: s["outstanding"] for s in read.json()["shares"]}
    assert figures[unit.households[3]] is not None
    assert all(v is None for k, v in figures.items() if k != unit.households[3])
    listed = (await client.get("/api/v1/lift-projects", headers=mine)).json()["items"]
    assert [p["id"] for p in listed] == [project["id"]]
    assert listed[0]["shares"] == [] and listed[0]["consent"] is None
    for who in (estate.committee, world.h("auditor"), world.h("bureau")):
        found = await client.get(
            "/api/v1/lift-projects", params={"community_id": estate.community}, headers=who
        )
        assert project["id"] in [p["id"] for p in found.json()["items"]]


async def test_a_unit_with_flats_of_unknown_floor_or_a_floor_without_coefficient_is_refused(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unfloored = await make_unit(client, world, estate, floors=False)
    refused = await client.post(
        "/api/v1/lift-projects",
        json={"building_id": unfloored.building, "unit_no": "1", "estimated_cost": "100.00"},
        headers=estate.committee,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "unit_no"
    assert "101" in refused.json()["errors"][0]["message"]

    floored = await make_unit(client, world, estate)
    short = await client.post(
        "/api/v1/lift-projects",
        json={
            "building_id": floored.building,
            "unit_no": "1",
            "estimated_cost": "100.00",
            "coefficients": {"1": "0", "2": "0.5", "3": "0.8"},
        },
        headers=estate.committee,
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "coefficients"
    assert "4" in short.json()["errors"][0]["message"]
    empty_unit = await client.post(
        "/api/v1/lift-projects",
        json={"building_id": floored.building, "unit_no": "9", "estimated_cost": "100.00"},
        headers=estate.committee,
    )
    assert empty_unit.status_code == 422 and empty_unit.json()["errors"][0]["field"] == "unit_no"
    for bad, field in (
        ({"estimated_cost": "1.001"}, "estimated_cost"),
        ({"coefficients": {"0": "1"}}, "coefficients.0"),
        ({"coefficients": {str(f): "0.333" for f in range(1, 7)}}, "coefficients.1"),
        ({"applicant_household_id": str(uuid.uuid4())}, "applicant_household_id"),
    ):
        body = {"building_id": floored.building, "unit_no": "1", "estimated_cost": "100.00"}
        response = await client.post(
            "/api/v1/lift-projects", json=body | bad, headers=estate.committee
        )
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"] == field, response.json()
    unknown = await client.post(
        "/api/v1/lift-projects",
        json={"building_id": floored.building, "unit_no": "1", "estimated_cost": "1", "x": 1},
        headers=estate.committee,
    )
    assert unknown.status_code == 422


async def test_a_households_lift_projects_come_in_pages_to_those_in_scope(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    """Three projects for one unit, each cancelled before the next: three shares."""
    unit = await make_unit(client, world, estate, owner_logins=(4, 5))
    made = []
    for _ in range(3):
        project = await new_project(client, estate.committee, unit)
        cancelled = await client.post(
            f"/api/v1/lift-projects/{project['id']}/transitions",
            json={"action": "cancel"},
            headers=estate.committee,
        )
        assert cancelled.status_code == 200, cancelled.text
        made.append(project["id"])
    path = f"/api/v1/households/{unit.households[4]}/lift"
    listed = await assert_list_contract(client, path, unit.owner_h[4], key="project_id")
    assert sorted(p["project_id"] for p in listed) == sorted(made)
    # A neighbour's flat and another community's committee: 404, as a missing flat.
    assert (await client.get(path, headers=unit.owner_h[5])).status_code == 404
    assert (await client.get(path, headers=world.h("committee"))).status_code == 404
    missing = await client.get(f"/api/v1/households/{uuid.uuid4()}/lift", headers=estate.committee)
    assert missing.status_code == 404
