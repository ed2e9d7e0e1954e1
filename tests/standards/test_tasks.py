"""The life of a rectification task: the responsible company answers, the bureau closes
or reopens; competing steps lock and recheck (one wins, the other 409); overdue tasks
are listed and shown in the rating evidence; who sees what (others 404)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import httpx

from service.clock import today
from tests.contracts.estate import make_contract, make_estate
from tests.ratings.flow import make_period
from tests.standards.estate import API, fresh_area, fresh_community, inspect
from tests.support import World, created


async def open_task(
    client: httpx.AsyncClient, world: World, community: str, code: str = "you_refuse", **extra: str
) -> dict[str, str]:
    body = await created(
        await inspect(
            client,
            world,
            {"community_id": community},
            [{"code": code, "result": "not_met"}],
            **extra,
        )
    )
    task: dict[str, str] = body["tasks"][0]
    return task


async def step(
    client: httpx.AsyncClient, world: World, who: str, task: str, action: str, note: str = "已整改"
) -> httpx.Response:
    return await client.post(
        f"{API}/rectifications/{task}/transitions",
        json={"action": action, "note": note},
        headers=world.h(who),
    )


async def test_the_company_answers_and_the_bureau_reopens_or_closes(
    client: httpx.AsyncClient, world: World
) -> None:
    task = await open_task(client, world, await fresh_community(client, world))
    assert (await step(client, world, "committee", task["id"], "answer")).status_code == 403
    assert (await step(client, world, "company", task["id"], "close")).status_code == 403
    assert (await step(client, world, "contractor", task["id"], "answer")).status_code == 404
    answered = await step(client, world, "company", task["id"], "answer", "分类投放点已补设")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert answered.json()["answer"] == "分类投放点已补设"
    reopened = await step(client, world, "bureau", task["id"], "reopen", "现场仍缺厨余桶")
    assert reopened.json()["status"] == "open"
    closed = await step(client, world, "bureau", task["id"], "close", "现场确认")
    assert closed.json()["status"] == "closed"
    again = await step(client, world, "bureau", task["id"], "close")
    assert again.status_code == 409
    empty = await step(client, world, "company", task["id"], "answer", "")
    assert empty.status_code == 422


async def test_of_two_competing_closes_exactly_one_wins(
    client: httpx.AsyncClient, world: World
) -> None:
    task = await open_task(client, world, await fresh_community(client, world))
    answers = await asyncio.gather(
        step(client, world, "bureau", task["id"], "close"),
        step(client, world, "bureau2", task["id"], "close"),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]


async def test_a_task_past_its_due_date_is_overdue_and_listed(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world)
    late = await open_task(
        client, world, community, inspected_on=(today() - timedelta(days=60)).isoformat()
    )
    fresh = await open_task(client, world, community, code="zheng_road")
    assert late["overdue"] is True
    read = (
        await client.get(f"{API}/rectifications/{late['id']}", headers=world.h("bureau"))
    ).json()
    assert read["overdue"] is True
    listed = await client.get(
        f"{API}/rectifications",
        params={"community_id": community, "overdue": "true"},
        headers=world.h("bureau"),
    )
    assert [t["id"] for t in listed.json()["items"]] == [late["id"]]
    on_time = await client.get(
        f"{API}/rectifications",
        params={"community_id": community, "overdue": "false"},
        headers=world.h("bureau"),
    )
    assert [t["id"] for t in on_time.json()["items"]] == [fresh["id"]]


async def test_scope_company_committee_contractor_and_others(
    client: httpx.AsyncClient, world: World
) -> None:
    mine = await open_task(client, world, world.ids["CA"], code="zheng_kerb")
    other = await open_task(client, world, await fresh_community(client, world, company=False))
    area_task = (
        await created(
            await inspect(
                client,
                world,
                {"area_id": await fresh_area(client, world)},
                [{"code": "you_clinic", "result": "not_met"}],
            )
        )
    )["tasks"][0]
    for who in ("company", "committee"):
        assert (
            await client.get(f"{API}/rectifications/{mine['id']}", headers=world.h(who))
        ).status_code == 200, who
        for foreign in (other["id"], area_task["id"], str(uuid.uuid4())):
            assert (
                await client.get(f"{API}/rectifications/{foreign}", headers=world.h(who))
            ).status_code == 404, who
        listed = await client.get(f"{API}/rectifications", headers=world.h(who))
        ids = {t["id"] for t in listed.json()["items"]}
        assert mine["id"] in ids and other["id"] not in ids and area_task["id"] not in ids
    assert (await step(client, world, "company", other["id"], "answer")).status_code == 404
    for who in ("owner1",):
        assert (await client.get(f"{API}/rectifications", headers=world.h(who))).status_code == 403
        assert (await client.get(f"{API}/inspections", headers=world.h(who))).status_code == 403
    assert (
        await client.get(f"{API}/rectifications/{mine['id']}", headers=world.h("contractor"))
    ).status_code == 404
    assert (
        await client.get(f"{API}/standards/matrix", headers=world.h("company"))
    ).status_code == 403
    assert (
        await client.get(f"{API}/rectifications/{other['id']}", headers=world.h("auditor"))
    ).status_code == 200
    # Inspecting a place out of scope or of another kind: the bureau alone inspects.
    refused = await inspect(
        client,
        world,
        {"community_id": world.ids["CA"]},
        [{"code": "tong_gas", "result": "met"}],
        who="committee",
    )
    assert refused.status_code == 403
    missing = await inspect(
        client, world, {"community_id": str(uuid.uuid4())}, [{"code": "tong_gas", "result": "met"}]
    )
    assert missing.status_code == 404
    inspection = mine["inspection_id"]
    assert (
        await client.get(f"{API}/inspections/{inspection}", headers=world.h("committee"))
    ).status_code == 200
    other_inspection = other["inspection_id"]
    for who in ("committee", "company"):
        assert (
            await client.get(f"{API}/inspections/{other_inspection}", headers=world.h(who))
        ).status_code == 404


async def test_overdue_rectifications_show_in_the_rating_evidence(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-07-01", "2026-09-30")
    await created(
        await inspect(
            client,
            world,
            {"community_id": estate.community},
            [
                {"code": "you_refuse", "result": "not_met"},
                {"code": "zheng_road", "result": "met"},
                {"code": "zheng_kerb", "result": "not_met"},
                {"code": "tong_gas", "result": "met"},
            ],
            inspected_on=date(2026, 8, 3).isoformat(),
        )
    )
    evidence = await client.get(
        f"{API}/rating-periods/{period['id']}/evidence",
        params={"contract_id": contract["id"]},
        headers=world.h("bureau"),
    )
    body = evidence.json()
    whole = body["standards"]
    assert (whole["items_met"], whole["items_not_met"], whole["rectifications_overdue"]) == (
        2,
        2,
        2,
    )
    items = {i["code"]: i["standards"] for i in body["items"]}
    assert items["cleaning"]["items"] == ["you_refuse"]
    assert items["cleaning"]["rectifications_overdue"] == 1
    assert (items["facilities"]["items_met"], items["facilities"]["items_not_met"]) == (1, 1)
    assert items["satisfaction"] is None
