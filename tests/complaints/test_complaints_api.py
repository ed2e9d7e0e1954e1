"""Complaints through the API: owners or the committee file against the community's
property company, the company answers, the complainant confirms or disputes; who sees
what; bad input; what a rating period counts; competing steps."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx

from service.clock import now, today
from service.complaints.tables import Complaint
from service.registry.tables import Organization
from tests.contracts.estate import Estate, make_contract, make_estate
from tests.ratings.flow import make_period
from tests.support import World, add_user, created, login, unique

API = "/api/v1"


async def estate_with_company(client: httpx.AsyncClient, world: World) -> Estate:
    estate = await make_estate(client, world)
    await make_contract(client, world, estate, starts_on="2026-01-01")
    return estate


async def file(
    client: httpx.AsyncClient, estate: Estate, headers: dict[str, str], **body: Any
) -> httpx.Response:
    body.setdefault("category", "cleaning")
    body.setdefault("place", "community")
    body.setdefault("description", "小区垃圾清运不及时，楼道有异味")
    return await client.post(
        f"{API}/communities/{estate.community}/complaints", json=body, headers=headers
    )


async def answer(
    client: httpx.AsyncClient, complaint: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    return await client.post(
        f"{API}/complaints/{complaint['id']}/answer",
        json={"answer": "已增加清运频次，每日两次"},
        headers=headers,
    )


async def confirm(
    client: httpx.AsyncClient,
    complaint: dict[str, Any],
    headers: dict[str, str],
    resolved: bool,
    note: str = "",
) -> httpx.Response:
    return await client.post(
        f"{API}/complaints/{complaint['id']}/confirm",
        json={"resolved": resolved, "note": note},
        headers=headers,
    )


async def test_an_owner_complains_the_company_answers_and_the_owner_confirms(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await estate_with_company(client, world)
    complaint = await created(
        await file(
            client,
            estate,
            estate.owner_h,
            category="facilities",
            place="household",
            household_id=estate.households[0],
            description="入户门禁损坏一周无人修",
            photos=["https://example.invalid/door.jpg"],
        )
    )
    assert (complaint["status"], complaint["company_id"], complaint["place"]) == (
        "filed",
        estate.company,
        "household",
    )
    assert complaint["household_id"] == estate.households[0]
    assert complaint["photos"] == ["https://example.invalid/door.jpg"]
    assert complaint["complainant_role"] == "owner"
    filed_at = complaint["filed_at"]
    due = complaint["answer_due_at"]
    assert due > filed_at and not complaint["overdue"]

    # Nothing to confirm before the company answers.
    assert (await confirm(client, complaint, estate.owner_h, True)).status_code == 409
    answered = await answer(client, complaint, estate.company_h)
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["answers"]) == ("answered", 1)
    assert answered.json()["answer"] == "已增加清运频次，每日两次"
    # The committee sees the owner's complaint but is not its complainant.
    assert (await confirm(client, complaint, estate.committee_h, True)).status_code == 403
    done = await confirm(client, complaint, estate.owner_h, True, "已修好")
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["confirmation_note"]) == ("resolved", "已修好")
    # Closed: neither another answer nor another confirmation.
    again = await answer(client, complaint, estate.company_h)
    assert again.status_code == 409
    # The state in words a clerk reads, its code beside it for API clients.
    assert "投诉当前状态为已解决（resolved）" in again.json()["detail"], again.json()
    assert (await confirm(client, complaint, estate.owner_h, False, "反悔")).status_code == 409


async def test_a_disputed_answer_goes_back_to_the_company(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await estate_with_company(client, world)
    complaint = await created(
        await file(
            client,
            estate,
            estate.committee_h,
            category="security",
            place="building",
            building_id=estate.building,
            description="单元门夜间不关",
        )
    )
    assert complaint["complainant_role"] == "committee"
    assert (await answer(client, complaint, estate.company_h)).status_code == 200
    no_reason = await confirm(client, complaint, estate.committee_h, False)
    assert no_reason.status_code == 422
    assert [e["field"] for e in no_reason.json()["errors"]] == ["note"]
    disputed = await confirm(client, complaint, estate.committee_h, False, "仍未整改")
    assert disputed.json()["status"] == "disputed"
    again = await answer(client, complaint, estate.company_h)
    assert (again.json()["status"], again.json()["answers"]) == ("answered", 2)
    # Another user of the same committee may confirm for it.
    committee = await Organization.select(Organization.id).where(
        (Organization.kind == "committee") & (Organization.community == UUID(estate.community))
    )
    other = unique("cm2-")
    await add_user(
        client, world.h("bureau"), username=other, role="committee", org_id=str(committee[0]["id"])
    )
    headers = await login(client, other)
    resolved = await confirm(client, complaint, headers, True)
    assert resolved.json()["status"] == "resolved", resolved.text


async def test_each_role_sees_only_its_complaints_and_others_get_404(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await estate_with_company(client, world)
    complaint = await created(await file(client, estate, estate.owner_h))
    path = f"{API}/complaints/{complaint['id']}"
    for who, status in (
        (world.h("bureau"), 200),
        (world.h("auditor"), 200),
        (estate.company_h, 200),
        (estate.committee_h, 200),
        (estate.owner_h, 200),
        (world.h("company"), 404),  # another community's company
        (world.h("committee"), 404),  # another community's committee
        (world.h("owner1"), 404),  # another owner
        (world.h("contractor"), 403),  # never reads complaints
    ):
        assert (await client.get(path, headers=who)).status_code == status, who
    # Acting on a complaint out of scope is 404 too, exactly as a missing one.
    missing = {"id": "00000000-0000-4000-8000-000000000000"}
    for target in (complaint, missing):
        assert (await answer(client, target, world.h("company"))).status_code == 404
        assert (await confirm(client, target, world.h("owner1"), True)).status_code == 404
    # A committee files; the owner's list of the community shows the owner's own only.
    await created(await file(client, estate, estate.committee_h, category="greening"))
    own = await client.get(
        f"{API}/communities/{estate.community}/complaints", headers=estate.owner_h
    )
    assert [c["id"] for c in own.json()["items"]] == [complaint["id"]]
    everyone = await client.get(
        f"{API}/communities/{estate.community}/complaints", headers=estate.committee_h
    )
    assert len(everyone.json()["items"]) == 2
    listed = await client.get(f"{API}/complaints", headers=estate.company_h)
    assert {c["community_id"] for c in listed.json()["items"]} == {estate.community}
    # Another community's committee may not file here or list it.
    assert (await file(client, estate, world.h("committee"))).status_code == 404
    assert (
        await client.get(
            f"{API}/communities/{estate.community}/complaints", headers=world.h("committee")
        )
    ).status_code == 404
    # Roles that never complain.
    assert (await file(client, estate, estate.company_h)).status_code == 403
    assert (await file(client, estate, world.h("bureau"))).status_code == 403


async def test_bad_complaints_are_refused_naming_the_field(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await estate_with_company(client, world)
    for body, field in (
        ({"category": "noise"}, "category"),
        ({"place": "street"}, "place"),
        ({"place": "household"}, "household_id"),
        ({"place": "household", "household_id": world.ids["h4"]}, "household_id"),
        ({"place": "building"}, "building_id"),
        ({"place": "building", "building_id": world.ids["CB-1"]}, "building_id"),
        ({"place": "community", "household_id": estate.households[0]}, "household_id"),
        ({"description": ""}, "description"),
        ({"unknown": 1}, "unknown"),
    ):
        response = await file(client, estate, estate.owner_h, **body)
        assert response.status_code == 422, (body, response.text)
        assert field in str(response.json()["errors"]), (body, response.text)
    assert (
        await client.get(f"{API}/communities/{estate.community}/complaints", headers=estate.owner_h)
    ).json()["items"] == []


async def test_no_company_no_complaint_against_one(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)  # no contract
    response = await file(client, estate, estate.committee_h)
    assert response.status_code == 409


async def test_a_rating_period_counts_the_complaints_beside_the_satisfaction_item(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2026-01-01")
    this_month = today().replace(day=1)
    last_day = (this_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    period = await make_period(client, world, this_month.isoformat(), last_day.isoformat())
    resolved = await created(await file(client, estate, estate.owner_h))
    disputed = await created(await file(client, estate, estate.committee_h))
    late = await created(await file(client, estate, estate.owner_h, category="fees"))
    for complaint in (resolved, disputed):
        assert (await answer(client, complaint, estate.company_h)).status_code == 200
    assert (await confirm(client, resolved, estate.owner_h, True)).status_code == 200
    assert (
        await confirm(client, disputed, estate.committee_h, False, "没有改善")
    ).status_code == 200
    # The third one's window has passed without an answer.
    await Complaint.update({Complaint.answer_due_at: now() - timedelta(minutes=1)}).where(
        Complaint.id == UUID(late["id"])
    )
    # Another community's complaint does not count here.
    other = await estate_with_company(client, world)
    await created(await file(client, other, other.owner_h))

    body = (
        await client.get(
            f"{API}/rating-periods/{period['id']}/evidence",
            params={"contract_id": contract["id"]},
            headers=world.h("bureau"),
        )
    ).json()
    expected = {
        "filed": 3,
        "answered": 2,
        "resolved": 1,
        "disputed": 1,
        "overdue": 1,
        "answer_window_days": 7,
    }
    assert body["complaints"] == expected
    satisfaction = next(i for i in body["items"] if i["code"] == "satisfaction")
    assert satisfaction["complaints"] == expected
    assert all(i["complaints"] is None for i in body["items"] if i["code"] != "satisfaction")
    shown = (await client.get(f"{API}/complaints/{late['id']}", headers=estate.owner_h)).json()
    assert shown["overdue"] is True


async def test_competing_answers_and_confirmations_one_wins_the_other_409(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await estate_with_company(client, world)
    second = unique("co2-")
    await add_user(
        client, world.h("bureau"), username=second, role="company", org_id=estate.company
    )
    company2 = await login(client, second)
    for _ in range(4):
        complaint = await created(await file(client, estate, estate.owner_h))
        first, other = await asyncio.gather(
            answer(client, complaint, estate.company_h), answer(client, complaint, company2)
        )
        assert sorted([first.status_code, other.status_code]) == [200, 409], (
            first.text,
            other.text,
        )
        yes, no = await asyncio.gather(
            confirm(client, complaint, estate.owner_h, True),
            confirm(client, complaint, estate.owner_h, False, "未解决"),
        )
        assert sorted([yes.status_code, no.status_code]) == [200, 409], (yes.text, no.text)
        final = (
            await client.get(f"{API}/complaints/{complaint['id']}", headers=world.h("bureau"))
        ).json()
        winner = "resolved" if yes.status_code == 200 else "disputed"
        assert (final["status"], final["answers"]) == (winner, 1)
