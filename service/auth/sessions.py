"""Browser sessions of the web pages: an opaque token in an HttpOnly cookie, a row per
signed-in browser, and the CSRF token every form of that session carries."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from uuid import UUID

from service.auth.roles import Caller
from service.auth.tables import WebSession
from service.auth.tokens import caller_of
from service.clock import now
from service.config import get_settings
from service.db import fetch, transaction

SESSION_COOKIE = "cx_session"
# Anonymous forms (sign-in, claim) carry this cookie's value as their CSRF token
# (double submit): a cross-site page can neither read the cookie nor set it.
FORM_COOKIE = "cx_form"

SESSION_SQL = (
    "SELECT s.csrf_token, a.id, a.username, a.role, a.district, a.organization, a.owner,"
    " o.community AS committee_community FROM web_session AS s"
    " JOIN account AS a ON a.id = s.account"
    " LEFT JOIN organization AS o ON o.id = a.organization"
    " WHERE s.token_digest = {} AND s.expires_at > {} AND a.active = {}"
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A random token for a cookie or a form (256 bits)."""
    return secrets.token_urlsafe(32)


def tokens_match(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


async def open_session(account_id: UUID) -> str:
    """Start a session for the account; the token goes into the cookie (only its
    digest is stored). The account's expired sessions are swept on the way."""
    token = new_token()
    moment = now()
    async with transaction():
        await WebSession.delete().where(
            (WebSession.account == account_id) & (WebSession.expires_at <= moment)
        )
        await WebSession.insert(
            WebSession(
                token_digest=_digest(token),
                account=account_id,
                csrf_token=new_token(),
                created_at=moment,
                expires_at=moment + timedelta(seconds=get_settings().token_ttl_seconds),
            )
        )
    return token


async def session_caller(token: str | None) -> tuple[Caller, str] | None:
    """The caller of a live session and its CSRF token, or None (one statement)."""
    if not token:
        return None
    rows = await fetch(SESSION_SQL, _digest(token), now(), True)
    if not rows:
        return None
    return caller_of(rows[0]), str(rows[0]["csrf_token"])


async def close_session(token: str | None) -> None:
    """Sign the browser out: its session row goes (a stolen cookie stops working)."""
    if token:
        async with transaction():
            await WebSession.delete().where(WebSession.token_digest == _digest(token))
