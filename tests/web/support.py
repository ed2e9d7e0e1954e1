"""Signing test users in to the pages: a browser of their own over the session's app."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from service.auth.sessions import SESSION_COOKIE, open_session
from tests.support import World

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def browser(app: Any) -> httpx.AsyncClient:
    """A client with its own cookie jar (close it after use)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def signed_in(
    app: Any, client: httpx.AsyncClient, world: World, who: str
) -> httpx.AsyncClient:
    """A browser already signed in as ``who`` of the world (a session opened directly,
    without spending argon2 time on every test)."""
    me = await client.get("/api/v1/auth/me", headers=world.h(who))
    assert me.status_code == 200, me.text
    page = await browser(app)
    page.cookies.set(SESSION_COOKIE, await open_session(uuid.UUID(me.json()["id"])))
    return page


async def csrf_of(page: httpx.AsyncClient, path: str) -> str:
    """The CSRF token the forms of ``path`` carry."""
    response = await page.get(path)
    assert response.status_code == 200, response.text
    found = CSRF.search(response.text)
    assert found, "no CSRF token in the page"
    return found.group(1)
