"""A six-floor unit of twelve flats asks its owners about a lift, through the API: the
project from the registry, consent exactly at Civil Code art. 278's thresholds and one
square metre, one hundredth of one, or one owner below, objections published, and a
form racing the close either counted or refused."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.lifts.estate import Estate, close, consents, make_estate, make_unit, new_project
from tests.reports.conftest import pdf_text
from tests.support import World

AT_THRESHOLD = {i: "yes" for i in range(6)} | {6: "no", 7: "no"}


@pytest.fixture(scope="module")
async def estate(client: httpx.AsyncClient, world: World) -> Estate:
    return await make_estate(client, world)


async def test_a_project_takes_the_units_flats_and_floors_and_shares_the_cost_less_the_subsidy(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate)
    project = await new_project(client, estate.committee, unit, "300000.01")
    assert project["status"] == "consent"
    assert project["subsidy"] == "100000.00"
    assert project["owners_cost"] == "200000.01"
    assert project["households"] == 12 and project["total_area"] == "720.00"
    shares = project["shares"]
    assert {s["household_id"] for s in shares} == set(unit.households)
    assert sum(Decimal(s["share"]) for s in shares) == Decimal("200000.01")
    by_floor = {s["floor"]: s for s in shares}
    assert by_floor[1]["share"] == "0.00" and by_floor[1]["coefficient"] == "0.00"
    assert by_floor[6]["coefficient"] == "1.40"
    assert Decimal(by_floor[2]["share"]) < Decimal(by_floor[6]["share"])
    assert project["coefficients"]["7"] == "1.60"
    assert project["consent"]["eligible_owners"] == 12
    assert project["consent"]["published_at"] is None


async def test_consent_exactly_at_two_thirds_taking_part_and_three_quarters_agreeing_is_given(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate)
    project = await new_project(client, world.h("bureau"), unit)
    await consents(client, estate, project["id"], unit, AT_THRESHOLD)
    result = await close(client, world.h("bureau"), project["id"])
    assert (result["eligible_owners"], result["voted_owners"], result["yes_owners"]) == (12, 8, 6)
    assert (result["eligible_area"], result["voted_area"], result["yes_area"]) == (
        "720.00",
        "480.00",
        "360.00",
    )
    assert result["quorum_met"] is True and result["approved"] is True
    assert result["status"] == "design" and result["matter"] == "alter"
    read = await client.get(f"/api/v1/lift-projects/{project['id']}", headers=estate.committee)
    assert read.json()["status"] == "design"
    assert read.json()["consent"]["published_at"] is not None


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [("59.99", "60.01"), ("59.00", "61.00")],
    ids=["one-hundredth-of-a-square-metre", "one-square-metre"],
)
async def test_consent_falls_short_by_the_smallest_area_below_three_quarters(
    client: httpx.AsyncClient, world: World, estate: Estate, smaller: str, larger: str
) -> None:
    # A yes flat smaller and a no flat larger by the same amount: heads and taking part
    # are exactly at the thresholds, agreeing area is just below three quarters.
    areas = [smaller] + ["60.00"] * 5 + [larger] + ["60.00"] * 5
    unit = await make_unit(client, world, estate, areas)
    project = await new_project(client, world.h("bureau"), unit)
    await consents(client, estate, project["id"], unit, AT_THRESHOLD)
    result = await close(client, world.h("bureau"), project["id"])
    assert result["quorum_met"] is True
    assert (result["voted_owners"], result["yes_owners"]) == (8, 6)
    assert result["voted_area"] == "480.00"
    assert Decimal(result["yes_area"]) == Decimal("360.00") - (Decimal("60.00") - Decimal(smaller))
    assert result["approved"] is False
    assert result["status"] == "rejected"


async def test_consent_falls_short_by_one_owner_agreeing(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    # Five of eight agree (< 3/4) although they hold more than 3/4 of the area.
    areas = ["90.00"] * 5 + ["30.00"] * 3 + ["60.00"] * 4
    unit = await make_unit(client, world, estate, areas)
    project = await new_project(client, world.h("bureau"), unit)
    await consents(
        client,
        estate,
        project["id"],
        unit,
        {i: "yes" for i in range(5)} | {5: "no", 6: "no", 7: "no"},
    )
    result = await close(client, world.h("bureau"), project["id"])
    assert result["quorum_met"] is True
    assert 4 * Decimal(result["yes_area"]) >= 3 * Decimal(result["voted_area"])
    assert (result["voted_owners"], result["yes_owners"]) == (8, 5)
    assert result["approved"] is False and result["status"] == "rejected"


async def test_consent_falls_short_by_one_owner_taking_part(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    areas = ["90.00"] * 7 + ["50.00"] * 5
    unit = await make_unit(client, world, estate, areas)
    project = await new_project(client, world.h("bureau"), unit)
    await consents(client, estate, project["id"], unit, {i: "yes" for i in range(7)})
    result = await close(client, world.h("bureau"), project["id"])
    assert 3 * Decimal(result["voted_area"]) >= 2 * Decimal(result["eligible_area"])
    assert (result["voted_owners"], result["eligible_owners"]) == (7, 12)
    assert result["quorum_met"] is False and result["approved"] is False


async def test_an_owner_consents_for_their_own_flat_only_and_a_later_form_replaces_the_first(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate, owner_logins=(0,))
    project = await new_project(client, estate.committee, unit)
    url = f"/api/v1/lift-projects/{project['id']}/consents"
    mine = unit.owner_h[0]
    first = await client.post(
        url,
        json={"household_id": unit.households[0], "choice": "no", "reason": "影响采光"},
        headers=mine,
    )
    assert first.status_code == 201 and first.json()["replaced"] is False
    again = await client.post(
        url, json={"household_id": unit.households[0], "choice": "yes"}, headers=mine
    )
    assert again.json()["replaced"] is True
    neighbour = await client.post(
        url, json={"household_id": unit.households[1], "choice": "yes"}, headers=mine
    )
    assert neighbour.status_code == 404
    tally = (await client.get(f"/api/v1/lift-projects/{project['id']}/tally", headers=mine)).json()
    assert (tally["voted_owners"], tally["yes_owners"], tally["objections"]) == (1, 1, [])


async def test_an_objection_needs_its_reason_and_is_published_with_the_owner_masked(
    client: httpx.AsyncClient, world: World, estate: Estate, tmp_path: Path
) -> None:
    unit = await make_unit(client, world, estate)
    project = await new_project(client, estate.committee, unit)
    url = f"/api/v1/lift-projects/{project['id']}/consents"
    bare = await client.post(
        url, json={"household_id": unit.households[0], "choice": "no"}, headers=estate.committee
    )
    assert bare.status_code == 422
    assert bare.json()["errors"][0]["field"] == "reason"
    early = await client.get(
        f"/api/v1/lift-projects/{project['id']}/notice.pdf", headers=estate.committee
    )
    assert early.status_code == 409
    await consents(client, estate, project["id"], unit, AT_THRESHOLD | {0: "no", 8: "yes"})
    result = await close(client, world.h("bureau"), project["id"])
    objections = result["objections"]
    assert [o["room_no"] for o in objections] == ["101", "401", "402"]
    assert [o["owner_name"] for o in objections] == ["张*明", "周*静", "吴*平"]
    assert objections[0]["reason"] == "底层采光和通风受影响"

    pdf = await client.get(
        f"/api/v1/lift-projects/{project['id']}/notice.pdf", headers=world.h("auditor")
    )
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    assert "底层采光和通风受影响" in text
    assert "张*明" in text and "200000.00" in text
    for name, id_no in unit.owners:
        assert name not in text
        assert id_no not in text and id_no[-4:] not in text
    assert "13912345678" not in text
    for share in project["shares"]:
        assert share["share"] in text


async def test_a_form_racing_the_close_is_counted_in_the_published_tally_or_refused(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate)
    project = await new_project(client, estate.committee, unit)
    url = f"/api/v1/lift-projects/{project['id']}/consents"

    async def form(index: int) -> httpx.Response:
        return await client.post(
            url,
            json={"household_id": unit.households[index], "choice": "yes"},
            headers=estate.committee,
        )

    async def closing() -> httpx.Response:
        await asyncio.sleep(0.01)
        return await client.post(
            f"/api/v1/lift-projects/{project['id']}/close-consent", headers=world.h("bureau")
        )

    *forms, closed = await asyncio.gather(*(form(i) for i in range(12)), closing())
    assert closed.status_code == 200, closed.text
    assert {r.status_code for r in forms} <= {201, 409}
    accepted = sum(r.status_code == 201 for r in forms)
    assert closed.json()["voted_owners"] == accepted
    late = await form(0)
    assert late.status_code == 409
    published = (
        await client.get(f"/api/v1/lift-projects/{project['id']}/tally", headers=estate.committee)
    ).json()
    assert published["voted_owners"] == accepted


async def test_of_two_closes_at_once_exactly_one_publishes(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate)
    project = await new_project(client, estate.committee, unit)
    await consents(client, estate, project["id"], unit, {i: "yes" for i in range(12)})
    url = f"/api/v1/lift-projects/{project['id']}/close-consent"
    answers = await asyncio.gather(
        client.post(url, headers=world.h("bureau")),
        client.post(url, headers=estate.committee),
        client.post(url, headers=world.h("bureau2")),
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409]
    events = (
        await client.get(f"/api/v1/lift-projects/{project['id']}", headers=estate.committee)
    ).json()["events"]
    assert [e["action"] for e in events] == ["create", "consent_given"]


async def test_the_committee_closes_only_once_every_owner_answered_the_bureau_at_any_time(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    """No consent window is published: a committee cannot cut the unit's owners short
    (409, nothing published); once all twelve answered it may close; the bureau may close
    earlier, as for fund-use votes."""
    unit = await make_unit(client, world, estate)
    project = await new_project(client, estate.committee, unit)
    await consents(client, estate, project["id"], unit, {i: "yes" for i in range(11)})
    url = f"/api/v1/lift-projects/{project['id']}/close-consent"
    early = await client.post(url, headers=estate.committee)
    assert early.status_code == 409, early.text
    assert "11 / 12" in early.json()["detail"]
    still = await client.get(f"/api/v1/lift-projects/{project['id']}", headers=estate.committee)
    assert still.json()["status"] == "consent"
    await consents(client, estate, project["id"], unit, {11: "yes"})
    assert (await close(client, estate.committee, project["id"]))["approved"] is True

    other = await new_project(client, estate.committee, await make_unit(client, world, estate))
    assert (await close(client, world.h("bureau"), other["id"]))["approved"] is False
