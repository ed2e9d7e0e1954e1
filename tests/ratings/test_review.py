"""Two periods in a row below 60 are adjacent periods by dates (DOMAIN.md "Quality
rating"), whatever order the bureau finalised them in."""

from __future__ import annotations

from typing import Any

import httpx

from tests.contracts.estate import Estate, make_contract, make_estate
from tests.ratings.flow import make_period, rate, scores
from tests.support import World

LOW = scores(cleaning="0", facilities="0", satisfaction="5")  # 45.00
PASS = scores(cleaning="10", facilities="10", satisfaction="10")  # 70.00
QUARTERS = {
    "q1": ("2025-01-01", "2025-03-31"),
    "q2": ("2025-04-01", "2025-06-30"),
    "q3": ("2025-07-01", "2025-09-30"),
}


async def rated_quarters(
    client: httpx.AsyncClient, world: World, estate: Estate, totals: dict[str, list[Any]]
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Open the named quarters and rate the estate's contract in each."""
    contract = await make_contract(client, world, estate, starts_on="2025-01-01")
    made = {}
    for name, items in totals.items():
        period = await make_period(client, world, *QUARTERS[name])
        rating = await rate(client, world, period, contract, items)
        assert rating.status_code == 201, rating.text
        made[name] = (period, rating.json())
    return made


async def finalize(client: httpx.AsyncClient, world: World, period: dict[str, Any]) -> None:
    response = await client.post(
        f"/api/v1/rating-periods/{period['id']}/finalize", headers=world.h("bureau")
    )
    assert response.status_code == 200, response.text


async def flag(client: httpx.AsyncClient, world: World, rating: dict[str, Any]) -> bool:
    response = await client.get(f"/api/v1/ratings/{rating['rating_id']}", headers=world.h("bureau"))
    return bool(response.json()["review_flag"])


async def test_finalising_the_earlier_quarter_last_still_flags_the_later_one(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    made = await rated_quarters(client, world, estate, {"q1": LOW, "q2": LOW})
    await finalize(client, world, made["q2"][0])
    assert not await flag(client, world, made["q2"][1])  # Q1 not final yet: nothing known
    await finalize(client, world, made["q1"][0])
    assert (await flag(client, world, made["q1"][1]), await flag(client, world, made["q2"][1])) == (
        False,
        True,
    )
    listed = await client.get(
        f"/api/v1/rating-periods/{made['q2'][0]['id']}/ratings?review_flag=true",
        headers=world.h("bureau"),
    )
    assert [r["rating_id"] for r in listed.json()["items"]] == [made["q2"][1]["rating_id"]]


async def test_a_passing_quarter_between_two_low_ones_finalised_last_breaks_the_row(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    made = await rated_quarters(client, world, estate, {"q1": LOW, "q2": PASS, "q3": LOW})
    # Finalised Q1, then Q3: the old rule compared Q3 with Q1, the last one finalised.
    for name in ("q1", "q3", "q2"):
        await finalize(client, world, made[name][0])
    assert [await flag(client, world, made[n][1]) for n in ("q1", "q2", "q3")] == [
        False,
        False,
        False,
    ]


async def test_an_unrated_gap_between_two_low_quarters_is_not_a_row(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    made = await rated_quarters(client, world, estate, {"q1": LOW, "q3": LOW})
    for name in ("q1", "q3"):
        await finalize(client, world, made[name][0])
    assert not await flag(client, world, made["q3"][1])


async def test_a_renewed_contract_of_the_same_company_continues_the_row(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    bureau = world.h("bureau")
    first = await make_contract(client, world, estate, starts_on="2025-01-01", ends_on="2025-03-31")
    second = await make_contract(
        client, world, estate, starts_on="2025-04-01", ends_on="2026-12-31"
    )
    periods = [await make_period(client, world, *QUARTERS[q]) for q in ("q1", "q2")]
    ratings = [
        (await rate(client, world, period, contract, LOW)).json()
        for period, contract in zip(periods, (first, second), strict=True)
    ]
    for period in reversed(periods):
        await client.post(f"/api/v1/rating-periods/{period['id']}/finalize", headers=bureau)
    assert [await flag(client, world, r) for r in ratings] == [False, True]
