"""The fund posting API: deposits, interest, income, refunds, reversals (API.md)."""

from __future__ import annotations

import uuid

import httpx

from tests.funds.conftest import Estate, deposit, post
from tests.support import World


async def fund_of(client: httpx.AsyncClient, world: World, household: str) -> dict:
    response = await client.get(f"/api/v1/households/{household}/fund", headers=world.h("bureau"))
    assert response.status_code == 200, response.text
    return response.json()


async def verify_ok(client: httpx.AsyncClient, world: World, community: str) -> dict:
    response = await client.get(
        f"/api/v1/communities/{community}/fund/verify", headers=world.h("bureau")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"], body
    return body


async def test_a_first_deposit_credits_the_household_and_answers_its_balance(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    body = await deposit(client, world, estate.households[0], "3600.00")
    assert body["amount"] == "3600.00"
    assert body["balance"] == "3600.00"
    assert body["household_id"] == estate.households[0]
    fund = await fund_of(client, world, estate.households[0])
    assert fund == {
        "household_id": estate.households[0],
        "principal": "3600.00",
        "interest": "0.00",
        "balance": "3600.00",
        "first_deposit": "3600.00",
        "first_deposit_paid": True,
        "closed": False,
        "replenish_threshold": "1080.00",
        "needs_replenishment": False,
        "owed_to_threshold": "0.00",
        "self_funded_due": "0.00",
    }
    await verify_ok(client, world, estate.community)


async def test_a_second_first_deposit_is_a_conflict(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "3600.00")
    response = await post(
        client,
        world,
        "/fund/deposits",
        {
            "household_id": estate.households[0],
            "amount": "10.00",
            "kind": "first",
            "paid_on": "2026-01-15",
        },
    )
    assert response.status_code == 409, response.text
    assert (await fund_of(client, world, estate.households[0]))["balance"] == "3600.00"


async def test_replenishment_before_any_first_deposit_is_a_conflict(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    response = await post(
        client,
        world,
        "/fund/deposits",
        {
            "household_id": estate.households[0],
            "amount": "10.00",
            "kind": "replenish",
            "paid_on": "2026-01-15",
        },
    )
    assert response.status_code == 409


async def test_replenishment_adds_to_the_principal(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "3600.00")
    body = await deposit(client, world, estate.households[0], 120.5, kind="replenish")
    assert body["amount"] == "120.50"
    assert body["balance"] == "3720.50"


async def test_bad_amounts_and_dates_are_refused_naming_the_field(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    base = {"household_id": estate.households[0], "kind": "first", "paid_on": "2026-01-15"}
    for amount, field in (
        ("1.005", "amount"),
        ("-5.00", "amount"),
        ("0", "amount"),
        ("NaN", "amount"),
    ):
        response = await post(client, world, "/fund/deposits", {**base, "amount": amount})
        assert response.status_code == 422, (amount, response.text)
        assert any(e["field"] == field for e in response.json()["errors"]), response.text
    response = await post(
        client, world, "/fund/deposits", {**base, "amount": "1.00", "paid_on": "2999-01-01"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "paid_on"
    response = await post(
        client, world, "/fund/deposits", {**base, "amount": "1.00", "kind": "gift"}
    )
    assert response.status_code == 422
    response = await post(
        client, world, "/fund/deposits", {**base, "amount": "1.00", "balance": "9"}
    )
    assert response.status_code == 422


async def test_a_money_moving_post_without_an_idempotency_key_is_refused(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    response = await client.post(
        "/api/v1/fund/deposits",
        json={
            "household_id": estate.households[0],
            "amount": "1.00",
            "kind": "first",
            "paid_on": "2026-01-15",
        },
        headers=world.h("bureau"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_the_same_key_and_body_answers_the_first_result_and_posts_once(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    first = await deposit(client, world, estate.households[0], "100.00", key="dep-same-1")
    again = await deposit(client, world, estate.households[0], "100.00", key="dep-same-1")
    assert again == first
    assert (await fund_of(client, world, estate.households[0]))["balance"] == "100.00"


async def test_the_same_key_with_another_body_is_a_conflict(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "100.00", key="dep-diff-1")
    response = await post(
        client,
        world,
        "/fund/deposits",
        {
            "household_id": estate.households[0],
            "amount": "101.00",
            "kind": "first",
            "paid_on": "2026-01-15",
        },
        key="dep-diff-1",
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_another_user_reusing_a_key_is_a_conflict_not_the_first_answer(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "100.00", key="dep-user-1")
    body = {
        "household_id": estate.households[0],
        "amount": "100.00",
        "kind": "first",
        "paid_on": "2026-01-15",
    }
    response = await post(client, world, "/fund/deposits", body, key="dep-user-1", who="bureau2")
    assert response.status_code == 409
    assert (await fund_of(client, world, estate.households[0]))["balance"] == "100.00"


async def test_a_failed_request_leaves_its_key_unused(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    body = {
        "household_id": estate.households[0],
        "amount": "5.00",
        "kind": "replenish",
        "paid_on": "2026-01-15",
    }
    response = await post(client, world, "/fund/deposits", body, key="dep-fail-1")
    assert response.status_code == 409  # no first deposit yet
    await deposit(client, world, estate.households[0], "100.00")
    response = await post(client, world, "/fund/deposits", body, key="dep-fail-1")
    assert response.status_code == 201, response.text


async def test_only_the_bureau_posts_money(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    body = {
        "household_id": estate.households[0],
        "amount": "5.00",
        "kind": "first",
        "paid_on": "2026-01-15",
    }
    for who in ("auditor", "company", "committee", "owner1", "contractor"):
        response = await post(client, world, "/fund/deposits", body, who=who)
        assert response.status_code == 403, who


async def test_interest_is_split_by_balance_and_sums_exactly(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    for household, amount in zip(estate.households, ("1000.00", "2000.00", "3000.01"), strict=True):
        await deposit(client, world, household, amount)
    body = {"community_id": estate.community, "period": "2026", "amount": "1234.56"}
    response = await post(client, world, "/fund/interest", body)
    assert response.status_code == 201, response.text
    assert response.json()["allocated"] == "1234.56"
    assert response.json()["households"] == 3
    interests = [(await fund_of(client, world, h))["interest"] for h in estate.households]
    assert interests == ["205.76", "411.52", "617.28"]
    again = await post(client, world, "/fund/interest", body)
    assert again.status_code == 409
    summary = (
        await client.get(f"/api/v1/communities/{estate.community}/fund", headers=world.h("bureau"))
    ).json()
    assert summary["balance"] == "7234.57"
    assert summary["interest"] == "1234.56"
    await verify_ok(client, world, estate.community)


async def test_interest_without_any_balance_is_a_conflict(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    body = {"community_id": estate.community, "period": "2025-H1", "amount": "10.00"}
    response = await post(client, world, "/fund/interest", body)
    assert response.status_code == 409


async def test_a_reversed_interest_period_may_be_allocated_again(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "1000.00")
    body = {"community_id": estate.community, "period": "2026-Q1", "amount": "12.00"}
    entry = (await post(client, world, "/fund/interest", body)).json()["entry_id"]
    reversed_ = await post(client, world, f"/fund/entries/{entry}/reverse", {"reason": "金额有误"})
    assert reversed_.status_code == 201, reversed_.text
    fixed = await post(client, world, "/fund/interest", {**body, "amount": "13.00"})
    assert fixed.status_code == 201, fixed.text
    assert (await fund_of(client, world, estate.households[0]))["interest"] == "13.00"
    await verify_ok(client, world, estate.community)


async def test_income_is_split_by_floor_area(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    # areas 80, 60, 100: 240 m²
    body = {
        "community_id": estate.community,
        "amount": "240.01",
        "memo": "广告位收益",
        "received_on": "2026-02-01",
    }
    response = await post(client, world, "/fund/income", body)
    assert response.status_code == 201, response.text
    incomes = [(await fund_of(client, world, h))["interest"] for h in estate.households]
    assert incomes == ["80.00", "60.00", "100.01"]
    await verify_ok(client, world, estate.community)


async def test_a_demolition_refund_takes_out_the_whole_balance(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "1000.00")
    await post(
        client,
        world,
        "/fund/interest",
        {"community_id": estate.community, "period": "2026", "amount": "3.21"},
    )
    response = await post(
        client, world, "/fund/refunds", {"household_id": estate.households[0], "reason": "拆迁"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["amount"] == "1003.21"
    assert response.json()["interest"] == "3.21"
    assert (await fund_of(client, world, estate.households[0]))["balance"] == "0.00"
    again = await post(
        client, world, "/fund/refunds", {"household_id": estate.households[0], "reason": "拆迁"}
    )
    assert again.status_code == 409
    closed = await post(
        client,
        world,
        "/fund/deposits",
        {
            "household_id": estate.households[0],
            "amount": "1.00",
            "kind": "replenish",
            "paid_on": "2026-01-15",
        },
    )
    assert closed.status_code == 409
    await verify_ok(client, world, estate.community)


async def test_reversing_a_refund_reopens_the_account_with_its_balance(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "1000.00")
    refund = await post(
        client, world, "/fund/refunds", {"household_id": estate.households[0], "reason": "误操作"}
    )
    reversal = await post(
        client, world, f"/fund/entries/{refund.json()['entry_id']}/reverse", {"reason": "误退"}
    )
    assert reversal.status_code == 201, reversal.text
    fund = await fund_of(client, world, estate.households[0])
    assert (fund["balance"], fund["closed"]) == ("1000.00", False)
    await deposit(client, world, estate.households[0], "1.00", kind="replenish")
    await verify_ok(client, world, estate.community)


async def test_income_skips_demolished_households(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "1.00")
    await post(
        client, world, "/fund/refunds", {"household_id": estate.households[0], "reason": "拆迁"}
    )
    body = {
        "community_id": estate.community,
        "amount": "16.00",
        "memo": "广告位收益",
        "received_on": "2026-02-01",
    }
    response = await post(client, world, "/fund/income", body)
    assert response.status_code == 201, response.text
    assert response.json()["households"] == 2
    incomes = [(await fund_of(client, world, h))["interest"] for h in estate.households]
    assert incomes == ["0.00", "6.00", "10.00"]


async def test_a_write_leaves_an_audit_entry(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    from service.audit.tables import AuditEntry

    entry = (await deposit(client, world, estate.households[0], "1.00"))["entry_id"]
    assert await AuditEntry.exists().where(
        (AuditEntry.entity_id == entry) & (AuditEntry.action == "fund.deposit")
    )


async def test_a_reversal_points_to_its_original_and_happens_once(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    entry = (await deposit(client, world, estate.households[0], "500.00"))["entry_id"]
    response = await post(client, world, f"/fund/entries/{entry}/reverse", {"reason": "录错户"})
    assert response.status_code == 201, response.text
    reversal = response.json()
    assert reversal["reverses_entry_id"] == entry
    assert reversal["amount"] == "500.00"
    fund = await fund_of(client, world, estate.households[0])
    assert fund["balance"] == "0.00"
    assert fund["first_deposit_paid"] is False
    twice = await post(client, world, f"/fund/entries/{entry}/reverse", {"reason": "再冲"})
    assert twice.status_code == 409
    of_reversal = await post(
        client, world, f"/fund/entries/{reversal['entry_id']}/reverse", {"reason": "x"}
    )
    assert of_reversal.status_code == 409
    # the first deposit may now be posted correctly
    await deposit(client, world, estate.households[0], "3600.00")
    entries = (
        await client.get(
            f"/api/v1/households/{estate.households[0]}/fund/entries", headers=world.h("bureau")
        )
    ).json()["items"]
    assert [e["kind"] for e in entries] == ["first_deposit", "reversal", "first_deposit"]
    assert entries[1]["reverses_entry_id"] == entry
    assert entries[1]["amount"] == "-500.00"
    await verify_ok(client, world, estate.community)


async def test_a_reversal_that_would_make_a_balance_negative_is_refused(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    entry = (await deposit(client, world, estate.households[0], "500.00"))["entry_id"]
    await post(
        client, world, "/fund/refunds", {"household_id": estate.households[0], "reason": "拆迁"}
    )
    response = await post(client, world, f"/fund/entries/{entry}/reverse", {"reason": "x"})
    assert response.status_code == 409
    await verify_ok(client, world, estate.community)


async def test_reversing_an_unknown_entry_is_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await post(
        client,
        world,
        "/fund/entries/6f1c1f9e-0000-4000-8000-000000000000/reverse",
        {"reason": "x"},
    )
    assert response.status_code == 404


async def test_a_deposit_to_an_unknown_household_leaves_its_key_unused(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    # The journal lock is taken in one statement with the key's claim (idempotency.Lead):
    # a household not found answers 422 and rolls the claim back with it.
    body = {
        "household_id": str(uuid.uuid4()),
        "amount": "100.00",
        "kind": "first",
        "paid_on": "2026-01-15",
    }
    response = await post(client, world, "/fund/deposits", body, key="dep-unknown-1")
    assert response.status_code == 422
    assert "household_id" in response.text
    body["household_id"] = estate.households[0]
    response = await post(client, world, "/fund/deposits", body, key="dep-unknown-1")
    assert response.status_code == 201, response.text
    assert (await fund_of(client, world, estate.households[0]))["balance"] == "100.00"
