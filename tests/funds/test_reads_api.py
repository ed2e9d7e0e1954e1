"""Fund reads: summaries, statements, the replenishment list, and who may see them."""

from __future__ import annotations

import httpx

from tests.funds.conftest import Estate, deposit, make_estate, post, spend
from tests.support import World, make_id_no


async def get(client: httpx.AsyncClient, world: World, path: str, who: str = "bureau") -> dict:
    response = await client.get(f"/api/v1{path}", headers=world.h(who))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_household_without_deposits_shows_its_due_first_deposit(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    fund = await get(client, world, f"/households/{estate.households[0]}/fund")
    # 45.00 yuan/m² × 80.00 m²
    assert fund["first_deposit"] == "3600.00"
    assert fund["first_deposit_paid"] is False
    assert fund["replenish_threshold"] == "1080.00"
    assert fund["balance"] == "0.00"
    assert fund["needs_replenishment"] is False


async def test_the_replenishment_list_shows_households_below_thirty_percent_and_what_they_owe(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world, areas=("10.00", "10.00", "10.00"))
    for household in estate.households:
        await deposit(client, world, household, "1000.00")
    path = f"/communities/{estate.community}/fund/replenishment"
    assert (await get(client, world, path))["items"] == []
    for household in estate.households[:2]:
        await spend(household, 80000)
    listing = await get(client, world, path)
    assert sorted(i["household_id"] for i in listing["items"]) == sorted(estate.households[:2])
    item = listing["items"][0]
    assert (item["balance"], item["replenish_threshold"], item["owed"]) == (
        "200.00",
        "300.00",
        "100.00",
    )
    summary = await get(client, world, f"/communities/{estate.community}/fund")
    assert summary["households_needing_replenishment"] == 2
    assert summary["households"] == 3
    fund = await get(client, world, f"/households/{estate.households[0]}/fund")
    assert fund["needs_replenishment"] is True
    assert fund["owed_to_threshold"] == "100.00"
    years = {y["year"]: y for y in summary["years"]}
    assert years[max(years)]["used"] == "1600.00"


async def test_a_balance_of_exactly_thirty_percent_is_not_listed_one_fen_less_is(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world, areas=("10.00",))
    household = estate.households[0]
    path = f"/communities/{estate.community}/fund/replenishment"
    await deposit(client, world, household, "1000.00")
    await spend(household, 70000)
    assert (await get(client, world, path))["items"] == []
    assert (await get(client, world, f"/households/{household}/fund"))[
        "needs_replenishment"
    ] is False
    await spend(household, 1)
    assert [i["owed"] for i in (await get(client, world, path))["items"]] == ["0.01"]


async def test_a_demolished_household_is_not_called_on_to_replenish(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world, areas=("10.00",))
    household = estate.households[0]
    await deposit(client, world, household, "1000.00")
    await post(client, world, "/fund/refunds", {"household_id": household, "reason": "拆迁"})
    fund = await get(client, world, f"/households/{household}/fund")
    assert (fund["balance"], fund["closed"], fund["needs_replenishment"]) == ("0.00", True, False)
    path = f"/communities/{estate.community}/fund/replenishment"
    assert (await get(client, world, path))["items"] == []


async def test_the_replenishment_list_pages_by_household(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world, areas=("10.00",) * 5)
    for household in estate.households:
        await deposit(client, world, household, "100.00")
        await spend(household, 10000)
    path = f"/communities/{estate.community}/fund/replenishment?limit=2"
    page = await get(client, world, path)
    seen = [i["household_id"] for i in page["items"]]
    while page["next_cursor"]:
        page = await get(client, world, f"{path}&cursor={page['next_cursor']}")
        seen += [i["household_id"] for i in page["items"]]
    assert seen == sorted(estate.households)


async def test_owners_may_not_read_the_replenishment_list(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(
        f"/api/v1/communities/{world.ids['CA']}/fund/replenishment", headers=world.h("owner1")
    )
    assert response.status_code == 403


async def test_building_and_community_summaries_roll_up_households(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    await deposit(client, world, estate.households[0], "3600.00")
    await deposit(client, world, estate.households[1], "2700.00")
    await post(
        client,
        world,
        "/fund/income",
        {
            "community_id": estate.community,
            "amount": "2.40",
            "memo": "停车收益",
            "received_on": "2026-03-01",
        },
    )
    building = await get(client, world, f"/buildings/{estate.building}/fund")
    community = await get(client, world, f"/communities/{estate.community}/fund")
    for summary in (building, community):
        assert summary["balance"] == "6302.40"
        assert summary["principal"] == "6300.00"
        assert summary["interest"] == "2.40"
        assert summary["households"] == 3
    assert community["entries"] == 3
    assert len(community["chain_head"]) == 64
    years = {y["year"]: y for y in community["years"]}
    assert years[2026]["deposited"] == "6300.00"
    assert years[2026]["income"] == "2.40"
    assert years[2026]["total_in"] == "6302.40"
    assert years[2026]["total_out"] == "0.00"


async def test_the_chain_head_moves_with_every_posting_and_verify_agrees(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    before = (await get(client, world, f"/communities/{estate.community}/fund"))["chain_head"]
    await deposit(client, world, estate.households[0], "1.00")
    after = await get(client, world, f"/communities/{estate.community}/fund")
    assert after["chain_head"] != before
    check = await get(client, world, f"/communities/{estate.community}/fund/verify")
    assert check == {
        "community_id": estate.community,
        "ok": True,
        "entries": 1,
        "chain_head": after["chain_head"],
        "problems": [],
    }


async def test_owners_see_their_own_households_only(
    client: httpx.AsyncClient, world: World
) -> None:
    h1, h3, h4 = world.ids["h1"], world.ids["h3"], world.ids["h4"]
    await get(client, world, f"/households/{h1}/fund", who="owner1")
    await get(client, world, f"/households/{h1}/fund/entries", who="owner1")
    for household in (h3, h4):
        response = await client.get(
            f"/api/v1/households/{household}/fund", headers=world.h("owner1")
        )
        assert response.status_code == 404


async def test_company_and_committee_see_their_community_only(
    client: httpx.AsyncClient, world: World
) -> None:
    for who in ("company", "committee", "auditor"):
        await get(client, world, f"/communities/{world.ids['CA']}/fund", who=who)
        await get(client, world, f"/households/{world.ids['h1']}/fund", who=who)
        await get(client, world, f"/buildings/{world.ids['CA-1']}/fund", who=who)
    for who in ("company", "committee"):
        response = await client.get(
            f"/api/v1/communities/{world.ids['CB']}/fund", headers=world.h(who)
        )
        assert response.status_code == 404
        response = await client.get(
            f"/api/v1/buildings/{world.ids['CB-1']}/fund", headers=world.h(who)
        )
        assert response.status_code == 404
    response = await client.get(
        f"/api/v1/communities/{world.ids['CA']}/fund/verify", headers=world.h("company")
    )
    assert response.status_code == 403
    response = await client.get(
        f"/api/v1/households/{world.ids['h1']}/fund", headers=world.h("contractor")
    )
    assert response.status_code == 403


async def test_statements_show_which_owner_held_the_account_when(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    household = estate.households[0]
    await deposit(client, world, household, "3600.00")
    seller = (await get(client, world, f"/households/{household}"))["owner_id"]
    response = await client.post(
        f"/api/v1/households/{household}/transfer",
        json={"owner_name": "赵敏", "owner_id_no": make_id_no(777), "since": "2026-02-01"},
        headers=world.h("bureau"),
    )
    assert response.status_code == 201, response.text
    buyer = response.json()["owner_id"]
    await deposit(client, world, household, "10.00", kind="replenish")
    fund = await get(client, world, f"/households/{household}/fund")
    assert fund["balance"] == "3610.00"
    entries = (await get(client, world, f"/households/{household}/fund/entries"))["items"]
    assert [(e["owner_id"], e["amount"]) for e in entries] == [
        (seller, "3600.00"),
        (buyer, "10.00"),
    ]
    assert entries[1]["owner_name"] == "赵敏"


async def test_statement_pages_follow_the_journal_order(
    client: httpx.AsyncClient, world: World, estate: Estate
) -> None:
    household = estate.households[0]
    await deposit(client, world, household, "1.00")
    for cents in range(2, 6):
        await deposit(client, world, household, f"0.0{cents}", kind="replenish")
    page = await get(client, world, f"/households/{household}/fund/entries?limit=2")
    seen = [e["amount"] for e in page["items"]]
    while page["next_cursor"]:
        page = await get(
            client,
            world,
            f"/households/{household}/fund/entries?limit=2&cursor={page['next_cursor']}",
        )
        seen += [e["amount"] for e in page["items"]]
    assert seen == ["1.00", "0.02", "0.03", "0.04", "0.05"]
