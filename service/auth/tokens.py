"""Signed bearer tokens (HS256 JWT with expiry) and loading the caller from one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from service.auth.roles import Caller
from service.config import get_settings
from service.db import fetch

CALLER_SQL = (
    "SELECT a.id, a.username, a.role, a.district, a.organization, a.owner,"
    " o.community AS committee_community FROM account AS a"
    " LEFT JOIN organization AS o ON o.id = a.organization"
    " WHERE a.id = {} AND a.active = {}"
)


async def load_caller(user_id: UUID) -> Caller | None:
    """The active account behind a token, read on every request (a deactivated account
    loses access at once); one indexed statement."""
    rows = await fetch(CALLER_SQL, user_id, True)
    return caller_of(rows[0]) if rows else None


def caller_of(row: dict[str, Any]) -> Caller:
    """The caller from an account row joined with its organisation (``CALLER_SQL``'s
    columns)."""
    return Caller(
        id=row["id"],
        username=row["username"],
        role=row["role"],
        district_id=row["district"],
        org_id=row["organization"],
        owner_id=row["owner"],
        committee_community_id=row["committee_community"],
    )


async def retrieve_caller(token: Token, _: ASGIConnection[Any, Any, Any, Any]) -> Caller | None:
    try:
        user_id = UUID(token.sub)
    except ValueError:
        return None
    return await load_caller(user_id)


def build_jwt_auth() -> JWTAuth[Caller, Token]:
    settings = get_settings()
    return JWTAuth[Caller, Token](
        retrieve_user_handler=retrieve_caller,
        token_secret=settings.token_secret,
        default_token_expiration=timedelta(seconds=settings.token_ttl_seconds),
        # Anchored: an unanchored "/schema" would also skip auth on ".../schema" API paths.
        # Pages and static files opt out by ``public`` (pages sign in with a session
        # cookie instead, service.web.guard).
        exclude=["^/api/v1/auth/login$", "^/healthz$", "^/schema(/|$)"],
        exclude_opt_key="public",
        description="登录后获得的 Bearer 令牌",
    )
