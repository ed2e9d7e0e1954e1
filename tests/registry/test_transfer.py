"""A sale changes the owner; the household (and later its fund account) stays."""

import httpx

from tests.support import PASSWORD, World, add_household, add_user, login, make_id_no, unique


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

    history = (await client.get(f"/api/v1/households/{household_id}/owners", headers=bureau)).json()
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
    history = (await client.get(f"/api/v1/households/{household_id}/owners", headers=bureau)).json()
    open_rows = [h for h in history if h["until"] is None]
    assert len(open_rows) == 1
    current = (await client.get(f"/api/v1/households/{household_id}", headers=bureau)).json()
    assert current["owner_name"] == open_rows[0]["owner_name"]
