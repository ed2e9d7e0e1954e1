"""The bearer middleware's token cache (service.auth.tokens.CachingJWTMiddleware): a token's
signature and claims are checked once per process, and what can change still counts on
every request: the clock (an expired token is refused) and the account (deactivation, see
test_caller_cache.py, which sends the same token again after the change)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from litestar.security.jwt import Token

from service.auth import tokens
from service.config import get_settings
from tests.support import World, add_user, login, unique


def _claims(headers: dict[str, str]) -> dict[str, Any]:
    payload = headers["Authorization"].split(" ", 1)[1].split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


@pytest.fixture
def move_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Set the wall clock to a moment, for PyJWT's checks and for the cache's alike (no
    token is signed after: PyJWT's signing would see the stand-in class)."""
    real_time = tokens._wall_clock

    def move(moment: float) -> None:
        offset = moment - real_time()

        class MovedDatetime(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.now(tz) + timedelta(seconds=offset)

        monkeypatch.setattr(jwt.api_jwt, "datetime", MovedDatetime)
        monkeypatch.setattr(tokens, "_wall_clock", lambda: real_time() + offset)

    return move


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every full check of a token (signature and claims) the middleware makes."""
    seen: list[str] = []
    original = Token.decode.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Token], encoded_token: str, *args: Any, **kwargs: Any) -> Token:
        seen.append(encoded_token)
        token: Token = original(cls, encoded_token, *args, **kwargs)
        return token

    monkeypatch.setattr(Token, "decode", classmethod(counting))
    return seen


async def _user(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    username = unique("token-cache-")
    await add_user(
        client,
        world.h("bureau"),
        username=username,
        role="company",
        org_id=world.ids["org_company"],
    )
    return await login(client, username)


async def test_a_token_is_checked_once_then_reused_on_every_route(
    client: httpx.AsyncClient, world: World, decodes: list[str]
) -> None:
    """Once per process, not once per route: Litestar makes a middleware per route
    handler, and the cache is the process's."""
    headers = await _user(client, world)
    token = headers["Authorization"].split(" ", 1)[1]
    paths = ("/api/v1/auth/me", "/api/v1/communities", f"/api/v1/households/{world.ids['h1']}/fund")
    for path in paths * 2:
        assert (await client.get(path, headers=headers)).status_code in (200, 404)
    assert decodes.count(token) == 1


async def test_a_cached_token_is_refused_once_it_expires(
    client: httpx.AsyncClient, world: World, move_clock: Callable[[float], None]
) -> None:
    headers = await _user(client, world)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    expires = _claims(headers)["exp"]
    assert expires - datetime.now(UTC).timestamp() <= get_settings().token_ttl_seconds
    # One second before its exp the cached token still serves; at its exp it does not
    # (PyJWT's rule: expired once exp is not after now), and it stays refused.
    move_clock(expires - 1)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    move_clock(expires)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_a_token_like_a_cached_one_is_checked_in_full(
    client: httpx.AsyncClient, world: World, decodes: list[str]
) -> None:
    headers = await _user(client, world)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    token = headers["Authorization"].split(" ", 1)[1]
    claims = _claims(headers)
    head, body, signature = token.split(".")
    # Its signature altered; the same claims signed with another secret; another account's
    # id under the cached token's signature: each is refused, each time.
    altered = f"{head}.{body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    other_secret = jwt.encode(claims, "not-the-service-secret-" + "x" * 32, algorithm="HS256")
    other_body = (
        base64.urlsafe_b64encode(json.dumps({**claims, "sub": str(uuid.uuid4())}).encode())
        .rstrip(b"=")
        .decode()
    )
    swapped = f"{head}.{other_body}.{signature}"
    for forged in (altered, other_secret, swapped):
        for _ in range(2):
            answer = await client.get(
                "/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}
            )
            assert answer.status_code == 401
    assert len([t for t in decodes if t in (altered, other_secret, swapped)]) == 6
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200


async def test_the_cache_is_bounded(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch, decodes: list[str]
) -> None:
    sessions = [await _user(client, world) for _ in range(3)]
    monkeypatch.setattr(tokens, "TOKEN_CACHE_MAX", 2)
    tokens.forget_tokens()
    for headers in sessions:
        assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    # The third token emptied the full cache: the first is checked again, the third is not.
    first, third = (s["Authorization"].split(" ", 1)[1] for s in (sessions[0], sessions[2]))
    assert (await client.get("/api/v1/auth/me", headers=sessions[0])).status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=sessions[2])).status_code == 200
    assert decodes.count(first) == 2
    assert decodes.count(third) == 1
