"""The district's interest run over several communities: all or nothing, once per period."""

from typing import Any

import httpx
import pytest

from service.funds import ledger
from tests.fund_uses.test_api import balance, make_block
from tests.support import World, unique


def district_run(period: str, amounts: dict[str, str]) -> dict[str, Any]:
    return {
        "period": period,
        "items": [{"community_id": c, "amount": amount} for c, amount in amounts.items()],
    }


async def post_run(client: httpx.AsyncClient, world: World, body: dict[str, Any]) -> httpx.Response:
    """POST the run with a fresh Idempotency-Key."""
    headers = {**world.h("bureau"), "Idempotency-Key": unique("int-")}
    return await client.post("/api/v1/fund/interest/district", json=body, headers=headers)


async def test_one_run_allocates_each_communitys_interest_by_balance(
    client: httpx.AsyncClient, world: World
) -> None:
    east = await make_block(
        client, world, areas=("50.00", "50.00"), deposits=("1000.00", "3000.00")
    )
    west = await make_block(client, world, areas=("80.00",), deposits=("2000.00",))
    body = district_run("2026-Q3", {east.community: "40.00", west.community: "7.77"})
    response = await post_run(client, world, body)
    assert response.status_code == 201, response.text
    assert sorted(r["allocated"] for r in response.json()) == ["40.00", "7.77"]
    assert await balance(client, world, east.households[0]) == "1010.00"
    assert await balance(client, world, east.households[1]) == "3030.00"
    assert await balance(client, world, west.households[0]) == "2007.77"

    again = await post_run(client, world, body)
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


@pytest.mark.parametrize(
    "sizes",
    [
        {},  # PostgreSQL: one statement, rows as typed VALUES
        {"SMALL_POSTING_LINES": 0},  # a batch: arrays, lines by COPY
        {"SMALL_POSTING_LINES": 0, "ARRAY_CHUNK": 2},  # a batch in chunks of two rows
        # groups written while the next is made (post_overlapped), one community a group
        {"OVERLAP_GROUP_LINES": 1},
        {"SMALL_POSTING_LINES": 0, "OVERLAP_GROUP_LINES": 1},
    ],
    ids=["values", "batch", "chunks", "groups", "batch-groups"],
)
async def test_every_shape_of_the_postgresql_write_posts_and_verifies(
    client: httpx.AsyncClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    sizes: dict[str, int],
) -> None:
    # The shapes a deposit, a community's batch and a district of a million households
    # take on PostgreSQL; SQLite writes table by table whatever the size.
    for name, value in sizes.items():
        monkeypatch.setattr(ledger, name, value)
    east = await make_block(client, world, areas=("50.00",) * 3, deposits=("100.00",) * 3)
    west = await make_block(client, world, areas=("80.00",) * 2, deposits=("100.00", "300.00"))
    body = district_run("2027-Q1", {east.community: "3.01", west.community: "4.00"})
    response = await post_run(client, world, body)
    assert response.status_code == 201, response.text
    # 3.01 over three equal balances: one fen of remainder goes to one of them.
    assert sorted([await balance(client, world, h) for h in east.households]) == [
        "101.00",
        "101.00",
        "101.01",
    ]
    assert [await balance(client, world, h) for h in west.households] == ["101.00", "303.00"]
    for community in (east.community, west.community):
        verified = await client.get(
            f"/api/v1/communities/{community}/fund/verify", headers=world.h("auditor")
        )
        assert verified.status_code == 200
        assert verified.json()["ok"] is True, verified.json()


async def test_a_failure_after_earlier_groups_were_written_leaves_nothing_posted(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run writes its communities in groups while it makes the next ones: when making
    the third fails, the two groups already written go with the transaction."""
    from service.funds import batches

    monkeypatch.setattr(ledger, "OVERLAP_GROUP_LINES", 1)
    blocks = [
        await make_block(client, world, areas=("50.00",), deposits=("1000.00",)) for _ in range(3)
    ]
    real_split = batches._split
    made: list[int] = []

    def failing_split(*args: Any, **kwargs: Any) -> Any:
        made.append(1)
        if len(made) == 3:
            raise RuntimeError("the third community's shares could not be made")
        return real_split(*args, **kwargs)

    monkeypatch.setattr(batches, "_split", failing_split)
    body = district_run("2027-Q2", {b.community: "10.00" for b in blocks})
    try:
        response = await post_run(client, world, body)
        assert response.status_code == 500
    except RuntimeError:
        pass  # a test client that re-raises the server's exception
    assert len(made) == 3
    for block in blocks:
        assert await balance(client, world, block.households[0]) == "1000.00"
        verified = await client.get(
            f"/api/v1/communities/{block.community}/fund/verify", headers=world.h("auditor")
        )
        assert verified.json()["ok"] is True, verified.json()
        entries = await client.get(
            f"/api/v1/households/{block.households[0]}/fund/entries", headers=world.h("bureau")
        )
        assert [e for e in entries.json()["items"] if e["kind"] == "interest"] == []


async def test_a_district_run_makes_its_rows_with_the_collector_paused(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's rows (weights, lines) live until it ends: Python's cyclic collector is
    off while it makes them (``service.collector``) and back on after it, and the run
    written in several groups posts and verifies."""
    import gc

    monkeypatch.setattr(ledger, "OVERLAP_GROUP_LINES", 5)  # [first, second], then [third]
    blocks = [
        await make_block(client, world, areas=("50.00", "50.00"), deposits=("100.00", "300.00"))
        for _ in range(3)
    ]
    collecting: list[bool] = []
    real_add = ledger.Postings.add

    def add(self: ledger.Postings, draft: Any) -> None:
        collecting.append(gc.isenabled())
        real_add(self, draft)

    monkeypatch.setattr(ledger.Postings, "add", add)
    assert gc.isenabled()
    body = district_run("2027-Q2", {b.community: "4.00" for b in blocks})
    response = await post_run(client, world, body)
    assert response.status_code == 201, response.text

    assert collecting == [False] * 3 and gc.isenabled()
    for block in blocks:
        assert [await balance(client, world, h) for h in block.households] == ["101.00", "303.00"]
        verified = await client.get(
            f"/api/v1/communities/{block.community}/fund/verify", headers=world.h("auditor")
        )
        assert verified.json()["ok"] is True, verified.json()
