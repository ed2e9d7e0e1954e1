"""A sale changes the owner; the household (and later its fund account) stays."""

import httpx

from tests.support import (
    PASSWORD,
    World,
    add_household,
    add_user,
    all_items,
    assert_list_contract,
    created,
    login,
    make_id_no,
    unique,
)


async def test_a_sale_moves_access_to_the_new_owner_and_keeps_history(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    seller = ("钱多", make_id_no(811))
    household_id = await add_household(
        client, bureau, world.ids["CB-1"], "601", "55.00", seller, owner_since="2015-06-01"
    )
    seller_user = unique("seller-")
    await add_user(client, bureau, username=seller_user, role="owner", household_ids=[household_id])
    seller_headers = await login(client, seller_user, PASSWORD)
    assert (
        await client.get(f"/api/v1/households/{household_id}", headers=seller_headers)
    ).status_code == 200

    buyer_id_no = make_id_no(812)
    response = await client.post(
        f"/api/v1/households/{household_id}/transfer",
        json={"owner_name": "孙买", "owner_id_no": buyer_id_no, "since": "2026-03-01"},
        headers=bureau,
    )
    assert response.status_code == 201, response.text
    after = response.json()
    assert after["id"] == household_id
    assert after["owner_name"] == "孙买"
    assert after["owner_id_no"] == buyer_id_no[:4] + "*" * 10 + buyer_id_no[-4:]

    # The seller's login no longer reaches the flat.
    assert (
        await client.get(f"/api/v1/households/{household_id}", headers=seller_headers)
    ).status_code == 404

    history = await all_items(client, f"/api/v1/households/{household_id}/owners", bureau)
    assert [h["owner_name"] for h in history] == ["钱多", "孙买"]
    assert history[0]["since"] == "2015-06-01"
    assert history[0]["until"] == "2026-03-01" and history[1]["until"] is None

    audit = await client.get(
        f"/api/v1/audit?entity=household&entity_id={household_id}", headers=bureau
    )
    assert [e["action"] for e in audit.json()["items"]] == [
        "household.create",
        "household.transfer",
    ]


async def test_a_transfer_dated_before_the_current_ownership_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    household_id = await add_household(
        client, bureau, world.ids["CB-1"], "602", "55.00", ("周一", make_id_no(813))
    )
    response = await client.post(
        f"/api/v1/households/{household_id}/transfer",
        json={"owner_name": "吴二", "owner_id_no": make_id_no(814), "since": "2001-01-01"},
        headers=bureau,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "since"


async def test_racing_sales_of_one_flat_leave_exactly_one_current_owner(
    client: httpx.AsyncClient, world: World
) -> None:
    import asyncio

    bureau = world.h("bureau")
    household_id = await add_household(
        client,
        bureau,
        world.ids["CB-1"],
        "603",
        "55.00",
        ("郑三", make_id_no(815)),
        owner_since="2010-01-01",
    )
    buyers = [("买家" + str(i), make_id_no(820 + i)) for i in range(5)]
    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/households/{household_id}/transfer",
                json={"owner_name": name, "owner_id_no": id_no, "since": "2026-01-01"},
                headers=bureau,
            )
            for name, id_no in buyers
        )
    )
    assert all(r.status_code in (201, 409) for r in responses), [r.text for r in responses]
    history = await all_items(client, f"/api/v1/households/{household_id}/owners", bureau)
    open_rows = [h for h in history if h["until"] is None]
    assert len(open_rows) == 1
    current = (await client.get(f"/api/v1/households/{household_id}", headers=bureau)).json()
    assert current["owner_name"] == open_rows[0]["owner_name"]


async def test_the_ownership_history_comes_in_pages_oldest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    building = await created(
        await client.post(
            f"/api/v1/communities/{world.ids['CB']}/buildings",
            json={"name": unique("楼"), "floors": 6, "has_elevator": False},
            headers=bureau,
        )
    )
    household_id = await add_household(
        client,
        bureau,
        building["id"],
        "602",
        "55.00",
        ("周一", make_id_no(851)),
        owner_since="2010-01-01",
    )
    for seq, (name, since) in enumerate((("吴二", "2016-05-01"), ("郑三", "2024-09-30"))):
        response = await client.post(
            f"/api/v1/households/{household_id}/transfer",
            json={"owner_name": name, "owner_id_no": make_id_no(852 + seq), "since": since},
            headers=bureau,
        )
        assert response.status_code == 201, response.text
    path = f"/api/v1/households/{household_id}/owners"
    history = await assert_list_contract(client, path, world.h("auditor"), key="owner_id")
    assert [(h["owner_name"], h["since"]) for h in history] == [
        ("周一", "2010-01-01"),
        ("吴二", "2016-05-01"),
        ("郑三", "2024-09-30"),
    ]
    # CA's committee does not see a flat of CB: 404, as a missing one.
    assert (await client.get(path, headers=world.h("committee"))).status_code == 404


async def test_two_sales_on_one_day_stand_in_the_order_they_were_recorded(
    client: httpx.AsyncClient, world: World
) -> None:
    """A flat sold twice on one day: the history lists the first buyer before the second
    (who holds it now), on every page, whatever their ids."""
    bureau = world.h("bureau")
    household_id = await add_household(
        client,
        bureau,
        world.ids["CB-1"],
        "617",
        "55.00",
        ("冯始", make_id_no(861)),
        owner_since="2012-01-01",
    )
    buyers = ["陈甲", "褚乙", "卫丙", "蒋丁"]
    for seq, name in enumerate(buyers):
        response = await client.post(
            f"/api/v1/households/{household_id}/transfer",
            json={"owner_name": name, "owner_id_no": make_id_no(862 + seq), "since": "2026-04-01"},
            headers=bureau,
        )
        assert response.status_code == 201, response.text
    path = f"/api/v1/households/{household_id}/owners"
    history = await all_items(client, path, bureau)
    assert [h["owner_name"] for h in history] == ["冯始", *buyers]
    assert history[-1]["until"] is None
    names, cursor = [], None
    while True:  # one owner a page
        page = await client.get(
            path, params={"limit": 1, **({"cursor": cursor} if cursor else {})}, headers=bureau
        )
        assert page.status_code == 200, page.text
        names += [h["owner_name"] for h in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert names == ["冯始", *buyers]
    await assert_list_contract(client, path, world.h("auditor"), key="owner_id")
