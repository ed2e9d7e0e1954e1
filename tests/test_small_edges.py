"""Issue 11 item 9: value dates bound to the fund's life, the four-eyes rule answering
403 everywhere, a seller's ballot after the sale. (fund verify on an empty database:
tests/test_cli_and_config.py.)"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.clock import today
from service.funds.rules import FUND_EPOCH, earliest_value_date
from tests.fund_uses.test_api import make_block, proposal, vote
from tests.support import World, make_id_no, unique

API = "/api/v1"


async def first_deposit(
    client: httpx.AsyncClient, world: World, household: str, paid_on: str
) -> httpx.Response:
    return await client.post(
        f"{API}/fund/deposits",
        json={"household_id": household, "amount": "100.00", "kind": "first", "paid_on": paid_on},
        headers={**world.h("bureau"), "Idempotency-Key": unique("edge-")},
    )


@pytest.mark.parametrize("paid_on", ["1900-01-01", "1989-12-31", "1994-12-31"])
async def test_a_deposit_dated_before_the_funds_life_is_refused_naming_paid_on(
    client: httpx.AsyncClient, world: World, paid_on: str
) -> None:
    """CB was built in 1995: its fund's life starts 1995-01-01 (1990-01-01 at the earliest)."""
    response = await first_deposit(client, world, world.ids["h4"], paid_on)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["paid_on"]


async def test_a_deposit_dated_the_first_day_of_the_built_year_is_accepted(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world, areas=("50.00",), deposits=("10.00",))
    response = await client.post(
        f"{API}/fund/deposits",
        json={
            "household_id": block.households[0],
            "amount": "1.00",
            "kind": "replenish",
            "paid_on": "1995-01-01",
        },
        headers={**world.h("bureau"), "Idempotency-Key": unique("edge-")},
    )
    assert response.status_code == 201, response.text


@given(st.integers(min_value=1800, max_value=2100))
def test_the_funds_life_starts_at_the_later_of_1990_and_the_built_year(year: int) -> None:
    earliest = earliest_value_date(year)
    assert earliest >= FUND_EPOCH == date(1990, 1, 1)
    assert earliest == max(date(1990, 1, 1), date(year, 1, 1))


async def test_the_four_eyes_rule_answers_403_wherever_it_applies(
    client: httpx.AsyncClient, world: World
) -> None:
    """Approving one's own proposal and paying a use one approved: both 403 (the
    subsidies' release by its approver: tests/ratings/test_subsidies.py)."""
    block = await make_block(client, world)
    use = (
        await client.post(
            f"{API}/fund-uses",
            json=proposal(block, emergency=True, emergency_reason="lift", component="equipment"),
            headers=world.h("bureau"),
        )
    ).json()
    own = await client.post(f"{API}/fund-uses/{use['id']}/approve", headers=world.h("bureau"))
    assert own.status_code == 403, own.text
    approved = await client.post(f"{API}/fund-uses/{use['id']}/approve", headers=world.h("bureau2"))
    assert approved.status_code == 200, approved.text
    pay = await client.post(
        f"{API}/fund-uses/{use['id']}/disbursements",
        json={"amount": "100.00", "stage": "advance"},
        headers={**world.h("bureau2"), "Idempotency-Key": unique("edge-")},
    )
    assert pay.status_code == 403, pay.text


async def tally(client: httpx.AsyncClient, world: World, use_id: str) -> dict[str, Any]:
    answer = await client.get(f"{API}/fund-uses/{use_id}/tally", headers=world.h("bureau"))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_sellers_ballot_no_longer_counts_once_the_flat_is_sold(
    client: httpx.AsyncClient, world: World
) -> None:
    """The owner at closing time votes (DOMAIN.md: the population is the owners whose
    accounts the use charges; the account follows the flat to its buyer)."""
    block = await make_block(client, world)
    use = (
        await client.post(
            f"{API}/fund-uses", json=proposal(block), headers=block.headers["company"]
        )
    ).json()
    await vote(client, block, use["id"], ["yes", "yes", "yes"])
    before = await tally(client, world, use["id"])
    assert before["voted_owners"] == 3
    sold = await client.post(
        f"{API}/households/{block.households[0]}/transfer",
        json={"owner_name": "赵买", "owner_id_no": make_id_no(977), "since": today().isoformat()},
        headers=world.h("bureau"),
    )
    assert sold.status_code == 201, sold.text
    after = await tally(client, world, use["id"])
    assert after["voted_owners"] == 2
    assert after["yes_owners"] == 2
    # The buyer votes (on paper, through the committee) and is counted.
    await vote(client, block, use["id"], ["no"])
    counted = await tally(client, world, use["id"])
    assert (counted["voted_owners"], counted["yes_owners"]) == (3, 2)


def test_an_order_key_sorts_as_its_values_do_whatever_the_zone() -> None:
    """``pagination.order_key``: instants compare in UTC (one written at +08:00 and one in
    UTC sort by when they happened), dates and ids after them as given."""
    from datetime import date, datetime, timedelta, timezone
    from uuid import UUID

    from service.pagination import order_key

    shanghai = timezone(timedelta(hours=8))
    earlier = datetime(2026, 4, 1, 9, 0, tzinfo=shanghai)  # 01:00 UTC
    later = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
    low, high = UUID(int=1), UUID(int=2)
    keys = [
        order_key(date(2026, 4, 1), later, low),
        order_key(date(2026, 4, 1), earlier, high),
        order_key(date(2026, 3, 31), later, high),
        order_key(date(2026, 4, 1), earlier, low),
    ]
    assert sorted(keys) == [keys[2], keys[3], keys[1], keys[0]]
