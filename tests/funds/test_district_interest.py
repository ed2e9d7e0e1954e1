"""The district's interest run over several communities: all or nothing, once per period."""

import httpx

from tests.funds.test_fund_use_api import balance, make_block
from tests.support import World, unique


async def test_one_run_allocates_each_communitys_interest_by_balance(
    client: httpx.AsyncClient, world: World
) -> None:
    east = await make_block(
        client, world, areas=("50.00", "50.00"), deposits=("1000.00", "3000.00")
    )
    west = await make_block(client, world, areas=("80.00",), deposits=("2000.00",))
    body = {
        "period": "2026-Q3",
        "items": [
            {"community_id": east.community, "amount": "40.00"},
            {"community_id": west.community, "amount": "7.77"},
        ],
    }
    headers = {**world.h("bureau"), "Idempotency-Key": unique("int-")}
    response = await client.post("/api/v1/fund/interest/district", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert sorted(r["allocated"] for r in response.json()) == ["40.00", "7.77"]
    assert await balance(client, world, east.households[0]) == "1010.00"
    assert await balance(client, world, east.households[1]) == "3030.00"
    assert await balance(client, world, west.households[0]) == "2007.77"

    again = await client.post(
        "/api/v1/fund/interest/district",
        json=body,
        headers={**world.h("bureau"), "Idempotency-Key": unique("int-")},
    )
    assert again.status_code == 409
    assert await balance(client, world, west.households[0]) == "2007.77"


async def test_a_bad_item_is_named_and_nothing_is_posted(
    client: httpx.AsyncClient, world: World
) -> None:
    block = await make_block(client, world, areas=("50.00",), deposits=("1000.00",))
    response = await client.post(
        "/api/v1/fund/interest/district",
        json={"period": "2026-Q3", "items": [{"community_id": block.community, "amount": "1.001"}]},
        headers={**world.h("bureau"), "Idempotency-Key": unique("int-")},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items[0].amount"
    assert await balance(client, world, block.households[0]) == "1000.00"
