"""Signed bearer tokens (HS256 JWT with expiry) and loading the caller from one."""

from __future__ import annotations

import time
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
    """The active account behind a token, read from the database (one indexed
    statement); requests go through ``cached_caller``."""
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


# Account id → (monotonic time until which it may be reused, the caller). Per worker
# process; bounded by CALLER_CACHE_MAX entries (emptied when full).
_callers: dict[UUID, tuple[float, Caller]] = {}
CALLER_CACHE_MAX = 10_000
_clock = time.monotonic  # tests move it forward


async def cached_caller(user_id: UUID) -> Caller | None:
    """``load_caller`` reused for ``CHANGXIAO_CALLER_CACHE_SECONDS`` (5 s by default) in this
    process: a bearer request costs no database round trip to know its caller. A
    deactivated account or a changed organisation is seen at once in the process that
    changes it (``forget_caller``) and within that bound in every other one. Only active
    accounts are kept; an unknown or inactive one is read again on every request."""
    ttl = get_settings().caller_cache_seconds
    if ttl > 0:
        hit = _callers.get(user_id)
        if hit is not None and hit[0] > _clock():
            return hit[1]
    # The expiry counts from before the read: the row is never reused longer than ttl
    # after it was read.
    until = _clock() + ttl
    caller = await load_caller(user_id)
    if caller is None or ttl <= 0:
        _callers.pop(user_id, None)
    else:
        if len(_callers) >= CALLER_CACHE_MAX:
            _callers.clear()
        _callers[user_id] = (until, caller)
    return caller


def forget_caller(account_id: UUID) -> None:
    """Drop one account from this process's caller cache: call it after committing a
    change to the account (deactivation, organisation, role)."""
    _callers.pop(account_id, None)


def forget_callers() -> None:
    """Empty this process's caller cache (a change to an organisation's community, tests)."""
    _callers.clear()


async def retrieve_caller(token: Token, _: ASGIConnection[Any, Any, Any, Any]) -> Caller | None:
    try:
        user_id = UUID(token.sub)
    except ValueError:
        return None
    return await cached_caller(user_id)


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
