"""Money of a lift: agreed shares, payments direct, by provident fund and from the
maintenance fund (a fund use walked to its disbursement), all in the household's view;
idempotent payments; the subsidy claimed and paid."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.lifts.estate import (
    Estate,
    Unit,
    close,
    consents,
    make_estate,
    make_unit,
    new_project,
)
from tests.support import World, unique

APPROVE = {i: "yes" for i in range(10)}


@pytest.fixture(scope="module")
async def estate(client: httpx.AsyncClient, world: World) -> Estate:
    return await make_estate(client, world)


async def approved_project(
    client: httpx.AsyncClient, world: World, estate: Estate, **unit_options: Any
) -> tuple[Unit, dict[str, Any]]:
    unit = await make_unit(client, world, estate, **unit_options)
    project = await new_project(client, estate.committee, unit)
    await consents(client, estate, project["id"], unit, APPROVE)
    assert (await close(client, world.h("bureau"), project["id"]))["approved"] is True
    return unit, project


async def pay(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    project_id: str,
    body: dict[str, Any],
    key: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/lift-projects/{project_id}/payments",
        json=body,
        headers={**headers, "Idempotency-Key": key or unique("lift-pay-")},
    )


async def test_an_agreed_share_is_recorded_and_the_rest_reshared_exactly(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate)
    project = await new_project(client, estate.committee, unit, "250000.03")
    url = f"/api/v1/lift-projects/{project['id']}/agreed-shares"
    agreed = await client.post(
        url,
        json={
            "household_id": unit.households[0],
            "share": "1000.00",
            "reason": "首层住户自愿承担部分费用",
        },
        headers=estate.committee,
    )
    assert agreed.status_code == 201, agreed.text
    shares = {s["household_id"]: s for s in agreed.json()["shares"]}
    ground = shares[unit.households[0]]
    assert ground["share"] == "1000.00"
    assert ground["agreed"]["reason"] == "首层住户自愿承担部分费用"
    assert shares[unit.households[1]]["share"] == "0.00"
    assert sum(Decimal(s["share"]) for s in shares.values()) == Decimal("150000.03")
    too_much = await client.post(
        url,
        json={"household_id": unit.households[2], "share": "149000.04", "reason": "超额"},
        headers=estate.committee,
    )
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "share"
    await close(client, world.h("bureau"), project["id"])
    late = await client.post(
        url,
        json={"household_id": unit.households[2], "share": "1.00", "reason": "协商"},
        headers=estate.committee,
    )
    assert late.status_code == 409


async def test_provident_fund_and_maintenance_fund_payments_both_show_in_the_households_view(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit, project = await approved_project(client, world, estate, owner_logins=(4,))
    household = unit.households[4]  # floor 3, coefficient 0.8
    share = next(s for s in project["shares"] if s["household_id"] == household)["share"]
    deposit = await client.post(
        "/api/v1/fund/deposits",
        json={
            "household_id": household,
            "amount": "2700.00",
            "kind": "first",
            "paid_on": "2025-03-01",
        },
        headers={**world.h("bureau"), "Idempotency-Key": unique("dep-")},
    )
    assert deposit.status_code == 201, deposit.text

    missing_reference = await pay(
        client,
        estate.committee,
        project["id"],
        {"household_id": household, "amount": "2000.00", "method": "provident_fund"},
    )
    assert missing_reference.status_code == 422
    assert missing_reference.json()["errors"][0]["field"] == "reference"
    provident = await pay(
        client,
        estate.committee,
        project["id"],
        {
            "household_id": household,
            "amount": "2000.00",
            "method": "provident_fund",
            "reference": "GJJ-2026-000123",
        },
    )
    assert provident.status_code == 201, provident.text
    assert provident.json()["state"] == "paid"

    from_fund = await pay(
        client,
        estate.committee,
        project["id"],
        {"household_id": household, "amount": "1000.00", "method": "maintenance_fund"},
    )
    assert from_fund.status_code == 201, from_fund.text
    use_id = from_fund.json()["fund_use_id"]
    assert from_fund.json()["state"] == "pending"

    # The fund use goes its own way: the owner's vote, bureau approval, disbursement.
    use = (await client.get(f"/api/v1/fund-uses/{use_id}", headers=world.h("bureau"))).json()
    assert use["component"] == "equipment"
    assert [a["household_id"] for a in use["apportionment"]] == [household]
    assert use["estimated_cost"] == "1000.00"
    ballot = await client.post(
        f"/api/v1/fund-uses/{use_id}/ballots",
        json={"household_id": household, "choice": "yes"},
        headers=unit.owner_h[4],
    )
    assert ballot.status_code == 201, ballot.text
    closed = await client.post(f"/api/v1/fund-uses/{use_id}/close-vote", headers=estate.committee)
    assert closed.status_code == 200, closed.text
    approved = await client.post(f"/api/v1/fund-uses/{use_id}/approve", headers=world.h("bureau2"))
    assert approved.status_code == 200, approved.text

    pending_view = (
        await client.get(f"/api/v1/households/{household}/lift", headers=unit.owner_h[4])
    ).json()["items"][0]
    assert (pending_view["paid"], pending_view["pending"]) == ("2000.00", "1000.00")

    paid = await client.post(
        f"/api/v1/fund-uses/{use_id}/disbursements",
        json={"amount": "1000.00", "stage": "final"},
        headers={**world.h("bureau"), "Idempotency-Key": unique("disb-")},
    )
    assert paid.status_code == 201, paid.text

    view = await client.get(f"/api/v1/households/{household}/lift", headers=unit.owner_h[4])
    assert view.status_code == 200, view.text
    (mine,) = view.json()["items"]
    assert mine["project_id"] == project["id"]
    assert mine["share"] == share
    assert (mine["paid"], mine["pending"]) == ("3000.00", "0.00")
    assert Decimal(mine["outstanding"]) == Decimal(share) - 3000
    methods = {p["method"]: p for p in mine["payments"]}
    assert methods["provident_fund"]["reference"] == "GJJ-2026-000123"
    assert methods["maintenance_fund"]["fund_use_id"] == use_id
    assert methods["maintenance_fund"]["state"] == "paid"
    entries = (
        await client.get(f"/api/v1/households/{household}/fund/entries", headers=unit.owner_h[4])
    ).json()["items"]
    assert any(e.get("fund_use_id") == use_id and e["amount"] == "-1000.00" for e in entries), (
        entries
    )
    fund = (
        await client.get(f"/api/v1/households/{household}/fund", headers=unit.owner_h[4])
    ).json()
    assert fund["balance"] == "1700.00"

    # The project shows the same figures to the committee; an owner sees only their own.
    read = (
        await client.get(f"/api/v1/lift-projects/{project['id']}", headers=unit.owner_h[4])
    ).json()
    figures = {s["household_id"]: s for s in read["shares"]}
    assert figures[household]["paid"] == "3000.00"
    assert figures[unit.households[5]]["paid"] is None


async def test_a_payment_is_idempotent_and_never_more_than_owed(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit, project = await approved_project(client, world, estate)
    household = unit.households[11]
    share = Decimal(next(s for s in project["shares"] if s["household_id"] == household)["share"])
    body = {"household_id": household, "amount": "5000.00", "method": "direct"}
    key = unique("lift-pay-")
    first = await pay(client, estate.committee, project["id"], body, key)
    again = await pay(client, estate.committee, project["id"], body, key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = await pay(client, estate.committee, project["id"], {**body, "amount": "1.00"}, key)
    assert other.status_code == 409
    no_key = await client.post(
        f"/api/v1/lift-projects/{project['id']}/payments", json=body, headers=estate.committee
    )
    assert no_key.status_code == 422
    rest = share - 5000
    over = await pay(
        client, estate.committee, project["id"], {**body, "amount": str(rest + Decimal("0.01"))}
    )
    assert over.status_code == 409
    exact = await pay(client, estate.committee, project["id"], {**body, "amount": str(rest)})
    assert exact.status_code == 201, exact.text
    view = (
        await client.get(f"/api/v1/households/{household}/lift", headers=world.h("bureau"))
    ).json()["items"][0]
    assert view["outstanding"] == "0.00" and len(view["payments"]) == 2
    ground = await pay(
        client, estate.committee, project["id"], {**body, "household_id": unit.households[0]}
    )
    assert ground.status_code == 409  # a ground-floor flat owes nothing


async def test_nothing_is_paid_before_consent(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate)
    project = await new_project(client, estate.committee, unit)
    early = await pay(
        client,
        estate.committee,
        project["id"],
        {"household_id": unit.households[5], "amount": "10.00", "method": "direct"},
    )
    assert early.status_code == 409


async def test_the_maintenance_fund_is_refused_where_the_district_does_not_allow_it(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit, project = await approved_project(client, world, estate)
    settings = (await client.get("/api/v1/lift-settings", headers=world.h("bureau"))).json()
    try:
        off = await client.put(
            "/api/v1/lift-settings",
            json={
                "coefficients": settings["coefficients"],
                "subsidy_per_lift": settings["subsidy_per_lift"],
                "maintenance_fund_allowed": False,
            },
            headers=world.h("bureau"),
        )
        assert off.status_code == 200, off.text
        refused = await pay(
            client,
            estate.committee,
            project["id"],
            {"household_id": unit.households[6], "amount": "10.00", "method": "maintenance_fund"},
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "method"
    finally:
        await client.put(
            "/api/v1/lift-settings",
            json={
                "coefficients": settings["coefficients"],
                "subsidy_per_lift": settings["subsidy_per_lift"],
                "maintenance_fund_allowed": True,
            },
            headers=world.h("bureau"),
        )


async def test_district_settings_are_data_and_projects_keep_their_own_copy(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    unit = await make_unit(client, world, estate)
    before = (await client.get("/api/v1/lift-settings", headers=estate.committee)).json()
    assert before["coefficients"]["2"] == "0.50"
    refused = await client.put(
        "/api/v1/lift-settings",
        json={"coefficients": {"1": "-1"}, "subsidy_per_lift": "1.00"},
        headers=world.h("bureau"),
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "coefficients.1"
    forbidden = await client.put(
        "/api/v1/lift-settings",
        json={"coefficients": {"1": "0"}, "subsidy_per_lift": "1.00"},
        headers=estate.committee,
    )
    assert forbidden.status_code == 403
    changed = await client.put(
        "/api/v1/lift-settings",
        json={
            "coefficients": {str(f): "1" for f in range(1, 8)},
            "subsidy_per_lift": "50000.00",
        },
        headers=world.h("bureau"),
    )
    try:
        assert changed.status_code == 200, changed.text
        project = await new_project(client, estate.committee, unit, "110000.00")
        assert project["subsidy"] == "50000.00"
        assert {s["share"] for s in project["shares"]} == {"5000.00"}
    finally:
        await client.put(
            "/api/v1/lift-settings",
            json={
                "coefficients": before["coefficients"],
                "subsidy_per_lift": before["subsidy_per_lift"],
            },
            headers=world.h("bureau"),
        )
    read = (
        await client.get(f"/api/v1/lift-projects/{project['id']}", headers=estate.committee)
    ).json()
    assert read["subsidy"] == "50000.00" and read["coefficients"]["1"] == "1.00"
