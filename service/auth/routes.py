"""Login, the current user, and user administration (API.md "Authentication")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody
from litestar.security.jwt import JWTAuth, Token
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from service.auth import service
from service.auth.roles import ACCOUNT_ROLES, BUREAU, OWNER, PUBLIC, Caller, allow
from service.auth.schemas import LoginIn, LoginOut, UserIn, UserOut
from service.auth.tables import Account
from service.auth.throttle import THROTTLED, authenticate_throttled
from service.config import get_settings
from service.http import PROBLEMS, CallerDep, PagingDep
from service.pagination import Page, fetch_page


async def users_out(rows: list[dict[str, Any]]) -> list[UserOut]:
    owners = [r["owner"] for r in rows if r["role"] == OWNER and r["owner"] is not None]
    households = await service.household_ids_of(owners)
    return [
        UserOut(
            id=row["id"],
            username=row["username"],
            role=row["role"],
            org_id=row["organization"],
            household_ids=households.get(row["owner"], []) if row["role"] == OWNER else None,
        )
        for row in rows
    ]


async def user_out(row: dict[str, Any]) -> UserOut:
    return (await users_out([row]))[0]


class AuthController(Controller):
    path = "/auth"
    tags = ["认证"]

    @post(
        "/login",
        opt=PUBLIC,
        responses={**PROBLEMS, 429: THROTTLED},
        status_code=HTTP_200_OK,
        security=[],
    )
    async def login(self, request: Request[Any, Any, Any], data: JSONBody[LoginIn]) -> LoginOut:
        """用户名和密码换取 Bearer 令牌；用户名不存在与密码错误答复相同。
        连续失败过多时答复 429 并在 Retry-After 中给出等待秒数。"""
        address = request.client.host if request.client else "unknown"
        row = await authenticate_throttled(data.username, data.password, address)
        if row is None:
            raise NotAuthorizedException("用户名或密码错误。")
        jwt_auth: JWTAuth[Caller, Token] = request.app.state.jwt_auth
        ttl = get_settings().token_ttl_seconds
        token = jwt_auth.create_token(
            identifier=str(row["id"]),
            token_expiration=timedelta(seconds=ttl),
            token_extras={"role": row["role"]},
        )
        return LoginOut(
            access_token=token, token_type="bearer", expires_in=ttl, user=await user_out(row)
        )

    @get("/me", opt=allow(*ACCOUNT_ROLES), responses=PROBLEMS)
    async def me(self, caller: CallerDep) -> UserOut:
        """当前登录用户。"""
        row = await Account.select().where(Account.id == caller.id).first()
        assert row is not None
        return await user_out(row)


class UserController(Controller):
    path = "/users"
    tags = ["认证"]

    @post("/", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(self, caller: CallerDep, data: JSONBody[UserIn]) -> UserOut:
        """创建用户：业主给出 household_ids，其他角色给出 org_id。"""
        account = await service.create_user(caller, caller.district_id, data)
        return await user_out(account.to_dict())

    @get("/", opt=allow(BUREAU), responses=PROBLEMS)
    async def list_all(self, caller: CallerDep, paging: PagingDep) -> Page[UserOut]:
        """本区全部用户。"""
        query = Account.select().where(Account.district == caller.district_id)
        rows, cursor = await fetch_page(query, Account.id, paging)
        return Page(items=await users_out(rows), next_cursor=cursor)


ROUTE_HANDLERS = [AuthController, UserController]
