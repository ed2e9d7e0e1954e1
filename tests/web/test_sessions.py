"""Sign-in, sessions and CSRF of the pages (API.md "Web pages")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from service.auth import rules
from service.auth.sessions import SESSION_COOKIE
from service.auth.tables import WebSession
from tests.support import PASSWORD, World
from tests.web.support import CSRF, browser, csrf_of, signed_in


async def _username(client: httpx.AsyncClient, world: World, who: str) -> str:
    me = await client.get("/api/v1/auth/me", headers=world.h(who))
    return str(me.json()["username"])


async def test_sign_in_answers_303_to_home_with_an_httponly_lax_session_cookie(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    username = await _username(client, world, "committee")
    async with await browser(app) as page:
        token = await csrf_of(page, "/login")
        response = await page.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie  # plain http here; https sets it
        home = await page.get("/")
        assert home.status_code == 303
        assert home.headers["location"] == f"/communities/{world.ids['CA']}"


async def test_the_session_cookie_is_secure_over_https(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    username = await _username(client, world, "owner1")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as page:
        token = await csrf_of(page, "/login")
        response = await page.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]


async def test_a_wrong_password_shows_the_form_again_without_a_session(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    username = await _username(client, world, "auditor")
    async with await browser(app) as page:
        token = await csrf_of(page, "/login")
        response = await page.post(
            "/login", data={"username": username, "password": "wrong-one-1", "csrf_token": token}
        )
        assert response.status_code == 401
        assert "用户名或密码错误" in response.text
        assert SESSION_COOKIE not in response.cookies


async def test_sign_in_failures_are_throttled_even_for_the_right_password_next(
    app: Any, client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form and the API share one throttle: failures through the API count here."""
    monkeypatch.setattr(rules, "FIRST_WAIT", timedelta(minutes=5))
    username = await _username(client, world, "contractor")
    free = rules.LIMITS["account_address"].free
    async with await browser(app) as page:
        token = await csrf_of(page, "/login")
        for _ in range(free - 1):
            wrong = await page.post(
                "/login", data={"username": username, "password": "nope-nope", "csrf_token": token}
            )
            assert wrong.status_code == 401
        api = await client.post(
            "/api/v1/auth/login", json={"username": username, "password": "nope-nope"}
        )
        assert api.status_code == 401
        right = await page.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert right.status_code == 429
        assert int(right.headers["Retry-After"]) >= 1
        assert "登录失败次数过多" in right.text
        assert SESSION_COOKIE not in right.cookies


async def test_a_sign_in_post_without_the_form_token_is_refused(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    username = await _username(client, world, "company")
    async with await browser(app) as page:
        await page.get("/login")
        response = await page.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 403
        assert SESSION_COOKIE not in response.cookies


async def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    page = await signed_in(app, client, world, "committee")
    async with page:
        before = await WebSession.count()
        for data in ({}, {"csrf_token": "forged"}):
            refused = await page.post("/logout", data=data)
            assert refused.status_code == 403
            assert "表单已失效" in refused.text
        assert await WebSession.count() == before
        assert (await page.get(f"/communities/{world.ids['CA']}")).status_code == 200


async def test_logout_ends_the_session_for_good(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    page = await signed_in(app, client, world, "bureau")
    async with page:
        stolen = page.cookies[SESSION_COOKIE]
        token = await csrf_of(page, "/communities")
        response = await page.post("/logout", data={"csrf_token": token})
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
    async with await browser(app) as thief:
        thief.cookies.set(SESSION_COOKIE, stolen)
        assert (await thief.get("/communities")).status_code == 303


async def test_every_form_of_a_page_carries_the_csrf_token(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    page = await signed_in(app, client, world, "owner1")
    async with page:
        html = (await page.get("/repairs/new")).text
        forms = html.count("<form")
        assert forms >= 2  # the report form and the sign-out form
        assert len(CSRF.findall(html)) == forms
