"""Two tenants of every role, each with objects the other must not reach.

Side A is the world's community CA (district 1). Side B is, for the community-scoped
roles (company, committee, contractor, owner), the world's community CB in the same
district; for the district-wide roles (bureau, auditor), a second district. Each side
holds one object of each kind the route table names by id (``IDS[param]``), so the
authorization matrix can ask every route for a foreign object and a missing one. The
street offices' users: each office covers an area of its own; each is asked for side
B's (A's) objects and for the other office's inspection and task.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from service.auth.schemas import UserIn
from service.auth.service import create_user
from service.clock import now
from service.contracts.tables import Contract, ManagementDecision
from service.notices.tables import Notice
from service.registry.tables import District, Organization
from service.warranty.tables import Work
from tests.ratings.flow import scores
from tests.support import (
    PASSWORD,
    World,
    add_household,
    add_user,
    created,
    login,
    make_id_no,
    unique,
)

API = "/api/v1"
ROLES = ("bureau", "auditor", "company", "committee", "contractor", "owner", "street")


@dataclass
class Side:
    """One side's objects by the route parameter that names them. ``district_ids`` are
    the district's own objects (rating schemes and periods, workday overrides): foreign
    only to the other district's bureau and auditor, since every role of a district may
    read them."""

    ids: dict[str, str] = field(default_factory=dict)
    district_ids: dict[str, str] = field(default_factory=dict)


@dataclass
class Tenants:
    # (role, "A"|"B") → headers
    headers: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    # "A", "B" (community-scoped roles' other side), "D2" (the other district)
    sides: dict[str, Side] = field(default_factory=dict)

    def foreign_side(self, role: str, tenant: str) -> Side:
        """The objects tenant ``tenant`` of ``role`` must not reach."""
        if role in ("bureau", "auditor"):
            side = self.sides["D2"] if tenant == "A" else self.sides["A"]
            return Side({**side.ids, **side.district_ids})
        if role == "street":
            return self.sides["street-B" if tenant == "A" else "street-A"]
        return self.sides["B"] if tenant == "A" else self.sides["A"]


async def _deposit(client: httpx.AsyncClient, headers: dict[str, str], household: str) -> str:
    body = {"household_id": household, "amount": "100.00", "kind": "first", "paid_on": "2024-01-10"}
    answer = await client.post(
        f"{API}/fund/deposits", json=body, headers={**headers, "Idempotency-Key": unique("t-")}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["entry_id"])


async def _repair(client: httpx.AsyncClient, headers: dict[str, str], community: str) -> str:
    body = {"community_id": community, "category": "plumbing", "description": "楼道水管渗漏"}
    return str(
        (await created(await client.post(f"{API}/repairs", json=body, headers=headers)))["id"]
    )


async def _complaint(client: httpx.AsyncClient, headers: dict[str, str], community: str) -> str:
    body = {"category": "cleaning", "place": "community", "description": "楼道垃圾无人清理"}
    answer = await client.post(
        f"{API}/communities/{community}/complaints", json=body, headers=headers
    )
    return str((await created(answer))["id"])


async def _fund_use(
    client: httpx.AsyncClient, headers: dict[str, str], community: str, households: list[str]
) -> str:
    body = {
        "community_id": community,
        "title": "屋面维修",
        "description": "屋面渗漏维修",
        "estimated_cost": "1000.00",
        "household_ids": households,
        "component": "other",
    }
    return str(
        (await created(await client.post(f"{API}/fund-uses", json=body, headers=headers)))["id"]
    )


async def _override(client: httpx.AsyncClient, bureau: dict[str, str]) -> str:
    # A rest day far ahead: nothing the other tests date moves with it.
    body = {"day": "2090-01-02", "working": False, "note": "矩阵测试用的调整"}
    answer = await client.post(f"{API}/workdays/overrides", json=body, headers=bureau)
    return str((await created(answer))["id"])


async def _attachment(client: httpx.AsyncClient, bureau: dict[str, str], use_id: str) -> str:
    pdf = b"%PDF-1.4\n% matrix\n" + b"0" * 200
    answer = await client.post(
        f"{API}/fund-uses/{use_id}/attachments",
        files={"file": ("报价单.pdf", pdf, "application/pdf")},
        data={"kind": "quote"},
        headers=bureau,
    )
    return str((await created(answer))["id"])


async def _community_with_building(
    client: httpx.AsyncClient, bureau: dict[str, str], area: str, name: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    community = await created(
        await client.post(
            f"{API}/communities",
            json={
                "area_id": area,
                "name": name,
                "code": unique("T"),
                "built_year": 1996,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    building = await created(
        await client.post(
            f"{API}/communities/{community['id']}/buildings",
            json={"name": "1号楼", "floors": 6, "has_elevator": False},
            headers=bureau,
        )
    )
    return community, building


async def _lift_project(client: httpx.AsyncClient, bureau: dict[str, str], area: str) -> str:
    """A community of its own (the world's communities keep their flats) with a two-flat
    unit on floors 1 and 2, and its lift project: foreign to every community-scoped role."""
    _, building = await _community_with_building(client, bureau, area, unique("加梯小区"))
    for floor in (1, 2):
        await add_household(
            client,
            bureau,
            building["id"],
            f"{floor}01",
            "60.00",
            (f"梯户{floor}", make_id_no(_next_serial(), birth="19520202")),
            floor=floor,  # type: ignore[arg-type]
        )
    body = {"building_id": building["id"], "unit_no": "1", "estimated_cost": "300000.00"}
    answer = await client.post(f"{API}/lift-projects", json=body, headers=bureau)
    return str((await created(answer))["id"])


_serials = iter(range(1, 90))


def _next_serial() -> int:
    return next(_serials)


async def _ratings(
    client: httpx.AsyncClient,
    bureau: dict[str, str],
    contracts: dict[str, tuple[Side, str, dict[str, str]]],
    district_side: Side,
) -> None:
    """Two periods of the district: in the first each contract is rated and its company
    appeals; the second is rated, finalised and its subsidies computed."""
    scheme = await client.get(f"{API}/rating-schemes/current", headers=bureau)
    district_side.district_ids["scheme_id"] = str(scheme.json()["id"])
    items = scores()
    for number, (starts, ends) in enumerate(
        (("2025-01-01", "2025-03-31"), ("2025-04-01", "2025-06-30"))
    ):
        period = await created(
            await client.post(
                f"{API}/rating-periods",
                json={"name": unique("矩阵评价期"), "starts_on": starts, "ends_on": ends},
                headers=bureau,
            )
        )
        district_side.district_ids["period_id"] = str(period["id"])
        for side, contract, company in contracts.values():
            rated = await created(
                await client.post(
                    f"{API}/rating-periods/{period['id']}/ratings",
                    json={"contract_id": contract, "items": items},
                    headers=bureau,
                )
            )
            side.ids["rating_id"] = str(rated["rating_id"])
            if number == 0:
                appeal = await created(
                    await client.post(
                        f"{API}/ratings/{rated['rating_id']}/appeals",
                        json={"reason": "矩阵测试申诉"},
                        headers=company,
                    )
                )
                side.ids["appeal_id"] = str(appeal["appeal_id"])
        if number == 1:
            path = f"{API}/rating-periods/{period['id']}"
            finalised = await client.post(f"{path}/finalize", headers=bureau)
            assert finalised.status_code == 200, finalised.text
            subsidies = await created(await client.post(f"{path}/subsidies", headers=bureau))
            by_contract = {str(s["contract_id"]): str(s["subsidy_id"]) for s in subsidies}
            for side, contract, _ in contracts.values():
                side.ids["subsidy_id"] = by_contract[contract]


async def _inspection(
    client: httpx.AsyncClient, bureau: dict[str, str], community: str
) -> tuple[str, str]:
    """An inspection of the community with a not-met item: its id and its task's."""
    body = {"community_id": community, "items": [{"code": "you_fitness", "result": "not_met"}]}
    made = await created(await client.post(f"{API}/inspections", json=body, headers=bureau))
    return str(made["id"]), str(made["tasks"][0]["id"])


async def _notice(district: uuid.UUID, org: str) -> str:
    """A notice in an organisation's inbox (jobs send them; the matrix needs one each)."""
    notice = Notice(
        district=district,
        kind="matrix",
        title="矩阵测试通知",
        body="矩阵测试通知",
        recipient_org=uuid.UUID(org),
        idem_key=unique("matrix-notice-"),
        created_at=now(),
    )
    await Notice.insert(notice)
    return str(notice.id)


async def _org(client: httpx.AsyncClient, bureau: dict[str, str], kind: str, **extra: Any) -> str:
    body = {"kind": kind, "name": unique(f"{kind} "), **extra}
    return str(
        (await created(await client.post(f"{API}/organizations", json=body, headers=bureau)))["id"]
    )


async def _user(
    client: httpx.AsyncClient, bureau: dict[str, str], role: str, **body: Any
) -> dict[str, str]:
    username = unique(f"{role}-")
    await add_user(client, bureau, username=username, role=role, **body)
    return await login(client, username)


async def _live_contract(district: uuid.UUID, community: str, company: str) -> str:
    contract = Contract(
        district=district,
        community=uuid.UUID(community),
        company=uuid.UUID(company),
        mode="market",
        status="live",
        starts_on=date(2024, 1, 1),
        ends_on=date(2027, 12, 31),
        created_at=now(),
    )
    await Contract.insert(contract)
    return str(contract.id)


async def _decision(district: uuid.UUID, community: str, company: str) -> str:
    """An owners' decision (choosing a company) open for voting in the community."""
    decision = ManagementDecision(
        district=district,
        community=uuid.UUID(community),
        kind="choose",
        status="voting",
        company=uuid.UUID(company),
        mode="market",
        title="选聘物业服务企业",
        opened_by=uuid.uuid4(),
        opened_role="bureau",
        opened_at=now(),
    )
    await ManagementDecision.insert(decision)
    return str(decision.id)


async def _work(district: uuid.UUID, community: str, contractor: str) -> str:
    work = Work(
        district=district,
        community=uuid.UUID(community),
        contractor=uuid.UUID(contractor),
        title="外墙改造",
        accepted_on=date(2022, 6, 30),
        created_at=now(),
    )
    await Work.insert(work)
    return str(work.id)


async def _street(
    client: httpx.AsyncClient, bureau: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """A street office covering an area of its own, its user, and the inspection that
    user made of the area (with a not-met item: a task routed to the office)."""
    area = await created(
        await client.post(
            f"{API}/areas", json={"name": "街道片区", "code": unique("SA")}, headers=bureau
        )
    )
    street = await _org(client, bureau, "street")
    covered = await client.put(
        f"{API}/organizations/{street}/areas", json={"area_ids": [area["id"]]}, headers=bureau
    )
    assert covered.status_code == 200, covered.text
    headers = await _user(client, bureau, "street", org_id=street)
    body = {"area_id": area["id"], "items": [{"code": "zheng_shopfront", "result": "not_met"}]}
    made = await created(await client.post(f"{API}/inspections", json=body, headers=headers))
    assert made["tasks"][0]["responsible_org_id"] == street
    return headers, {"inspection_id": str(made["id"]), "task_id": str(made["tasks"][0]["id"])}


async def build_tenants(client: httpx.AsyncClient, world: World) -> Tenants:
    tenants = Tenants()
    bureau = world.h("bureau")
    a = Side(
        {
            "community_id": world.ids["CA"],
            "building_id": world.ids["CA-1"],
            "household_id": world.ids["h1"],
            "org_id": world.ids["org_committee"],
            "company_id": world.ids["org_company"],
        }
    )
    b = Side(
        {
            "community_id": world.ids["CB"],
            "building_id": world.ids["CB-1"],
        }
    )
    # Side A's tenants are the world's users; side B gets its own company, committee,
    # contractor and owner in CB.
    for role in ("bureau", "auditor", "company", "committee", "contractor"):
        tenants.headers[(role, "A")] = world.h(role)
    tenants.headers[("owner", "A")] = world.h("owner1")
    company_b = await _org(client, bureau, "company")
    committee_b = await _org(client, bureau, "committee", community_id=world.ids["CB"])
    contractor_b = await _org(client, bureau, "contractor")
    b.ids["org_id"] = committee_b
    b.ids["company_id"] = company_b
    a.ids["contract_id"] = await _live_contract(
        world.district_id, world.ids["CA"], world.ids["org_company"]
    )
    b.ids["contract_id"] = await _live_contract(world.district_id, world.ids["CB"], company_b)
    a.ids["decision_id"] = await _decision(
        world.district_id, world.ids["CA"], world.ids["org_company"]
    )
    b.ids["decision_id"] = await _decision(world.district_id, world.ids["CB"], company_b)
    a.ids["work_id"] = await _work(world.district_id, world.ids["CA"], world.ids["org_contractor"])
    b.ids["work_id"] = await _work(world.district_id, world.ids["CB"], contractor_b)
    tenants.headers[("company", "B")] = await _user(client, bureau, "company", org_id=company_b)
    tenants.headers[("committee", "B")] = await _user(
        client, bureau, "committee", org_id=committee_b
    )
    tenants.headers[("contractor", "B")] = await _user(
        client, bureau, "contractor", org_id=contractor_b
    )
    # A flat of its own in CB: the world's h4 stays without a login (tests/web claim it).
    flat_b = await add_household(
        client, bureau, world.ids["CB-1"], unique("R")[:8], "70.00", ("林木", make_id_no(991))
    )
    b.ids["household_id"] = flat_b
    tenants.headers[("owner", "B")] = await _user(client, bureau, "owner", household_ids=[flat_b])
    street_objects: dict[str, dict[str, str]] = {}
    for tenant in ("A", "B"):
        tenants.headers[("street", tenant)], street_objects[tenant] = await _street(client, bureau)
    a.ids["entry_id"] = await _deposit(client, bureau, world.ids["h2"])
    b.ids["entry_id"] = await _deposit(client, bureau, flat_b)
    a.ids["ticket_id"] = await _repair(client, world.h("committee"), world.ids["CA"])
    b.ids["ticket_id"] = await _repair(client, tenants.headers[("committee", "B")], world.ids["CB"])
    a.ids["use_id"] = await _fund_use(client, bureau, world.ids["CA"], [world.ids["h2"]])
    b.ids["use_id"] = await _fund_use(client, bureau, world.ids["CB"], [flat_b])
    a.district_ids["override_id"] = await _override(client, bureau)
    a.ids["notice_id"] = await _notice(world.district_id, world.ids["org_committee"])
    b.ids["notice_id"] = await _notice(world.district_id, committee_b)
    a.ids["attachment_id"] = await _attachment(client, bureau, a.ids["use_id"])
    b.ids["attachment_id"] = await _attachment(client, bureau, b.ids["use_id"])
    a.ids["project_id"] = await _lift_project(client, bureau, world.ids["area"])
    b.ids["project_id"] = await _lift_project(client, bureau, world.ids["area"])
    await _ratings(
        client,
        bureau,
        {
            "A": (a, a.ids["contract_id"], world.h("company")),
            "B": (b, b.ids["contract_id"], tenants.headers[("company", "B")]),
        },
        a,
    )
    a.ids["inspection_id"], a.ids["task_id"] = await _inspection(client, bureau, world.ids["CA"])
    b.ids["inspection_id"], b.ids["task_id"] = await _inspection(client, bureau, world.ids["CB"])
    a.ids["complaint_id"] = await _complaint(client, world.h("committee"), world.ids["CA"])
    b.ids["complaint_id"] = await _complaint(
        client, tenants.headers[("committee", "B")], world.ids["CB"]
    )

    # The second district, with a bureau and an auditor of its own.
    district = District(name="第二区", code=unique("D2"))
    await District.insert(district)
    bureau_org = Organization(
        district=district.id, kind="bureau", name="第二区住建局", created_at=now()
    )
    await Organization.insert(bureau_org)
    username = unique("bureau-d2-")
    await create_user(
        None,
        district.id,
        UserIn(username=username, password=PASSWORD, role="bureau", org_id=bureau_org.id),
    )
    bureau2 = await login(client, username)
    tenants.headers[("bureau", "B")] = bureau2
    audit2 = await _org(client, bureau2, "audit")
    tenants.headers[("auditor", "B")] = await _user(client, bureau2, "auditor", org_id=audit2)
    area = await created(
        await client.post(
            f"{API}/areas", json={"name": "东区", "code": unique("D2A")}, headers=bureau2
        )
    )
    community, building = await _community_with_building(client, bureau2, area["id"], "第二区小区")
    household = await add_household(
        client, bureau2, building["id"], "101", "80.00", ("周平", make_id_no(990))
    )
    contractor2 = await _org(client, bureau2, "contractor")
    company2 = await _org(client, bureau2, "company")
    committee2 = await _org(client, bureau2, "committee", community_id=community["id"])
    committee2_h = await _user(client, bureau2, "committee", org_id=committee2)
    contract2 = await _live_contract(district.id, community["id"], company2)
    d2 = Side(
        {
            "community_id": community["id"],
            "building_id": building["id"],
            "household_id": household,
            "org_id": contractor2,
            "company_id": company2,
            "contract_id": contract2,
            "decision_id": await _decision(district.id, community["id"], company2),
            "work_id": await _work(district.id, community["id"], contractor2),
            "entry_id": await _deposit(client, bureau2, household),
            "ticket_id": await _repair(client, bureau2, community["id"]),
            "use_id": await _fund_use(client, bureau2, community["id"], [household]),
            "complaint_id": await _complaint(client, committee2_h, community["id"]),
        }
    )
    d2.district_ids["override_id"] = await _override(client, bureau2)
    d2.ids["notice_id"] = await _notice(district.id, committee2)
    d2.ids["attachment_id"] = await _attachment(client, bureau2, d2.ids["use_id"])
    d2.ids["project_id"] = await _lift_project(client, bureau2, area["id"])
    company2_user = await _user(client, bureau2, "company", org_id=company2)
    await _ratings(client, bureau2, {"D2": (d2, d2.ids["contract_id"], company2_user)}, d2)
    d2.ids["inspection_id"], d2.ids["task_id"] = await _inspection(client, bureau2, community["id"])
    tenants.sides = {
        "A": a,
        "B": b,
        "D2": d2,
        "street-A": Side({**a.ids, **street_objects["A"]}),
        "street-B": Side({**b.ids, **street_objects["B"]}),
    }
    return tenants
