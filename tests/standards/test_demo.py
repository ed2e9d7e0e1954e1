"""The demo's quarter of inspections, on a district of its own: every community and area
inspected last quarter, tasks routed, a repeat round closing some; a second run adds
nothing (resumable)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx

from service.audit.service import record
from service.auth.roles import Caller
from service.auth.schemas import UserIn
from service.auth.service import create_user
from service.auth.tables import Account
from service.auth.tokens import load_caller
from service.clock import now, today
from service.contracts.tables import Contract
from service.registry.tables import District, Organization
from service.standards import rules
from service.standards.demo import finish_demo_standards, seed_demo_standards
from service.standards.tables import Inspection, Rectification
from tests.standards.estate import API
from tests.support import PASSWORD, add_user, created, login, unique


async def _district_of_its_own(
    client: httpx.AsyncClient,
) -> tuple[Caller, Caller, dict[str, str]]:
    district = District(name="演示检查区", code=unique("DS"))
    await District.insert(district)
    org = Organization(district=district.id, kind="bureau", name="演示住建局", created_at=now())
    await Organization.insert(org)
    username = unique("bureau-ds-")
    await create_user(
        None,
        district.id,
        UserIn(username=username, password=PASSWORD, role="bureau", org_id=org.id),
    )
    headers = await login(client, username)
    area = await created(
        await client.post(
            f"{API}/areas", json={"name": "一片区", "code": unique("A")}, headers=headers
        )
    )
    await created(
        await client.post(
            f"{API}/organizations", json={"kind": "street", "name": "西关街道"}, headers=headers
        )
    )
    company = await created(
        await client.post(
            f"{API}/organizations", json={"kind": "company", "name": "演示物业"}, headers=headers
        )
    )
    company_user = await add_user(
        client, headers, username=unique("company-ds-"), role="company", org_id=company["id"]
    )
    communities = []
    for n in range(4):
        communities.append(
            await created(
                await client.post(
                    f"{API}/communities",
                    json={
                        "area_id": area["id"],
                        "name": f"演示{n}小区",
                        "code": unique("C"),
                        "built_year": 1990,
                        "deposit_rate_per_m2": "45.00",
                    },
                    headers=headers,
                )
            )
        )
    for community in communities:
        await Contract.insert(
            Contract(
                district=district.id,
                community=uuid.UUID(community["id"]),
                company=uuid.UUID(company["id"]),
                mode="market",
                status="live",
                starts_on=date(2024, 1, 1),
                ends_on=date(2027, 12, 31),
                created_at=now(),
            )
        )
    responder = await load_caller(uuid.UUID(company_user))
    assert responder is not None
    account = await Account.select(Account.id).where(Account.username == username).first()
    assert account is not None
    caller = await load_caller(account["id"])
    assert caller is not None
    return caller, responder, headers


async def test_the_demo_quarter_inspects_every_place_and_runs_once(
    client: httpx.AsyncClient,
) -> None:
    caller, company, headers = await _district_of_its_own(client)
    made = await seed_demo_standards(caller, [company])
    last_quarter = rules.quarter_of(
        rules.quarter_bounds(rules.quarter_of(today()))[0] - timedelta(days=1)
    )
    first, last = rules.quarter_bounds(last_quarter)
    inspected = await Inspection.select(Inspection.community, Inspection.area).where(
        (Inspection.district == caller.district_id)
        & (Inspection.inspected_on >= first)
        & (Inspection.inspected_on <= last)
    )
    assert len({r["community"] for r in inspected if r["community"]}) == 4
    assert len({r["area"] for r in inspected if r["area"]}) == 1
    assert made >= 5
    tasks = await Rectification.select().where(Rectification.district == caller.district_id)
    assert tasks and all(t["responsible_kind"] in rules.RESPONSIBLE_KINDS for t in tasks)
    answered = [t for t in tasks if t["answered_by"] is not None]
    assert answered and all(t["responsible_org"] == company.org_id for t in answered)
    matrix = (
        await client.get(
            f"{API}/standards/matrix", params={"quarter": last_quarter}, headers=headers
        )
    ).json()
    assert len(matrix["rows"]) == 4 and all(row["inspected"] > 0 for row in matrix["rows"])
    assert any(
        v == "not_met" or v == "overdue" for r in matrix["rows"] for v in r["cells"].values()
    )
    # Resumable: a second run adds nothing; a district the demo seed did not complete is
    # never touched by the resume path.
    assert await seed_demo_standards(caller) == 0
    assert await finish_demo_standards(caller.username) == 0


async def test_a_demo_seeded_before_the_standards_gets_them_on_the_next_seed(
    client: httpx.AsyncClient,
) -> None:
    caller, company, _ = await _district_of_its_own(client)
    assert await finish_demo_standards(caller.username) == 0  # not a completed demo seed
    await record(
        None, "demo.seed_completed", "district", caller.district_id, district_id=caller.district_id
    )
    assert await finish_demo_standards(caller.username, [company.username]) > 0
    assert await Rectification.count().where(
        (Rectification.district == caller.district_id) & Rectification.answered_by.is_not_null()
    )
    assert await finish_demo_standards(caller.username, [company.username]) == 0
