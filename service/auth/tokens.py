"""Signed bearer tokens (HS256 JWT with expiry) and loading the caller from one."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

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


# (The secret, a verified token's text) → what it decoded to. One per worker process:
# Litestar makes a middleware instance per route handler, so the cache cannot live on the
# middleware. Bounded by TOKEN_CACHE_MAX entries (emptied when full; about 1 KB each).
# Only tokens that verified are kept: a forged or malformed one costs its full check
# every time; an expired one is dropped when next presented.
_tokens: dict[tuple[str, str], Token] = {}
TOKEN_CACHE_MAX = 10_000
_wall_clock = time.time  # tests move it forward


def forget_tokens() -> None:
    """Empty this process's token cache (tests)."""
    _tokens.clear()


class CachingJWTMiddleware(JWTAuthenticationMiddleware):
    """Litestar's bearer middleware, with each token's signature and claims checked once
    per process instead of on every request (a fifth of a balance read's CPU was the HS256
    check and the claims' parsing of a token seen a moment before).

    What a token says cannot change after it is signed, so a token that verified is
    reused as it decoded; what can change is checked on every request as before: the
    clock (a token past its ``exp`` is refused, as PyJWT refuses it: expired once ``exp``
    is not after now; its ``iat``/``nbf`` were not after now when it verified, and time
    only moves on) and the account behind it (``retrieve_caller``: deactivation and a
    changed organisation within the caller cache's bound)."""

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        key = (self.token_secret, encoded_token)
        token = _tokens.get(key)
        if token is None or (self.verify_expiry and token.exp.timestamp() <= _wall_clock()):
            _tokens.pop(key, None)
            token = self.token_cls.decode(
                encoded_token=encoded_token,
                secret=self.token_secret,
                algorithm=self.algorithm,
                audience=self.token_audience,
                issuer=self.token_issuer,
                require_claims=self.require_claims,
                verify_exp=self.verify_expiry,
                verify_nbf=self.verify_not_before,
                strict_audience=self.strict_audience,
            )
            if len(_tokens) >= TOKEN_CACHE_MAX:
                _tokens.clear()
            _tokens[key] = token
        user = await self.retrieve_user_handler(token, connection)
        revoked = False
        if self.revoked_token_handler is not None:
            revoked = bool(await self.revoked_token_handler(token, connection))
        if not user or revoked:
            raise NotAuthorizedException()
        return AuthenticationResult(user=user, auth=token)


def build_jwt_auth() -> JWTAuth[Caller, Token]:
    settings = get_settings()
    return JWTAuth[Caller, Token](
        retrieve_user_handler=retrieve_caller,
        authentication_middleware_class=CachingJWTMiddleware,
        token_secret=settings.token_secret,
        default_token_expiration=timedelta(seconds=settings.token_ttl_seconds),
        # Anchored: an unanchored "/schema" would also skip auth on ".../schema" API paths.
        # Pages and static files opt out by ``public`` (pages sign in with a session
        # cookie instead, service.web.guard).
        exclude=["^/api/v1/auth/login$", "^/healthz$", "^/schema(/|$)"],
        exclude_opt_key="public",
        description="登录后获得的 Bearer 令牌",
    )
