"""The bearer caller cache (service.auth.tokens.cached_caller): a deactivated account or a
changed organisation takes effect at once in the process that changes it, and within
``CHANGXIAO_CALLER_CACHE_SECONDS`` everywhere else (here: a change made straight in the
database, as another worker or an operator would, with the cache's clock moved on)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from service.auth import tokens
from service.auth.service import change_organization, deactivate_account
from service.auth.tables import Account
from service.config import get_settings
from tests.support import World, add_user, created, login, unique


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The cache's clock, frozen; tests move it by hand (no timed assertions)."""
    now = [tokens._clock()]
    monkeypatch.setattr(tokens, "_clock", lambda: now[0])
    return now


async def _company_user(client: httpx.AsyncClient, world: World) -> tuple[str, dict[str, str]]:
    username = unique("cache-company-")
    user_id = await add_user(
        client,
        world.h("bureau"),
        username=username,
        role="company",
        org_id=world.ids["org_company"],
    )
    return user_id, await login(client, username)


async def test_the_bound_is_five_seconds_by_default() -> None:
    assert get_settings().caller_cache_seconds == 5.0


async def test_a_user_deactivated_elsewhere_is_cut_off_within_the_bound(
    client: httpx.AsyncClient, world: World, clock: list[float]
) -> None:
    user_id, headers = await _company_user(client, world)
    fund = f"/api/v1/households/{world.ids['h1']}/fund"
    assert (await client.get(fund, headers=headers)).status_code == 200
    # Another process deactivates the account: this one does not hear of it.
    await Account.update({Account.active: False}).where(Account.id == uuid.UUID(user_id))
    clock[0] += get_settings().caller_cache_seconds
    answer = await client.get(fund, headers=headers)
    assert answer.status_code == 401
    # And it stays out (an inactive account is never kept).
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_a_user_deactivated_here_is_cut_off_at_once(
    client: httpx.AsyncClient, world: World, clock: list[float]
) -> None:
    user_id, headers = await _company_user(client, world)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    await deactivate_account(None, uuid.UUID(user_id))
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    fund = f"/api/v1/households/{world.ids['h1']}/fund"
    assert (await client.get(fund, headers=headers)).status_code == 401


async def test_a_change_of_organisation_takes_effect_at_once(
    client: httpx.AsyncClient, world: World, clock: list[float]
) -> None:
    user_id, headers = await _company_user(client, world)
    fund = f"/api/v1/households/{world.ids['h1']}/fund"
    assert (await client.get(fund, headers=headers)).status_code == 200
    other = await created(
        await client.post(
            "/api/v1/organizations",
            json={"kind": "company", "name": unique("另一物业公司")},
            headers=world.h("bureau"),
        )
    )
    await change_organization(None, uuid.UUID(user_id), uuid.UUID(other["id"]))
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.json()["org_id"] == other["id"]
    # The new company has no contract in the household's community: out of scope, 404.
    assert (await client.get(fund, headers=headers)).status_code == 404


async def test_an_organisation_changed_elsewhere_is_seen_within_the_bound(
    client: httpx.AsyncClient, world: World, clock: list[float]
) -> None:
    user_id, headers = await _company_user(client, world)
    fund = f"/api/v1/households/{world.ids['h1']}/fund"
    assert (await client.get(fund, headers=headers)).status_code == 200
    other = await created(
        await client.post(
            "/api/v1/organizations",
            json={"kind": "company", "name": unique("另一物业公司")},
            headers=world.h("bureau"),
        )
    )
    await Account.update({Account.organization: uuid.UUID(other["id"])}).where(
        Account.id == uuid.UUID(user_id)
    )
    clock[0] += get_settings().caller_cache_seconds
    assert (await client.get(fund, headers=headers)).status_code == 404
