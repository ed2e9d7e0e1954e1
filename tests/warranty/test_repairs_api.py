"""Repair tickets through the API: routing, life, dispute, scope, follow-up, figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import quote
from uuid import UUID, uuid4

import httpx
import pytest

from service.audit.tables import AuditEntry
from service.clock import DISTRICT_ZONE, now, today
from service.errors import Conflict
from service.warranty.service import covering_component
from service.warranty.tickets import link_fund_use
from tests.support import World, created, unique
from tests.warranty.conftest import API, Rival, Site, add_work, report, step


async def test_a_roof_leak_under_warranty_is_routed_to_the_contractor_with_the_reason(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    ticket = await report(
        client, world, "committee", category="roofing", building_id=world.ids["CA-1"]
    )
    roof = next(c for c in site.recent["components"] if c["category"] == "roofing")
    assert ticket["status"] == "assigned"
    assert ticket["responsible_kind"] == "contractor"
    assert ticket["responsible_org_id"] == world.ids["org_contractor"]
    assert ticket["work_id"] == site.recent["id"]
    assert ticket["warranty_until"] == roof["warranty_until"]
    assert roof["warranty_until"] in ticket["reason"] and "保修" in ticket["reason"]
    due = datetime.fromisoformat(ticket["due_at"])
    reported = datetime.fromisoformat(ticket["reported_at"])
    assert due - reported == timedelta(days=7)


async def test_after_the_warranty_a_common_drain_reported_from_a_flat_goes_to_the_company(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    ticket = await report(
        client,
        world,
        "owner1",
        category="plumbing",
        household_id=world.ids["h1"],
        part="common",
        urgency="emergency",
        description="楼道公共下水立管漏水",
    )
    assert ticket["part"] == "common"
    assert ticket["responsible_kind"] == "company"
    assert ticket["responsible_org_id"] == world.ids["org_company"]
    assert ticket["work_id"] is None and ticket["building_id"] == world.ids["CA-1"]
    assert "物业" in ticket["reason"] and ticket["responsible_org_name"]
    due = datetime.fromisoformat(ticket["due_at"])
    assert due - datetime.fromisoformat(ticket["reported_at"]) == timedelta(hours=24)


async def test_a_major_repair_of_a_common_part_out_of_warranty_goes_to_the_fund(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    ticket = await report(
        client,
        world,
        "company",
        category="electrical",
        major=True,
        description="楼道电气线路老化，需整体更换",
    )
    assert ticket["responsible_kind"] == "fund"
    assert "维修资金" in ticket["reason"]
    # The ticket opened a draft fund use linked both ways.
    draft = await client.get(f"{API}/fund-uses/{ticket['fund_use_id']}", headers=world.h("company"))
    assert draft.status_code == 200, draft.text
    assert draft.json()["status"] == "draft"
    assert draft.json()["repair_ticket_id"] == ticket["id"]
    assert draft.json()["component"] == "electrical"
    # Only fund-path tickets take a link.
    fund_use_id = uuid4()
    await link_fund_use(UUID(ticket["id"]), fund_use_id)
    read = await client.get(f"{API}/repairs/{ticket['id']}", headers=world.h("company"))
    assert read.json()["fund_use_id"] == str(fund_use_id)
    routine = await report(client, world, "company", category="decoration")
    with pytest.raises(Conflict):
        await link_fund_use(UUID(routine["id"]), fund_use_id)


async def test_an_owner_reports_only_for_its_own_household(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.post(
        f"{API}/repairs",
        json={
            "community_id": world.ids["CA"],
            "household_id": world.ids["h3"],
            "category": "plumbing",
            "description": "漏水",
        },
        headers=world.h("owner1"),
    )
    assert r.status_code == 404
    r = await client.post(
        f"{API}/repairs",
        json={"community_id": world.ids["CA"], "category": "roofing", "description": "漏"},
        headers=world.h("contractor"),
    )
    assert r.status_code == 403
    r = await client.post(
        f"{API}/repairs",
        json={"community_id": world.ids["CB"], "category": "roofing", "description": "漏"},
        headers=world.h("committee"),
    )
    assert r.status_code == 404


async def test_bad_category_urgency_and_building_are_named(
    client: httpx.AsyncClient, world: World
) -> None:
    for extra, field in (
        ({"category": "garden"}, "category"),
        ({"category": "roofing", "urgency": "soon"}, "urgency"),
        ({"category": "roofing", "building_id": world.ids["CB-1"]}, "building_id"),
    ):
        r = await client.post(
            f"{API}/repairs",
            json={"community_id": world.ids["CA"], "description": "x", **extra},
            headers=world.h("bureau"),
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field


async def test_a_ticket_goes_from_assigned_to_verified_and_every_step_is_logged(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    ticket = await report(client, world, "committee", category="exterior_wall")
    assert ticket["responsible_kind"] == "contractor"
    tid = ticket["id"]
    # The reporter cannot accept, the company is not responsible, finishing too early is 409.
    assert (await step(client, world, "committee", tid, "accept")).status_code == 403
    assert (await step(client, world, "company", tid, "accept")).status_code == 403
    early = await step(client, world, "contractor", tid, "finish")
    assert early.status_code == 409
    assert "工单当前状态为已派单（assigned）" in early.json()["detail"], early.json()
    for action in ("accept", "start", "finish"):
        r = await step(client, world, "contractor", tid, action, note=f"{action} ok")
        assert r.status_code == 201, r.text
    assert r.json()["status"] == "done"
    reopened = await step(client, world, "committee", tid, "reopen", note="仍渗水")
    assert reopened.json()["status"] == "assigned" and reopened.json()["reopen_count"] == 1
    for action in ("accept", "start", "finish"):
        assert (await step(client, world, "contractor", tid, action)).status_code == 201
    verified = await step(client, world, "committee", tid, "verify")
    assert verified.json()["status"] == "verified"
    assert (await step(client, world, "committee", tid, "reopen")).status_code == 409
    events = verified.json()["events"]
    assert [e["action"] for e in events] == [
        "report",
        "accept",
        "start",
        "finish",
        "reopen",
        "accept",
        "start",
        "finish",
        "verify",
    ]
    assert all(e["actor_name"] and e["at"] for e in events)
    logged = await AuditEntry.select(AuditEntry.action).where(AuditEntry.entity_id == tid)
    assert [e["action"] for e in logged].count("repair.finish") == 2
    assert "repair.verify" in {e["action"] for e in logged}


async def test_a_contractor_disputes_and_the_bureau_reroutes_to_the_company(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    ticket = await report(client, world, "committee", category="roofing")
    tid = ticket["id"]
    no_reason = await step(client, world, "contractor", tid, "dispute")
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "note"
    disputed = await step(client, world, "contractor", tid, "dispute", note="住户私自加装太阳能")
    assert disputed.json()["status"] == "disputed"
    assert (
        await step(client, world, "contractor", tid, "decide_dispute", decision="upheld")
    ).status_code == 403
    missing = await step(client, world, "bureau", tid, "decide_dispute")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "decision"
    decided = await step(client, world, "bureau", tid, "decide_dispute", decision="upheld")
    body = decided.json()
    assert body["status"] == "assigned" and body["dispute_decision"] == "upheld"
    assert body["responsible_kind"] == "company"
    assert body["responsible_org_id"] == world.ids["org_company"]
    assert "不属于保修范围" in body["reason"]
    assert (await step(client, world, "company", tid, "accept")).status_code == 201


async def test_a_rejected_dispute_leaves_the_ticket_with_the_contractor(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    ticket = await report(client, world, "bureau", category="roofing", urgency="emergency")
    tid = ticket["id"]
    await step(client, world, "contractor", tid, "dispute", note="非施工质量问题")
    decided = await step(client, world, "bureau", tid, "decide_dispute", decision="rejected")
    assert decided.json()["responsible_kind"] == "contractor"
    assert decided.json()["due_at"] == ticket["due_at"]


async def test_a_contractor_sees_only_its_own_works_tickets(
    client: httpx.AsyncClient, world: World, site: Site, rival: Rival
) -> None:
    ours = await report(client, world, "committee", category="roofing")
    theirs = await report(client, world, "bureau", community_id=world.ids["CB"], category="roofing")
    assert theirs["responsible_org_id"] == rival.org_id
    company_ticket = await report(client, world, "committee", category="decoration")
    assert company_ticket["responsible_kind"] == "company"
    contractor = world.h("contractor")
    assert (await client.get(f"{API}/repairs/{ours['id']}", headers=contractor)).status_code == 200
    for other in (theirs, company_ticket):
        r = await client.get(f"{API}/repairs/{other['id']}", headers=contractor)
        assert r.status_code == 404
        assert (await step(client, world, "contractor", other["id"], "accept")).status_code == 404
    listed = await client.get(f"{API}/repairs?limit=500", headers=contractor)
    ids = {t["id"] for t in listed.json()["items"]}
    assert ours["id"] in ids and theirs["id"] not in ids and company_ticket["id"] not in ids
    rival_list = await client.get(f"{API}/repairs?limit=500", headers=rival.headers)
    assert {t["id"] for t in rival_list.json()["items"]} == {theirs["id"]}
    # The company and committee of CA do not see CB's ticket either.
    assert (
        await client.get(f"{API}/repairs/{theirs['id']}", headers=world.h("company"))
    ).status_code == 404


async def test_an_owner_sees_its_own_reports_but_not_a_neighbours(
    client: httpx.AsyncClient, world: World
) -> None:
    mine = await report(
        client, world, "owner2", category="plumbing", household_id=world.ids["h3"], part="private"
    )
    assert (
        await client.get(f"{API}/repairs/{mine['id']}", headers=world.h("owner2"))
    ).status_code == 200
    assert (
        await client.get(f"{API}/repairs/{mine['id']}", headers=world.h("owner1"))
    ).status_code == 404


async def test_overdue_tickets_are_listed_for_the_bureau(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    ticket = await report(client, world, "committee", category="roofing", urgency="emergency")
    soon = quote((now() + timedelta(hours=1)).isoformat())
    later = quote((now() + timedelta(hours=25)).isoformat())
    bureau = world.h("bureau")
    r = await client.get(f"{API}/repairs?overdue=true&limit=500&as_of={soon}", headers=bureau)
    assert ticket["id"] not in {t["id"] for t in r.json()["items"]}
    r = await client.get(f"{API}/repairs?overdue=true&limit=500&as_of={later}", headers=bureau)
    found = [t for t in r.json()["items"] if t["id"] == ticket["id"]]
    assert found and found[0]["overdue"] is True
    r = await client.get(f"{API}/repairs?status=assigned&overdue=false&limit=500", headers=bureau)
    assert ticket["id"] in {t["id"] for t in r.json()["items"]}
    bad = await client.get(f"{API}/repairs?status=lost", headers=bureau)
    assert bad.status_code == 422


async def test_retention_is_blocked_while_a_warranty_ticket_of_the_work_is_open(
    client: httpx.AsyncClient, world: World
) -> None:
    work = await add_work(
        client,
        world,
        today() - timedelta(days=500),
        [{"category": "wet_rooms"}],
        retention_amount="1000.00",
        building_ids=[world.ids["CA-1"]],
    )
    path = f"{API}/works/{work['id']}/retention"
    assert (await client.get(path, headers=world.h("bureau"))).json()["state"] == "releasable"
    ticket = await report(
        client, world, "owner1", category="wet_rooms", household_id=world.ids["h2"], part="private"
    )
    assert ticket["work_id"] == work["id"]
    blocked = (await client.get(path, headers=world.h("contractor"))).json()
    assert blocked["state"] == "blocked" and blocked["open_warranty_tickets"] == 1
    for action in ("accept", "start", "finish"):
        await step(client, world, "contractor", ticket["id"], action)
    await step(client, world, "owner1", ticket["id"], "verify")
    assert (await client.get(path, headers=world.h("bureau"))).json()["state"] == "releasable"


async def test_figures_per_company_and_contractor(
    client: httpx.AsyncClient, world: World, site: Site
) -> None:
    ticket = await report(client, world, "committee", category="roofing")
    for action in ("accept", "start", "finish"):
        await step(client, world, "contractor", ticket["id"], action)
    day = datetime.fromisoformat(ticket["reported_at"]).astimezone(DISTRICT_ZONE).date()
    r = await client.get(
        f"{API}/repairs/figures?period_start={day}&period_end={day}"
        f"&org_id={world.ids['org_contractor']}",
        headers=world.h("auditor"),
    )
    assert r.status_code == 200, r.text
    [figure] = r.json()["items"]
    assert figure["org_kind"] == "contractor" and figure["tickets"] >= 1
    assert figure["done"] >= 1 and figure["on_time"] >= 1
    assert figure["median_hours_to_done"] is not None
    assert 0 <= float(figure["reopen_rate"]) <= 1
    everyone = await client.get(
        f"{API}/repairs/figures?period_start={day}&period_end={day}", headers=world.h("bureau")
    )
    kinds = {f["org_kind"] for f in everyone.json()["items"]}
    assert {"contractor", "company"} <= kinds
    assert (
        await client.get(
            f"{API}/repairs/figures?period_start={day}&period_end={day}",
            headers=world.h("company"),
        )
    ).status_code == 403
    backwards = await client.get(
        f"{API}/repairs/figures?period_start={day}&period_end={day - timedelta(days=1)}",
        headers=world.h("bureau"),
    )
    assert backwards.status_code == 422


async def test_covering_component_names_the_work_under_warranty_for_the_fund_guard(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    community = await created(
        await client.post(
            f"{API}/communities",
            json={
                "area_id": world.ids["area"],
                "name": "守卫小区",
                "code": unique("G"),
                "built_year": 1990,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    buildings = [
        await created(
            await client.post(
                f"{API}/communities/{community['id']}/buildings",
                json={"name": name, "floors": 6},
                headers=bureau,
            )
        )
        for name in ("1号楼", "2号楼")
    ]
    work = await add_work(
        client,
        world,
        date(2022, 6, 30),
        [{"category": "roofing"}],
        community_id=community["id"],
        building_ids=[buildings[0]["id"]],
    )
    cid = UUID(community["id"])
    on = date(2026, 1, 5)
    hit = await covering_component(cid, "roofing", on, UUID(buildings[0]["id"]))
    assert hit is not None and hit["work_id"] == UUID(work["id"])
    assert hit["warranty_until"] == date(2027, 6, 30)
    assert await covering_component(cid, "roofing", on) is not None
    assert await covering_component(cid, "roofing", on, UUID(buildings[1]["id"])) is None
    assert await covering_component(cid, "roofing", date(2027, 7, 1)) is None
    assert await covering_component(cid, "electrical", on) is None
    # Several buildings at once: covered as soon as one of them is.
    both = [UUID(b["id"]) for b in buildings]
    hit_any = await covering_component(cid, "roofing", on, building_ids=both)
    assert hit_any is not None and hit_any["work_id"] == UUID(work["id"])
    assert await covering_component(cid, "roofing", on, building_ids=both[1:]) is None
