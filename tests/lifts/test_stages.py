"""A lift from consent to use: documents gate each stage, acceptance enters the lift into
the works register with its warranty (repairs then route to the installer), the
market regulator's registration puts it in use, upkeep is shared only after acceptance,
and the subsidy is claimed and paid."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.lifts.estate import Estate, close, consents, make_estate, make_unit, new_project
from tests.support import World

ACCEPTED_ON = date.today() - timedelta(days=20)


@pytest.fixture(scope="module")
async def estate(client: httpx.AsyncClient, world: World) -> Estate:
    return await make_estate(client, world)


async def step(
    client: httpx.AsyncClient, headers: dict[str, str], project_id: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/lift-projects/{project_id}/transitions", json=body, headers=headers
    )


async def document(
    client: httpx.AsyncClient, estate: Estate, project_id: str, kind: str, title: str
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/lift-projects/{project_id}/documents",
        json={
            "kind": kind,
            "title": title,
            "number": "洛老建〔2026〕12号",
            "issued_on": "2026-01-05",
        },
        headers=estate.committee,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def upkeep(
    client: httpx.AsyncClient, estate: Estate, project_id: str, year: int, kind: str, amount: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/lift-projects/{project_id}/upkeep",
        json={"year": year, "kind": kind, "amount": amount},
        headers=estate.committee,
    )


async def test_a_lift_goes_from_consent_to_use_with_its_documents_warranty_and_upkeep(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    bureau = world.h("bureau")
    unit = await make_unit(client, world, estate)
    project = await new_project(
        client,
        estate.committee,
        unit,
        applicant_household_id=unit.households[11],
        upkeep_coefficients={str(f): "1" for f in range(1, 7)},
    )
    pid = project["id"]
    assert project["applicant_name"] == "褚大伟"
    await consents(client, estate, pid, unit, {i: "yes" for i in range(12)})
    await close(client, estate.committee, pid)

    # Design and approval: no document, no next stage.
    bare = await step(client, estate.committee, pid, action="design_approved")
    assert bare.status_code == 409
    await document(client, estate, pid, "design_approval", "施工图设计审查合格书")
    assert (await step(client, estate.committee, pid, action="design_approved")).status_code == 200
    early_upkeep = await upkeep(client, estate, pid, 2026, "maintenance", "6000.00")
    assert early_upkeep.status_code == 409
    cancel = await step(client, bureau, pid, action="cancel")
    assert cancel.status_code == 409  # construction has begun

    await document(client, estate, pid, "construction_permit", "施工许可证")
    done = await step(client, estate.committee, pid, action="construction_done")
    assert done.status_code == 200 and done.json()["status"] == "acceptance"

    # Acceptance enters the works register: the bureau's, with the installer and warranty.
    await document(client, estate, pid, "acceptance_report", "竣工验收报告")
    accept = {
        "action": "accepted",
        "on": ACCEPTED_ON.isoformat(),
        "contractor_id": estate.contractor_id,
        "settlement_amount": "298000.00",
        "warranty_years": 5,
    }
    assert (await step(client, estate.committee, pid, **accept)).status_code == 403
    short = await step(client, bureau, pid, **accept | {"warranty_years": 1})
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "warranty_years"
    no_installer = await step(client, bureau, pid, **accept | {"contractor_id": None})
    assert no_installer.status_code == 422
    accepted = await step(client, bureau, pid, **accept)
    assert accepted.status_code == 200, accepted.text
    lift = accepted.json()
    assert lift["status"] == "registration"
    assert lift["accepted_on"] == ACCEPTED_ON.isoformat()
    assert date.fromisoformat(lift["warranty_until"]) >= ACCEPTED_ON.replace(
        year=ACCEPTED_ON.year + 5
    )
    work = (await client.get(f"/api/v1/works/{lift['work_id']}", headers=bureau)).json()
    assert [c["category"] for c in work["components"]] == ["equipment"]
    assert work["building_ids"] == [unit.building]
    assert work["contractor_id"] == estate.contractor_id

    # A fault of the lift while under warranty goes to the installer, as any repair does.
    ticket = await client.post(
        "/api/v1/repairs",
        json={
            "community_id": estate.community,
            "building_id": unit.building,
            "category": "equipment",
            "description": "加装电梯轿厢门关闭异常",
        },
        headers=estate.committee,
    )
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["responsible_kind"] == "contractor"
    assert ticket.json()["responsible_org_id"] == estate.contractor_id
    assert ticket.json()["work_id"] == lift["work_id"]

    # Upkeep is shared from acceptance on, by its own coefficients (here every floor 1.0).
    charge = await upkeep(client, estate, pid, 2026, "maintenance", "6000.01")
    assert charge.status_code == 201, charge.text
    shares = charge.json()["shares"]
    assert sum(Decimal(s["share"]) for s in shares) == Decimal("6000.01")
    assert {s["share"] for s in shares} <= {"500.00", "500.01"}
    again = await upkeep(client, estate, pid, 2026, "maintenance", "6000.01")
    assert again.status_code == 409

    # The market regulator's registration, then use; the subsidy after that.
    assert (
        await client.post(
            f"/api/v1/lift-projects/{pid}/subsidy",
            json={"action": "claim"},
            headers=estate.committee,
        )
    ).status_code == 409
    unnumbered = await step(client, estate.committee, pid, action="registered")
    assert unnumbered.status_code == 422
    before_acceptance = await step(
        client,
        estate.committee,
        pid,
        action="registered",
        registration_no="梯11豫C00001(26)",
        on=(ACCEPTED_ON - timedelta(days=1)).isoformat(),
    )
    assert before_acceptance.status_code == 422
    registered = await step(
        client,
        estate.committee,
        pid,
        action="registered",
        registration_no="梯11豫C00001(26)",
        on=(ACCEPTED_ON + timedelta(days=5)).isoformat(),
    )
    assert registered.status_code == 200, registered.text
    lift = registered.json()
    assert lift["status"] == "in_use"
    assert lift["registration_no"] == "梯11豫C00001(26)"
    assert lift["registered_on"] == (ACCEPTED_ON + timedelta(days=5)).isoformat()
    inspection = await upkeep(client, estate, pid, 2026, "inspection", "800.00")
    assert inspection.status_code == 201

    subsidy = f"/api/v1/lift-projects/{pid}/subsidy"
    claimed = await client.post(subsidy, json={"action": "claim"}, headers=estate.committee)
    assert claimed.status_code == 200 and claimed.json()["subsidy_status"] == "claimed"
    by_committee = await client.post(subsidy, json={"action": "paid"}, headers=estate.committee)
    assert by_committee.status_code == 403
    paid = await client.post(
        subsidy, json={"action": "paid", "reference": "财拨〔2026〕88号"}, headers=bureau
    )
    assert paid.status_code == 200
    assert (paid.json()["subsidy_status"], paid.json()["subsidy_reference"]) == (
        "paid",
        "财拨〔2026〕88号",
    )

    read = (await client.get(f"/api/v1/lift-projects/{pid}", headers=estate.committee)).json()
    assert [d["stage"] for d in read["documents"]] == ["design", "construction", "acceptance"]
    assert [e["to_status"] for e in read["events"]] == [
        "consent",
        "design",
        "construction",
        "acceptance",
        "registration",
        "in_use",
    ]
    assert [(u["year"], u["kind"]) for u in read["upkeep"]] == [
        (2026, "maintenance"),
        (2026, "inspection"),
    ]
    view = (
        await client.get(f"/api/v1/households/{unit.households[0]}/lift", headers=bureau)
    ).json()["items"][0]
    assert view["share"] == "0.00"  # the ground floor pays nothing for the lift ...
    upkept = {u["kind"]: u["share"] for u in view["upkeep"]}  # ... but shares its upkeep
    assert upkept["maintenance"] in {"500.00", "500.01"}
    assert upkept["inspection"] in {"66.66", "66.67"}


async def test_upkeep_follows_the_cost_coefficients_when_none_of_its_own_were_given(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate)
    project = await new_project(client, estate.committee, unit)
    pid = project["id"]
    await consents(client, estate, pid, unit, {i: "yes" for i in range(12)})
    await close(client, estate.committee, pid)
    for stage, kind in (("design_approved", "design_approval"), ("construction_done", "permit")):
        await document(client, estate, pid, kind, "文件")
        assert (await step(client, estate.committee, pid, action=stage)).status_code == 200
    await document(client, estate, pid, "acceptance_report", "竣工验收报告")
    accepted = await step(
        client,
        world.h("bureau"),
        pid,
        action="accepted",
        on=ACCEPTED_ON.isoformat(),
        contractor_id=estate.contractor_id,
        settlement_amount="300000.00",
    )
    assert accepted.status_code == 200, accepted.text
    charge = await upkeep(client, estate, pid, 2027, "maintenance", "9800.00")
    assert charge.status_code == 201, charge.text
    by_floor = {s["floor"]: s["share"] for s in charge.json()["shares"]}
    assert by_floor[1] == "0.00" and by_floor[6] == "1400.00" and by_floor[2] == "500.00"


async def test_a_project_in_consent_may_be_cancelled_and_the_unit_asked_again(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate)
    project = await new_project(client, estate.committee, unit)
    second = await client.post(
        "/api/v1/lift-projects",
        json={"building_id": unit.building, "unit_no": "1", "estimated_cost": "1.00"},
        headers=estate.committee,
    )
    assert second.status_code == 409
    whole = await client.post(
        "/api/v1/lift-projects",
        json={"building_id": unit.building, "unit_no": None, "estimated_cost": "1.00"},
        headers=estate.committee,
    )
    assert whole.status_code == 409
    cancelled = await step(client, estate.committee, project["id"], action="cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await new_project(client, estate.committee, unit)
    assert again["id"] != project["id"]
    closed_doc = await client.post(
        f"/api/v1/lift-projects/{project['id']}/documents",
        json={"kind": "other", "title": "补充材料"},
        headers=estate.committee,
    )
    assert closed_doc.status_code == 409


async def test_of_two_competing_steps_exactly_one_wins(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate)
    project = await new_project(client, estate.committee, unit)
    pid = project["id"]
    await consents(client, estate, pid, unit, {i: "yes" for i in range(12)})
    await close(client, estate.committee, pid)
    await document(client, estate, pid, "design_approval", "施工图设计审查合格书")
    answers = await asyncio.gather(
        step(client, estate.committee, pid, action="design_approved"),
        step(client, world.h("bureau"), pid, action="design_approved"),
        step(client, world.h("bureau2"), pid, action="cancel"),
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409]
    read = (await client.get(f"/api/v1/lift-projects/{pid}", headers=estate.committee)).json()
    assert read["status"] in {"construction", "cancelled"}
    assert len(read["events"]) == 3
