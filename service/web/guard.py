"""The pages' one guard: who is signed in (session cookie), whether the page's declared
roles admit them, and whether a form carries its CSRF token.

Every page route declares ``opt=allow(...)`` like an API route, or ``opt=ANONYMOUS`` for
the few pages a visitor uses before signing in (sign-in, claiming a login).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from service.auth.sessions import FORM_COOKIE, SESSION_COOKIE, session_caller, tokens_match

ANONYMOUS: dict[str, Any] = {"anonymous": True}
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequired(NotAuthorizedException):
    """No live session: the visitor is sent to the sign-in page."""


class BadFormToken(PermissionDeniedException):
    """A form posted without the token of this browser's session (CSRF)."""


async def _form_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    request: Request[Any, Any, Any] = Request(connection.scope, connection.receive)
    # The parsed form is cached on the connection: the handler reads it again for free.
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def page_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Sign-in, role and CSRF check of every page (a coroutine: no thread hop)."""
    unsafe = connection.scope.get("method") in UNSAFE_METHODS
    if handler.opt.get("anonymous"):
        if unsafe and not tokens_match(
            await _form_token(connection), connection.cookies.get(FORM_COOKIE)
        ):
            raise BadFormToken("表单已失效，请刷新页面后重新提交。")
        return
    session = await session_caller(connection.cookies.get(SESSION_COOKIE))
    if session is None:
        raise SignInRequired("请先登录。")
    caller, csrf = session
    connection.scope["user"] = caller
    # The layout puts it into every form (templates/pages/base.html).
    connection.scope.setdefault("state", {})["csrf_token"] = csrf
    roles = handler.opt.get("roles")
    if not roles or caller.role not in roles:
        raise PermissionDeniedException("当前角色无权查看此页面。")
    if unsafe and not tokens_match(await _form_token(connection), csrf):
        raise BadFormToken("表单已失效，请刷新页面后重新提交。")
