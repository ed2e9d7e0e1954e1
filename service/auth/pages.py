"""Sign-in, sign-out and claiming an owner's login: the pages' way in (API.md "Web pages")."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromQuery
from litestar.response import Template

from service.auth.claims import ClaimIn, claim_login
from service.auth.roles import ACCOUNT_ROLES, allow
from service.auth.sessions import (
    FORM_COOKIE,
    SESSION_COOKIE,
    close_session,
    new_token,
    open_session,
)
from service.auth.throttle import (
    LoginThrottled,
    TooManyTries,
    authenticate_throttled,
)
from service.config import get_settings
from service.registry.tables import Building, Community
from service.web.guard import ANONYMOUS
from service.web.render import form_errors, page, see_other


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//host`` or a scheme)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _cookie_options(request: Request[Any, Any, Any]) -> dict[str, Any]:
    # Secure when served over https (uvicorn honours X-Forwarded-Proto from its proxy).
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": request.url.scheme == "https",
        "path": "/",
    }


def anonymous_form(request: Request[Any, Any, Any], template: str, **context: Any) -> Template:
    """A form for a visitor not signed in: its CSRF token is the form cookie's value
    (double submit), set here when the browser has none yet."""
    token = request.cookies.get(FORM_COOKIE) or new_token()
    response = page(template, form_token=token, **context)
    if request.cookies.get(FORM_COOKIE) != token:
        response.set_cookie(FORM_COOKIE, token, **_cookie_options(request))
    return response


@get("/login", opt=ANONYMOUS, include_in_schema=False)
async def login_form(
    request: Request[Any, Any, Any], next: FromQuery[str | None] = None
) -> Template:
    """登录页。"""
    return anonymous_form(request, "login.html", next=_safe_next(next), errors=[], username="")


@post("/login", opt=ANONYMOUS, include_in_schema=False)
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    """Form fields ``username``, ``password``, ``csrf_token`` → 303 to ``/`` (or the page
    the visitor wanted) with an HttpOnly session cookie. Failures are throttled by the
    same counter as the API's login (``authenticate_throttled``): 429 with Retry-After."""
    form = await request.form()
    username = str(form.get("username") or "").strip().lower()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or "/"))
    try:
        row = await authenticate_throttled(username, password, _client(request))
    except LoginThrottled as exc:
        errors = [str(exc.detail)]
        response = anonymous_form(
            request, "login.html", next=target, errors=errors, username=username
        )
        response.status_code = 429
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if row is None:
        response = anonymous_form(
            request, "login.html", next=target, errors=["用户名或密码错误。"], username=username
        )
        response.status_code = 401
        return response
    token = await open_session(UUID(str(row["id"])))
    redirect = see_other(target)
    redirect.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=get_settings().token_ttl_seconds,
        **_cookie_options(request),
    )
    return redirect


@post("/logout", opt=allow(*ACCOUNT_ROLES), include_in_schema=False)
async def logout(request: Request[Any, Any, Any]) -> Response[Any]:
    """退出登录：删除会话，浏览器的 cookie 随之作废。"""
    await close_session(request.cookies.get(SESSION_COOKIE))
    redirect = see_other("/login")
    redirect.delete_cookie(SESSION_COOKIE, path="/")
    return redirect


async def _claim_context(community_id: str | None) -> dict[str, Any]:
    communities = await Community.select(Community.id, Community.name, Community.code).order_by(
        Community.code
    )
    chosen = next((c for c in communities if str(c["id"]) == community_id), None)
    return {"communities": communities, "buildings": await _buildings(chosen), "chosen": chosen}


async def _buildings(community: dict[str, Any] | None) -> list[dict[str, Any]]:
    if community is None:
        return []
    rows: list[dict[str, Any]] = await Building.select(Building.id, Building.name).where(
        Building.community == community["id"]
    )
    return sorted(rows, key=lambda r: (len(r["name"]), r["name"]))


@get("/claim", opt=ANONYMOUS, include_in_schema=False)
async def claim_form(
    request: Request[Any, Any, Any], community_id: FromQuery[str | None] = None
) -> Template:
    """业主认领账号：身份证号 + 选择房屋 + 认领码。"""
    context = await _claim_context(community_id)
    return anonymous_form(request, "claim.html", errors=[], values={}, **context)


@get("/claim/buildings", opt=ANONYMOUS, include_in_schema=False)
async def claim_buildings(community_id: FromQuery[str | None] = None) -> Template:
    """The building picker of the claim form for one community (htmx)."""
    context = await _claim_context(community_id)
    return page("_building_options.html", buildings=context["buildings"])


@post("/claim", opt=ANONYMOUS, include_in_schema=False)
async def claim(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    values = {
        k: str(form.get(k) or "")
        for k in ("id_no", "community_id", "building_id", "unit_no", "room_no", "code", "username")
    }
    errors: list[str] = []
    try:
        community_id, building_id = UUID(values["community_id"]), UUID(values["building_id"])
    except ValueError:
        errors = ["请选择小区和楼栋。"]
    if not errors:
        data = ClaimIn(
            id_no=values["id_no"],
            community_id=community_id,
            building_id=building_id,
            unit_no=values["unit_no"],
            room_no=values["room_no"],
            code=values["code"],
            username=values["username"],
            password=str(form.get("password") or ""),
        )
        try:
            claimed = await claim_login(data, _client(request))
        except ValidationException as exc:
            errors = form_errors(exc)
        except TooManyTries as exc:
            errors = [str(exc.detail)]
        else:
            return page("claimed.html", claimed=claimed)
    context = await _claim_context(values["community_id"])
    response = anonymous_form(request, "claim.html", errors=errors, values=values, **context)
    response.status_code = 422
    return response


PAGE_HANDLERS = [login_form, login, logout, claim_form, claim_buildings, claim]
