"""Race suite for subsidies (issue 11 item 1): each state change locks the row and
rechecks its state; of two competing steps fired at once exactly one wins, the loser
answers 409, and the stored state agrees with the answers given. Several rounds."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.contracts.estate import make_contract, make_estate
from tests.ratings.flow import make_period, rate, scores
from tests.support import World, created

ROUNDS = 3


async def computed_subsidies(client: httpx.AsyncClient, world: World, n: int) -> list[str]:
    """``n`` computed subsidies of one finalised period (one contract per community)."""
    contracts = []
    for _ in range(n):
        estate = await make_estate(client, world)
        contracts.append(await make_contract(client, world, estate))
    period = await make_period(client, world, "2026-04-01", "2026-06-30")
    for contract in contracts:
        assert (await rate(client, world, period, contract, scores())).status_code == 201
    path = f"/api/v1/rating-periods/{period['id']}"
    assert (await client.post(f"{path}/finalize", headers=world.h("bureau"))).status_code == 200
    computed = await created(await client.post(f"{path}/subsidies", headers=world.h("bureau")))
    return [s["subsidy_id"] for s in computed]


def step(client: httpx.AsyncClient, world: World, subsidy: str, action: str, who: str) -> Any:
    headers = {**world.h(who), "Idempotency-Key": str(uuid.uuid4())}
    return client.post(f"/api/v1/subsidies/{subsidy}/{action}", headers=headers)


async def stored(client: httpx.AsyncClient, world: World, subsidy: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/subsidies/{subsidy}", headers=world.h("auditor"))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_two_approvals_at_once_approve_once(client: httpx.AsyncClient, world: World) -> None:
    subsidies = await computed_subsidies(client, world, ROUNDS)
    for subsidy in subsidies:
        answers = await asyncio.gather(
            step(client, world, subsidy, "approve", "bureau"),
            step(client, world, subsidy, "approve", "bureau2"),
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        winner = next(a for a in answers if a.status_code == 200).json()
        after = await stored(client, world, subsidy)
        assert after["status"] == "approved"
        assert after["approved_by"] == winner["approved_by"]


async def test_two_releases_at_once_release_once(client: httpx.AsyncClient, world: World) -> None:
    subsidies = await computed_subsidies(client, world, ROUNDS)
    for subsidy in subsidies:
        assert (await step(client, world, subsidy, "approve", "bureau")).status_code == 200
        answers = await asyncio.gather(
            step(client, world, subsidy, "release", "bureau2"),
            step(client, world, subsidy, "release", "bureau2"),
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        winner = next(a for a in answers if a.status_code == 200).json()
        after = await stored(client, world, subsidy)
        assert after["status"] == "released"
        assert after["released_at"] == winner["released_at"]


async def test_approve_racing_release_ends_where_the_answers_say(
    client: httpx.AsyncClient, world: World
) -> None:
    """A release racing the approval of a computed subsidy either comes first (409: not
    approved yet) or after it (200: approved by one user, released by the other); the
    approval always succeeds, and the stored state is the one the answers describe."""
    subsidies = await computed_subsidies(client, world, ROUNDS)
    for subsidy in subsidies:
        approve, release = await asyncio.gather(
            step(client, world, subsidy, "approve", "bureau"),
            step(client, world, subsidy, "release", "bureau2"),
        )
        assert approve.status_code == 200, approve.text
        assert release.status_code in (200, 409), release.text
        after = await stored(client, world, subsidy)
        assert after["status"] == ("released" if release.status_code == 200 else "approved")
        assert after["approved_by"] == approve.json()["approved_by"]


async def test_all_pairs_at_once_across_subsidies(client: httpx.AsyncClient, world: World) -> None:
    """Every subsidy of a period receives two approvals at the same moment as every other:
    one approval each, whatever the interleaving across rows."""
    subsidies = await computed_subsidies(client, world, 4)
    answers = await asyncio.gather(
        *(
            step(client, world, subsidy, "approve", who)
            for subsidy in subsidies
            for who in ("bureau", "bureau2")
        )
    )
    codes = [a.status_code for a in answers]
    for index, subsidy in enumerate(subsidies):
        assert sorted(codes[2 * index : 2 * index + 2]) == [200, 409]
        assert (await stored(client, world, subsidy))["status"] == "approved"


async def test_two_computations_at_once_make_one_subsidy_per_contract(
    client: httpx.AsyncClient, world: World
) -> None:
    for _ in range(ROUNDS):
        estate = await make_estate(client, world)
        contract = await make_contract(client, world, estate)
        period = await make_period(client, world, "2026-04-01", "2026-06-30")
        assert (await rate(client, world, period, contract, scores())).status_code == 201
        path = f"/api/v1/rating-periods/{period['id']}"
        assert (await client.post(f"{path}/finalize", headers=world.h("bureau"))).status_code == 200
        answers = await asyncio.gather(
            client.post(f"{path}/subsidies", headers=world.h("bureau")),
            client.post(f"{path}/subsidies", headers=world.h("bureau2")),
        )
        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
        ids = [[s["subsidy_id"] for s in a.json()] for a in answers]
        assert ids[0] == ids[1] and len(ids[0]) == 1
        listed = await client.get(f"{path}/subsidies", headers=world.h("auditor"))
        assert [s["subsidy_id"] for s in listed.json()["items"]] == ids[0]
