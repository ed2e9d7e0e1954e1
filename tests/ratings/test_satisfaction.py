"""Owner satisfaction: owners answer for their own households, the committee for any of
its community's; the average feeds the satisfaction item's evidence."""

from __future__ import annotations

import httpx

from tests.contracts.estate import make_contract, make_estate
from tests.ratings.flow import make_period
from tests.support import World, created


async def test_an_owner_answers_for_own_households_and_may_change_the_answer(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate)
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    path = f"/api/v1/rating-periods/{period['id']}/satisfaction"
    first = await created(
        await client.post(
            path, json={"household_id": estate.households[0], "score": 2}, headers=estate.owner_h
        )
    )
    second = await created(
        await client.post(
            path, json={"household_id": estate.households[0], "score": 4}, headers=estate.owner_h
        )
    )
    assert second["id"] == first["id"]
    assert second["score"] == 4
    evidence = await client.get(
        f"/api/v1/rating-periods/{period['id']}/evidence",
        params={"contract_id": contract["id"]},
        headers=estate.committee_h,
    )
    assert evidence.json()["satisfaction_answers"] == 1
    assert evidence.json()["satisfaction_average"] == "4.00"


async def test_satisfaction_out_of_range_or_for_someone_elses_flat_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    period = await make_period(client, world, "2026-01-01", "2026-03-31")
    path = f"/api/v1/rating-periods/{period['id']}/satisfaction"
    for score in (0, 6):
        response = await client.post(
            path,
            json={"household_id": estate.households[0], "score": score},
            headers=estate.owner_h,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "score"
    other = await client.post(
        path, json={"household_id": world.ids["h1"], "score": 3}, headers=estate.owner_h
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "household_id"
    bureau = await client.post(
        path, json={"household_id": estate.households[0], "score": 3}, headers=world.h("bureau")
    )
    assert bureau.status_code == 403
