"""A community of its own for each contract or rating test: households, a company with
a user, an owners' committee with a user (the shared session database never couples
tests)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import World, add_household, add_user, created, login, make_id_no, unique


@dataclass
class Estate:
    community: str
    building: str
    households: list[str]
    company: str
    company_h: dict[str, str]
    committee_h: dict[str, str]
    owner_h: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


async def make_company(client: httpx.AsyncClient, world: World) -> tuple[str, dict[str, str]]:
    """A property company and a logged-in user of it."""
    bureau = world.h("bureau")
    org = await created(
        await client.post(
            "/api/v1/organizations",
            json={"kind": "company", "name": unique("物业公司")},
            headers=bureau,
        )
    )
    username = unique("co-")
    await add_user(client, bureau, username=username, role="company", org_id=org["id"])
    return org["id"], await login(client, username)


async def make_estate(
    client: httpx.AsyncClient, world: World, areas: tuple[str, ...] = ("80.00", "70.00")
) -> Estate:
    bureau = world.h("bureau")
    community = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": "合同测试小区",
                "code": unique("K"),
                "built_year": 1994,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    building = await created(
        await client.post(
            f"/api/v1/communities/{community['id']}/buildings",
            json={"name": "1号楼", "floors": 6, "has_elevator": False},
            headers=bureau,
        )
    )
    seq = random.randint(100, 999)
    owner = (f"业主{seq}", make_id_no(seq, birth="19770707"))
    households = [
        await add_household(client, bureau, building["id"], f"{i + 1}01", area, owner)
        for i, area in enumerate(areas)
    ]
    company, company_h = await make_company(client, world)
    committee = await created(
        await client.post(
            "/api/v1/organizations",
            json={"kind": "committee", "name": unique("业委会"), "community_id": community["id"]},
            headers=bureau,
        )
    )
    committee_user = unique("cm-")
    await add_user(
        client, bureau, username=committee_user, role="committee", org_id=committee["id"]
    )
    owner_user = unique("ow-")
    await add_user(client, bureau, username=owner_user, role="owner", household_ids=households)
    return Estate(
        community=community["id"],
        building=building["id"],
        households=households,
        company=company,
        company_h=company_h,
        committee_h=await login(client, committee_user),
        owner_h=await login(client, owner_user),
    )


def contract_body(estate: Estate, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "community_id": estate.community,
        "company_id": estate.company,
        "mode": "market",
        "starts_on": "2026-01-01",
        "ends_on": "2028-12-31",
        "fee_per_m2_month": "0.80",
        "subsidy_per_m2_month": "0.30",
        "services": ["保洁", "秩序维护", "绿化养护", "共用设施维护"],
    }
    body.update(overrides)
    return body


async def make_contract(
    client: httpx.AsyncClient, world: World, estate: Estate, **overrides: Any
) -> dict[str, Any]:
    return await created(
        await client.post(
            "/api/v1/contracts", json=contract_body(estate, **overrides), headers=world.h("bureau")
        )
    )


DECISIONS = "/api/v1/management-decisions"


async def pass_decision(
    client: httpx.AsyncClient, estate: Estate, kind: str = "choose", **fields: Any
) -> dict[str, Any]:
    """An owners' decision of the estate's community, voted yes by its one owner (both
    flats) and closed by the committee: passed (Civil Code art. 278)."""
    body: dict[str, Any] = {"community_id": estate.community, "kind": kind}
    if kind == "choose":
        body.update({"mode": "market", "company_id": estate.company})
    body.update(fields)
    decision = await created(await client.post(DECISIONS, json=body, headers=estate.committee_h))
    for household in estate.households:
        await created(
            await client.post(
                f"{DECISIONS}/{decision['id']}/ballots",
                json={"household_id": household, "choice": "yes"},
                headers=estate.owner_h,
            )
        )
    closed = await client.post(f"{DECISIONS}/{decision['id']}/close", headers=estate.committee_h)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "passed", closed.json()
    result: dict[str, Any] = closed.json()
    return result


async def finish_handover(
    client: httpx.AsyncClient, world: World, estate: Estate, contract_id: str
) -> dict[str, Any]:
    """The outgoing company records and confirms the hand-over, the committee confirms."""
    path = f"/api/v1/contracts/{contract_id}/handover"
    written = await client.put(
        path,
        json={
            "documents": ["竣工图纸", "业主名册"],
            "keys": ["配电房钥匙"],
            "equipment": ["二次供水设备"],
            "rooms": ["物业服务用房 1号楼底层 40m²"],
            "fund_account": "维修资金专户：某银行 6222****1234",
        },
        headers=estate.company_h,
    )
    assert written.status_code == 200, written.text
    out = await client.post(f"{path}/confirm", json={"side": "outgoing"}, headers=estate.company_h)
    assert out.status_code == 200, out.text
    into = await client.post(
        f"{path}/confirm", json={"side": "incoming"}, headers=estate.committee_h
    )
    assert into.status_code == 200, into.text
    result: dict[str, Any] = into.json()
    return result
