"""Competing steps on one rating period, fired together several times (issue 11): each
step locks the period and rechecks it, so two steps that exclude each other never both
succeed, the loser gets 409, and what is stored agrees with the answers given."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx

from tests.contracts.estate import make_contract, make_estate
from tests.ratings.flow import make_period, rate, scores
from tests.support import World

ROUNDS = 3
LOW = scores(cleaning="0", facilities="0", satisfaction="5")  # 45.00


def month(n: int) -> tuple[str, str]:
    """The n-th month of 2025 (1-based) as a period's dates."""
    ends = {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}.get(n, 31)
    return f"2025-{n:02d}-01", f"2025-{n:02d}-{ends}"


async def finalize(
    client: httpx.AsyncClient, period: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    return await client.post(f"/api/v1/rating-periods/{period['id']}/finalize", headers=headers)


async def test_finalise_against_finalise_one_wins(client: httpx.AsyncClient, world: World) -> None:
    for _ in range(ROUNDS):
        period = await make_period(client, world, "2024-01-01", "2024-03-31")
        answers = await asyncio.gather(
            finalize(client, period, world.h("bureau")),
            finalize(client, period, world.h("bureau2")),
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        stored = await client.get(
            f"/api/v1/rating-periods/{period['id']}", headers=world.h("bureau")
        )
        assert stored.json()["status"] == "finalized"


async def test_rate_against_finalise_never_rates_a_finalised_period(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2025-01-01")
    for n in range(1, ROUNDS + 1):
        period = await make_period(client, world, *month(n))
        rated, closed = await asyncio.gather(
            rate(client, world, period, contract, scores()),
            finalize(client, period, world.h("bureau2")),
        )
        assert closed.status_code == 200, closed.text
        assert rated.status_code in (201, 409), rated.text
        listed = await client.get(
            f"/api/v1/rating-periods/{period['id']}/ratings", headers=world.h("bureau")
        )
        items = listed.json()["items"]
        # A rating answered 201 is in the period (frozen with it); a refused one is not.
        assert len(items) == (1 if rated.status_code == 201 else 0)
        if items:
            created_at = datetime.fromisoformat(items[0]["created_at"])
            assert created_at <= datetime.fromisoformat(closed.json()["finalized_at"])


async def test_rate_against_rate_of_one_contract_one_wins(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2025-01-01")
    for n in range(1, ROUNDS + 1):
        period = await make_period(client, world, *month(n))
        first, second = await asyncio.gather(
            rate(client, world, period, contract, scores()),
            client.post(
                f"/api/v1/rating-periods/{period['id']}/ratings",
                json={"contract_id": contract["id"], "items": LOW},
                headers=world.h("bureau2"),
            ),
        )
        assert sorted([first.status_code, second.status_code]) == [201, 409]
        listed = await client.get(
            f"/api/v1/rating-periods/{period['id']}/ratings", headers=world.h("bureau")
        )
        winner = first if first.status_code == 201 else second
        assert [r["total"] for r in listed.json()["items"]] == [winner.json()["total"]]


async def test_appeal_against_finalise_one_wins(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2025-01-01")
    for n in range(1, ROUNDS + 1):
        period = await make_period(client, world, *month(n))
        rating = (await rate(client, world, period, contract, LOW)).json()
        appealed, closed = await asyncio.gather(
            client.post(
                f"/api/v1/ratings/{rating['rating_id']}/appeals",
                json={"reason": "保洁记录未计入"},
                headers=estate.company_h,
            ),
            finalize(client, period, world.h("bureau")),
        )
        assert (appealed.status_code, closed.status_code) in ((201, 409), (409, 200)), (
            appealed.text,
            closed.text,
        )
        stored = (
            await client.get(f"/api/v1/ratings/{rating['rating_id']}", headers=world.h("bureau"))
        ).json()
        status = (
            await client.get(f"/api/v1/rating-periods/{period['id']}", headers=world.h("bureau"))
        ).json()["status"]
        if appealed.status_code == 201:
            assert (stored["appeal"] is not None, status) == (True, "open")
        else:
            assert (stored["appeal"], status) == (None, "finalized")


async def test_neighbouring_periods_finalised_together_still_flag_the_later(
    client: httpx.AsyncClient, world: World
) -> None:
    for _ in range(ROUNDS):
        estate = await make_estate(client, world)
        contract = await make_contract(client, world, estate, starts_on="2025-01-01")
        periods = [await make_period(client, world, *month(n)) for n in (1, 2)]
        ratings = [(await rate(client, world, p, contract, LOW)).json() for p in periods]
        answers = await asyncio.gather(
            finalize(client, periods[0], world.h("bureau")),
            finalize(client, periods[1], world.h("bureau2")),
        )
        assert [a.status_code for a in answers] == [200, 200]
        flags = [
            (
                await client.get(f"/api/v1/ratings/{r['rating_id']}", headers=world.h("bureau"))
            ).json()["review_flag"]
            for r in ratings
        ]
        assert flags == [False, True]
