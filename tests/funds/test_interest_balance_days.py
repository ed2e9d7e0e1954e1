"""Interest through the API by balance-days (积数, issue 10 item 8), community and district
runs, on SQLite and PostgreSQL: each line counts from its value date (``paid_on``)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import httpx

from service.db import fetch
from service.funds.rules import balance_days, interest_period, interest_shares
from tests.funds.conftest import Estate, make_estate, post
from tests.support import World, created, unique


async def pay(
    client: httpx.AsyncClient,
    world: World,
    household: str,
    amount: str,
    paid_on: str,
    kind: str = "first",
) -> None:
    body = {"household_id": household, "amount": amount, "kind": kind, "paid_on": paid_on}
    await created(await post(client, world, "/fund/deposits", body))


async def interest_of(client: httpx.AsyncClient, world: World, household: str) -> str:
    response = await client.get(f"/api/v1/households/{household}/fund", headers=world.h("bureau"))
    assert response.status_code == 200, response.text
    value: str = response.json()["interest"]
    return value


async def verify_ok(client: httpx.AsyncClient, world: World, community: str) -> None:
    check = await client.get(
        f"/api/v1/communities/{community}/fund/verify", headers=world.h("bureau")
    )
    assert check.json()["ok"] is True, check.json()


async def test_a_deposit_on_the_periods_last_day_earns_one_days_worth_not_a_full_share(
    client: httpx.AsyncClient, world: World
) -> None:
    """The issue's example: two households each hold 10,000.00 at the allocation; one held
    it all November, the other paid it on 30 November. November's 31.00 of interest goes
    30.00 to 1.00 (30 balance-days to 1), not 15.50 each."""
    estate = await make_estate(client, world, areas=("80.00", "80.00"))
    held, late = estate.households
    await pay(client, world, held, "10000.00", "2026-10-20")
    await pay(client, world, late, "10000.00", "2026-11-30")
    body = {"community_id": estate.community, "period": "2026-11", "amount": "31.00"}
    response = await post(client, world, "/fund/interest", body)
    assert response.status_code == 201, response.text
    assert response.json()["households"] == 2
    assert await interest_of(client, world, held) == "30.00"
    assert await interest_of(client, world, late) == "1.00"
    await verify_ok(client, world, estate.community)


async def test_a_deposit_after_the_period_earns_nothing_for_it(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world, areas=("80.00", "80.00"))
    before, after = estate.households
    await pay(client, world, before, "500.00", "2026-03-01")
    await pay(client, world, after, "5000.00", "2026-04-01")
    body = {"community_id": estate.community, "period": "2026-03", "amount": "7.77"}
    response = await post(client, world, "/fund/interest", body)
    assert response.status_code == 201, response.text
    assert response.json()["households"] == 1
    assert await interest_of(client, world, before) == "7.77"
    assert await interest_of(client, world, after) == "0.00"


async def test_a_period_before_any_deposit_is_a_conflict_and_a_bad_period_is_named(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world, areas=("80.00",))
    await pay(client, world, estate.households[0], "500.00", "2026-03-01")
    early = await post(
        client,
        world,
        "/fund/interest",
        {"community_id": estate.community, "period": "2026-02", "amount": "1.00"},
    )
    assert early.status_code == 409
    assert "积数" in early.json()["detail"]
    bad = await post(
        client,
        world,
        "/fund/interest",
        {"community_id": estate.community, "period": "2026-Q5", "amount": "1.00"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "period"


async def test_a_closed_account_shares_no_interest(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world, areas=("80.00", "80.00"))
    kept, gone = estate.households
    await pay(client, world, kept, "1000.00", "2026-01-10")
    await pay(client, world, gone, "1000.00", "2026-01-10")
    refunded = await post(client, world, "/fund/refunds", {"household_id": gone, "reason": "拆迁"})
    assert refunded.status_code == 201, refunded.text
    body = {"community_id": estate.community, "period": "2026-H1", "amount": "20.00"}
    response = await post(client, world, "/fund/interest", body)
    assert response.status_code == 201, response.text
    assert response.json()["households"] == 1
    assert await interest_of(client, world, kept) == "20.00"


async def journal_of(community: str) -> dict[str, list[tuple[date, int]]]:
    """Every household account's lines as (value date, amount), read back from the journal
    (a reversal's lines with the value date of what they reverse)."""
    rows = await fetch(
        "SELECT l.account, COALESCE(o.value_date, e.value_date) AS value_date,"
        " l.principal_delta + l.interest_delta AS amount"
        " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
        " LEFT JOIN fund_entry AS o ON o.id = e.reverses_entry"
        " JOIN fund_account AS a ON a.id = l.account"
        " WHERE a.community = {} AND a.kind = 'household'",
        community,
    )
    lines: dict[str, list[tuple[date, int]]] = {}
    for row in rows:
        day = row["value_date"]
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        lines.setdefault(str(row["account"]), []).append((day, int(row["amount"])))
    return lines


async def shares_posted(entry_id: str) -> dict[str, int]:
    rows = await fetch(
        "SELECT account, interest_delta FROM fund_line WHERE entry = {} AND household IS NOT NULL",
        entry_id,
    )
    return {str(r["account"]): int(r["interest_delta"]) for r in rows}


async def test_the_set_based_sql_agrees_with_the_pure_rule_line_by_line(
    client: httpx.AsyncClient, world: World
) -> None:
    """Many households, deposits on scattered dates before, inside and after the period,
    an earlier interest allocation and a refund: what the service posts is exactly
    ``interest_shares`` over ``balance_days`` of the journal read back."""
    randomiser = random.Random(20261202)
    estate: Estate = await make_estate(client, world, areas=("60.00",) * 12)
    for household in estate.households:
        day = date(2026, 1, 1) + timedelta(days=randomiser.randrange(0, 200))
        await pay(
            client,
            world,
            household,
            f"{randomiser.randrange(100, 9000)}.{randomiser.randrange(100):02d}",
            day.isoformat(),
        )
        for _ in range(randomiser.randrange(0, 3)):
            day += timedelta(days=randomiser.randrange(1, 60))
            await pay(
                client,
                world,
                household,
                f"{randomiser.randrange(1, 900)}.00",
                day.isoformat(),
                "replenish",
            )
    mistaken = await created(
        await post(
            client,
            world,
            "/fund/deposits",
            {
                "household_id": estate.households[1],
                "amount": "777.00",
                "kind": "replenish",
                "paid_on": "2026-02-02",
            },
        )
    )
    await created(
        await post(
            client, world, f"/fund/entries/{mistaken['entry_id']}/reverse", {"reason": "重复入账"}
        )
    )
    first = {"community_id": estate.community, "period": "2026-Q1", "amount": "123.45"}
    assert (await post(client, world, "/fund/interest", first)).status_code == 201
    await created(
        await post(
            client, world, "/fund/refunds", {"household_id": estate.households[0], "reason": "拆迁"}
        )
    )
    # Periods that do not overlap (a day earns interest once): a quarter and two months.
    for period, amount in (("2026-Q2", "456.78"), ("2026-07", "1000.01"), ("2026-08", "0.07")):
        response = await post(
            client,
            world,
            "/fund/interest",
            {"community_id": estate.community, "period": period, "amount": amount},
        )
        assert response.status_code == 201, response.text
        start, end = interest_period(period)
        lines = await journal_of(estate.community)
        posted = await shares_posted(response.json()["entry_id"])
        closed = await fetch(
            "SELECT id FROM fund_account WHERE community = {} AND closed_at IS NOT NULL",
            estate.community,
        )
        for row in closed:
            lines.pop(str(row["id"]), None)
        # the lines of this very allocation are dated today, after every period here
        expected = interest_shares(
            int(amount.replace(".", "")), {k: balance_days(v, start, end) for k, v in lines.items()}
        )
        assert {k: v for k, v in posted.items() if v} == {k: v for k, v in expected.items() if v}
        assert sum(posted.values()) == int(amount.replace(".", ""))
    await verify_ok(client, world, estate.community)


async def test_the_district_run_splits_each_community_by_balance_days(
    client: httpx.AsyncClient, world: World
) -> None:
    east = await make_estate(client, world, areas=("50.00", "50.00"))
    west = await make_estate(client, world, areas=("80.00", "80.00"))
    await pay(
        client, world, east.households[0], "3650.00", "2025-12-01"
    )  # all of 2026-Q3's 92 days
    await pay(client, world, east.households[1], "3650.00", "2026-09-30")  # its last day
    await pay(client, world, west.households[0], "1000.00", "2026-08-01")  # 61 days
    await pay(client, world, west.households[1], "2000.00", "2026-09-01")  # 30 days
    body: dict[str, Any] = {
        "period": "2026-Q3",
        "items": [
            {"community_id": east.community, "amount": "93.00"},
            {"community_id": west.community, "amount": "121.00"},
        ],
    }
    response = await client.post(
        "/api/v1/fund/interest/district",
        json=body,
        headers={**world.h("bureau"), "Idempotency-Key": unique("int-")},
    )
    assert response.status_code == 201, response.text
    assert await interest_of(client, world, east.households[0]) == "92.00"
    assert await interest_of(client, world, east.households[1]) == "1.00"
    # 1000 × 61 = 61,000 against 2000 × 30 = 60,000: 121.00 → 61.00 and 60.00
    assert await interest_of(client, world, west.households[0]) == "61.00"
    assert await interest_of(client, world, west.households[1]) == "60.00"
    await verify_ok(client, world, east.community)
    await verify_ok(client, world, west.community)


async def test_a_deposit_reversed_later_never_earned_interest(
    client: httpx.AsyncClient, world: World
) -> None:
    """A reversal counts from the value date of the entry it corrects: 5,000.00 booked on
    1 March by mistake and reversed today earns nothing for March."""
    estate = await make_estate(client, world, areas=("80.00", "80.00"))
    right, wrong = estate.households
    await pay(client, world, right, "1000.00", "2026-02-01")
    await pay(client, world, wrong, "1000.00", "2026-02-01")
    mistaken = await created(
        await post(
            client,
            world,
            "/fund/deposits",
            {
                "household_id": wrong,
                "amount": "5000.00",
                "kind": "replenish",
                "paid_on": "2026-03-01",
            },
        )
    )
    await created(
        await post(
            client, world, f"/fund/entries/{mistaken['entry_id']}/reverse", {"reason": "误记"}
        )
    )
    body = {"community_id": estate.community, "period": "2026-03", "amount": "10.00"}
    assert (await post(client, world, "/fund/interest", body)).status_code == 201
    assert await interest_of(client, world, right) == "5.00"
    assert await interest_of(client, world, wrong) == "5.00"


async def test_a_period_overlapping_one_already_allocated_is_a_conflict(
    client: httpx.AsyncClient, world: World
) -> None:
    """A day earns interest once: after 2026-10, the quarter, half year and year holding
    it are refused; an adjacent month is not; a reversed allocation frees its days."""
    estate = await make_estate(client, world, areas=("80.00",))
    (household,) = estate.households
    await pay(client, world, household, "10000.00", "2026-01-05")
    body = {"community_id": estate.community, "period": "2026-10", "amount": "10.00"}
    first = await post(client, world, "/fund/interest", body)
    assert first.status_code == 201, first.text
    for period in ("2026-10", "2026-Q4", "2026-H2", "2026"):
        again = await post(client, world, "/fund/interest", body | {"period": period})
        assert again.status_code == 409, (period, again.text)
    beside = await post(client, world, "/fund/interest", body | {"period": "2026-09"})
    assert beside.status_code == 201, beside.text
    assert await interest_of(client, world, household) == "20.00"
    await verify_ok(client, world, estate.community)
