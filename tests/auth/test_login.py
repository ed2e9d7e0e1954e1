"""Login, tokens and what an unauthenticated caller gets."""

from datetime import UTC, datetime, timedelta

import httpx
import jwt

from service.config import get_settings
from tests.support import PASSWORD, World


async def test_login_returns_a_bearer_token_and_the_user(
    client: httpx.AsyncClient, world: World
) -> None:
    me = await client.get("/api/v1/auth/me", headers=world.h("committee"))
    username = me.json()["username"]
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    assert body["user"]["role"] == "committee"
    assert body["user"]["org_id"] == world.ids["org_committee"]


async def test_unknown_user_and_wrong_password_get_the_same_401(
    client: httpx.AsyncClient, world: World
) -> None:
    me = await client.get("/api/v1/auth/me", headers=world.h("bureau"))
    wrong = await client.post(
        "/api/v1/auth/login",
        json={"username": me.json()["username"], "password": "not-the-password"},
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"username": "nobody-at-all", "password": "not-the-password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["content-type"].startswith("application/problem+json")


async def test_routes_without_a_token_answer_401(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/communities", "/api/v1/areas", "/api/v1/auth/me"):
        response = await client.get(path)
        assert response.status_code == 401, path
        assert response.json()["title"]


async def test_an_expired_or_forged_token_answers_401(
    client: httpx.AsyncClient, world: World
) -> None:
    me = (await client.get("/api/v1/auth/me", headers=world.h("bureau"))).json()
    past = datetime.now(UTC) - timedelta(hours=1)
    expired = jwt.encode(
        {"sub": me["id"], "exp": past, "iat": past - timedelta(hours=1)},
        get_settings().token_secret,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"sub": me["id"], "exp": datetime.now(UTC) + timedelta(hours=1)},
        "another-secret" * 4,
        algorithm="HS256",
    )
    for token in (expired, forged, "not-a-jwt"):
        response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


async def test_healthz_answers_without_login_once_the_database_is_reachable(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_landing_page_sends_a_visitor_to_sign_in_in_chinese(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    page = await client.get("/login")
    assert page.status_code == 200
    assert "长效" in page.text and "登录" in page.text and "认领账号" in page.text


async def test_usernames_are_case_insensitive(client: httpx.AsyncClient, world: World) -> None:
    me = (await client.get("/api/v1/auth/me", headers=world.h("committee"))).json()
    response = await client.post(
        "/api/v1/auth/login", json={"username": me["username"].upper(), "password": PASSWORD}
    )
    assert response.status_code == 200
    clash = await client.post(
        "/api/v1/users",
        json={
            "username": me["username"].upper(),
            "password": PASSWORD,
            "role": "committee",
            "org_id": world.ids["org_committee"],
        },
        headers=world.h("bureau"),
    )
    assert clash.status_code == 409


async def test_api_paths_containing_schema_still_require_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/households/schema")
    assert response.status_code == 401
