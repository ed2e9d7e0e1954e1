"""Login throttling (issue 11 item 5): by account and by client address, 429 with
Retry-After, bounded waits, audited, and the state shared by every worker through the
database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.audit.tables import AuditEntry
from service.auth import rules
from service.auth.tables import LoginFailure
from service.db import fetch
from tests.support import PASSWORD, World, add_user, unique

LOGIN = "/api/v1/auth/login"


@pytest.fixture
async def from_address(app: object) -> AsyncIterator[object]:
    """``from_address(ip)``: a client whose requests come from that address."""
    opened: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


async def new_user(client: httpx.AsyncClient, world: World) -> str:
    username = unique("thr-")
    await add_user(
        client, world.h("bureau"), username=username, role="auditor", org_id=world.ids["org_audit"]
    )
    return username


async def attempt(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(LOGIN, json={"username": username, "password": password})


async def test_the_sixth_wrong_password_from_one_address_waits_with_429_and_retry_after(
    client: httpx.AsyncClient, world: World, from_address: object
) -> None:
    username = await new_user(client, world)
    attacker = from_address("10.0.0.6")  # type: ignore[operator]
    free = rules.LIMITS["account_address"].free
    for _ in range(free):
        assert (await attempt(attacker, username, "wrong-password")).status_code == 401
    refused = await attempt(attacker, username, PASSWORD)  # even the right one must wait
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= rules.FIRST_WAIT.total_seconds()
    audited = await AuditEntry.select(AuditEntry.after).where(
        (AuditEntry.action == "auth.login_throttled") & (AuditEntry.entity_id == username)
    )
    assert audited, "a throttled attempt is audited"


async def test_the_real_user_at_another_address_is_not_locked_out(
    client: httpx.AsyncClient, world: World, from_address: object
) -> None:
    username = await new_user(client, world)
    attacker = from_address("10.0.0.7")  # type: ignore[operator]
    for _ in range(rules.LIMITS["account_address"].free + 2):
        await attempt(attacker, username, "wrong-password")
    assert (await attempt(attacker, username, PASSWORD)).status_code == 429
    owner = from_address("10.0.0.8")  # type: ignore[operator]
    assert (await attempt(owner, username, PASSWORD)).status_code == 200


async def test_the_wait_ends_once_it_has_passed(
    client: httpx.AsyncClient, world: World, from_address: object
) -> None:
    username = await new_user(client, world)
    caller = from_address("10.0.0.9")  # type: ignore[operator]
    for _ in range(rules.LIMITS["account_address"].free):
        await attempt(caller, username, "wrong-password")
    assert (await attempt(caller, username, PASSWORD)).status_code == 429
    # The failures age past the wait (as if the user waited), and the right password works.
    await fetch(
        "UPDATE login_failure SET at = {} WHERE key LIKE {}",
        datetime.now().astimezone() - timedelta(minutes=1),
        f"{username}%",
    )
    assert (await attempt(caller, username, PASSWORD)).status_code == 200
    assert not await LoginFailure.exists().where(LoginFailure.key == f"{username}|10.0.0.9"), (
        "a success forgets this address's failures of the account"
    )


async def test_one_address_spraying_many_accounts_is_throttled(
    client: httpx.AsyncClient, world: World, from_address: object, monkeypatch: object
) -> None:
    monkeypatch.setitem(  # type: ignore[attr-defined]
        rules.LIMITS, "address", rules.Limit(free=3, max_wait=timedelta(minutes=15))
    )
    sprayer = from_address("10.0.1.1")  # type: ignore[operator]
    for _ in range(3):
        assert (await attempt(sprayer, unique("nobody-"), "guess")).status_code == 401
    blocked = await attempt(sprayer, unique("nobody-"), "guess")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1


async def test_the_throttle_state_is_shared_by_workers_through_the_database(
    client: httpx.AsyncClient, world: World, database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second app (as another worker process would be) sees the first one's failures."""
    from service.app import create_app

    # A first wait long enough that a loaded machine cannot outlast it between the calls.
    monkeypatch.setattr(rules, "FIRST_WAIT", timedelta(minutes=5))

    username = await new_user(client, world)
    first = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=client._transport.app, client=("10.0.2.2", 1)),  # type: ignore[attr-defined]
        base_url="http://testserver",
    )
    second_app = create_app()
    second = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=second_app, client=("10.0.2.2", 2)),
        base_url="http://testserver",
    )
    async with first, second:
        for _ in range(rules.LIMITS["account_address"].free):
            assert (await attempt(first, username, "wrong-password")).status_code == 401
        assert (await attempt(second, username, PASSWORD)).status_code == 429


@given(failures=st.integers(min_value=0, max_value=10_000))
def test_no_wait_is_ever_longer_than_the_cap(failures: int) -> None:
    for limit in rules.LIMITS.values():
        wait = rules.wait_after(failures, limit)
        assert timedelta(0) <= wait <= limit.max_wait
        assert rules.wait_after(failures + 1, limit) >= wait


def test_up_to_the_free_failures_there_is_no_wait_and_then_it_doubles() -> None:
    limit = rules.Limit(free=5, max_wait=timedelta(minutes=15))
    assert rules.wait_after(4, limit) == timedelta(0)
    assert rules.wait_after(5, limit) == timedelta(seconds=2)
    assert rules.wait_after(6, limit) == timedelta(seconds=4)
    assert rules.wait_after(50, limit) == timedelta(minutes=15)


def test_retry_after_counts_from_the_last_failure_and_rounds_up() -> None:
    limit = rules.Limit(free=1, max_wait=timedelta(minutes=15))
    last = datetime(2026, 1, 1, 12, 0, 0).astimezone()
    assert rules.retry_after(1, last, last + timedelta(milliseconds=500), limit) == 2
    assert rules.retry_after(1, last, last + timedelta(seconds=2), limit) == 0
    assert rules.retry_after(0, None, last, limit) == 0
