"""Subsidies of a finalised period: base by calendar months served, amount by band,
approval and release by two different bureau users, released records never change."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from service.subsidies.tables import Subsidy
from tests.contracts.estate import Estate, make_contract, make_estate
from tests.ratings.flow import make_period, rate, scores
from tests.support import World, assert_list_contract, created


async def finalised_subsidy(
    client: httpx.AsyncClient, world: World, **contract: Any
) -> tuple[Estate, dict[str, Any], dict[str, Any]]:
    """A contract rated 90.00 in Q2 2026 (91 days), finalised, subsidy computed."""
    estate = await make_estate(client, world)
    made = await make_contract(client, world, estate, **contract)
    period = await make_period(client, world, "2026-04-01", "2026-06-30")
    assert (await rate(client, world, period, made, scores(satisfaction="10"))).status_code == 201
    path = f"/api/v1/rating-periods/{period['id']}"
    assert (await client.post(f"{path}/finalize", headers=world.h("bureau"))).status_code == 200
    computed = await created(await client.post(f"{path}/subsidies", headers=world.h("bureau")))
    assert len(computed) == 1
    return estate, period, computed[0]


async def test_a_contract_from_17_may_gets_15_31_of_may_and_all_of_june(
    client: httpx.AsyncClient, world: World
) -> None:
    # 0.30 yuan/m² × 150.00 m² = 45.00 yuan a month; from 17 May the contract serves 15 of
    # May's 31 days and all of June: 45 × (1 + 15/31) = 66.774… → 66.77 (not 45/91 of
    # the quarter's 135.00, 66.76).
    _, _, subsidy = await finalised_subsidy(client, world, starts_on="2026-05-17")
    assert subsidy["served_days"] == 45
    assert subsidy["period_days"] == 91
    assert subsidy["months_served"] == "1.4839"
    assert subsidy["served_area"] == "150.00"
    assert subsidy["base"] == "66.77"
    assert subsidy["ratio"] == "1.00"
    assert subsidy["amount"] == "66.77"
    assert subsidy["status"] == "computed"


async def test_a_contract_serving_exactly_january_of_a_quarter_gets_one_month(
    client: httpx.AsyncClient, world: World
) -> None:
    """Issue 10 item 6: one month (45.00), not 31/90 of the quarter (46.50); its successor
    serving February and March gets two, and together they get the quarter's 135.00."""
    estate = await make_estate(client, world)
    january = await make_contract(
        client, world, estate, starts_on="2025-07-01", ends_on="2026-01-31"
    )
    rest = await make_contract(client, world, estate, starts_on="2026-02-01", ends_on="2027-01-31")
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    for contract, sheet in ((january, scores()), (rest, scores(cleaning="10"))):  # 100, 90
        assert (await rate(client, world, period, contract, sheet)).status_code == 201
    path = f"/api/v1/rating-periods/{period['id']}"
    assert (await client.post(f"{path}/finalize", headers=world.h("bureau"))).status_code == 200
    computed = await created(await client.post(f"{path}/subsidies", headers=world.h("bureau")))
    by_contract = {s["contract_id"]: s for s in computed}
    first, second = by_contract[january["id"]], by_contract[rest["id"]]
    assert (first["served_days"], first["period_days"]) == (31, 90)
    assert (first["months_served"], first["base"], first["amount"]) == ("1.0000", "45.00", "45.00")
    assert (second["months_served"], second["base"], second["amount"]) == (
        "2.0000",
        "90.00",
        "90.00",
    )


async def test_subsidies_wait_for_finalisation_and_are_computed_once(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-04-01", "2026-06-30")
    await rate(client, world, period, contract, scores(cleaning="15"))  # 95.00
    path = f"/api/v1/rating-periods/{period['id']}/subsidies"
    assert (await client.post(path, headers=world.h("bureau"))).status_code == 409
    await client.post(f"/api/v1/rating-periods/{period['id']}/finalize", headers=world.h("bureau"))
    first = await created(await client.post(path, headers=world.h("bureau")))
    again = await created(await client.post(path, headers=world.h("bureau")))
    assert [s["subsidy_id"] for s in again] == [s["subsidy_id"] for s in first]
    assert first[0]["base"] == "135.00"
    assert first[0]["amount"] == "135.00"
    mine = await client.get(path, headers=estate.company_h)
    assert [s["subsidy_id"] for s in mine.json()["items"]] == [first[0]["subsidy_id"]]
    others = await client.get(path, headers=world.h("company"))
    assert others.json() == {"items": [], "next_cursor": None}


async def test_a_periods_subsidies_come_in_pages(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)
    contracts = [
        await make_contract(client, world, estate, starts_on="2025-07-01", ends_on="2026-01-31"),
        await make_contract(client, world, estate, starts_on="2026-02-01", ends_on="2027-01-31"),
    ]
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    for contract in contracts:
        assert (await rate(client, world, period, contract, scores())).status_code == 201
    path = f"/api/v1/rating-periods/{period['id']}"
    assert (await client.post(f"{path}/finalize", headers=world.h("bureau"))).status_code == 200
    computed = await created(await client.post(f"{path}/subsidies", headers=world.h("bureau")))
    listed = await assert_list_contract(
        client, f"{path}/subsidies", world.h("auditor"), key="subsidy_id"
    )
    assert sorted(s["subsidy_id"] for s in listed) == sorted(s["subsidy_id"] for s in computed)
    missing = await client.get(
        f"/api/v1/rating-periods/{uuid.uuid4()}/subsidies", headers=world.h("auditor")
    )
    assert missing.status_code == 404


async def test_approve_and_release_by_the_same_user_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    _, _, subsidy = await finalised_subsidy(client, world)
    path = f"/api/v1/subsidies/{subsidy['subsidy_id']}"
    early = await client.post(
        f"{path}/release", headers={**world.h("bureau"), "Idempotency-Key": str(uuid.uuid4())}
    )
    assert early.status_code == 409
    approved = await client.post(f"{path}/approve", headers=world.h("bureau"))
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    same = await client.post(
        f"{path}/release", headers={**world.h("bureau"), "Idempotency-Key": str(uuid.uuid4())}
    )
    assert same.status_code == 403  # the four-eyes rule answers 403 everywhere
    assert "两名不同" in same.json()["detail"]
    released = await client.post(
        f"{path}/release", headers={**world.h("bureau2"), "Idempotency-Key": str(uuid.uuid4())}
    )
    assert released.status_code == 200
    assert released.json()["status"] == "released"
    assert released.json()["released_by"] != released.json()["approved_by"]


async def test_a_released_subsidy_cannot_change(client: httpx.AsyncClient, world: World) -> None:
    _, _, subsidy = await finalised_subsidy(client, world)
    path = f"/api/v1/subsidies/{subsidy['subsidy_id']}"
    await client.post(f"{path}/approve", headers=world.h("bureau"))
    await client.post(
        f"{path}/release", headers={**world.h("bureau2"), "Idempotency-Key": str(uuid.uuid4())}
    )
    for step, who in (("release", "bureau"), ("approve", "bureau2")):
        headers = {**world.h(who), "Idempotency-Key": str(uuid.uuid4())}
        assert (await client.post(f"{path}/{step}", headers=headers)).status_code == 409
    # Even a direct write is refused by the database.
    with pytest.raises(Exception, match="released"):
        await Subsidy.update({Subsidy.amount: 1}).where(Subsidy.id == subsidy["subsidy_id"])
    with pytest.raises(Exception, match="released"):
        await Subsidy.delete().where(Subsidy.id == subsidy["subsidy_id"])
    kept = await client.get(path, headers=world.h("auditor"))
    assert kept.json()["amount"] == subsidy["amount"]


async def test_only_the_bureau_moves_subsidies(client: httpx.AsyncClient, world: World) -> None:
    estate, _, subsidy = await finalised_subsidy(client, world)
    path = f"/api/v1/subsidies/{subsidy['subsidy_id']}"
    for headers in (world.h("auditor"), estate.company_h, estate.committee_h):
        assert (await client.post(f"{path}/approve", headers=headers)).status_code == 403
    assert (await client.get(path, headers=estate.company_h)).status_code == 200
    assert (await client.get(path, headers=world.h("company"))).status_code == 404


async def test_the_credit_record_lists_ratings_and_subsidies_across_periods(
    client: httpx.AsyncClient, world: World
) -> None:
    estate, period, subsidy = await finalised_subsidy(client, world)
    path = f"/api/v1/companies/{estate.company}/credit"
    credit = await client.get(path, headers=estate.company_h)
    assert credit.status_code == 200
    body = credit.json()
    assert body["periods_rated"] == 1
    entry = body["entries"][0]
    assert (entry["period_id"], entry["total"], entry["subsidy_ratio"]) == (
        period["id"],
        "90.00",
        "1.00",
    )
    assert entry["subsidy"]["subsidy_id"] == subsidy["subsidy_id"]
    assert body["released_total"] == "0.00"
    assert (await client.get(path, headers=world.h("auditor"))).status_code == 200
    assert (await client.get(path, headers=world.h("company"))).status_code == 404
    assert (await client.get(path, headers=world.h("committee"))).status_code == 403


async def test_concurrent_approvals_approve_once(client: httpx.AsyncClient, world: World) -> None:
    _, _, subsidy = await finalised_subsidy(client, world)
    path = f"/api/v1/subsidies/{subsidy['subsidy_id']}/approve"
    answers = await asyncio.gather(
        client.post(path, headers=world.h("bureau")), client.post(path, headers=world.h("bureau2"))
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
