"""Rendering pages: the base layout's context, error pages, and small display helpers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from service.auth.roles import Caller
from service.errors import TITLES, _field_errors
from service.web.guard import BadFormToken, SignInRequired

ROLE_NAMES = {
    "bureau": "区住建局",
    "auditor": "审计局",
    "company": "物业服务企业",
    "committee": "业主委员会",
    "contractor": "施工单位",
    "owner": "业主",
}


def page(template: str, status_code: int = 200, **context: Any) -> Template:
    """A page of ``templates/pages/`` (the layout reads the caller and CSRF token from
    the request)."""
    return Template(template_name=f"pages/{template}", context=context, status_code=status_code)


def see_other(path: str) -> Redirect:
    """After a form: 303 to the page that shows the result (post/redirect/get)."""
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def caller_of(request: Request[Any, Any, Any]) -> Caller:
    caller = request.scope.get("user")
    assert isinstance(caller, Caller)
    return caller


def form_errors(exc: ValidationException) -> list[str]:
    """A validation failure as lines a person reads beside the form."""
    return [e["message"] for e in _field_errors(exc.extra)] or [str(exc.detail)]


def _error_page(status: int, detail: str) -> Template:
    return page(
        "error.html",
        status_code=status,
        status=status,
        title=TITLES.get(status, "错误"),
        detail=detail,
    )


def sign_in_first(request: Request[Any, Any, Any], _: SignInRequired) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET" or target == "/":
        return see_other("/login")
    return see_other(f"/login?next={quote(target, safe='')}")


def not_found(_: Request[Any, Any, Any], exc: NotFoundException) -> Template:
    detail = exc.detail if exc.detail and exc.detail != "Not Found" else "页面不存在。"
    return _error_page(404, detail)


def forbidden(_: Request[Any, Any, Any], exc: PermissionDeniedException) -> Template:
    detail = exc.detail if exc.detail and exc.detail != "Forbidden" else "无权执行此操作。"
    return _error_page(403, detail)


def bad_form(_: Request[Any, Any, Any], exc: BadFormToken) -> Template:
    return _error_page(403, str(exc.detail))


def invalid(_: Request[Any, Any, Any], exc: ValidationException) -> Template:
    return _error_page(422, "；".join(form_errors(exc)))


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Template:
    return _error_page(exc.status_code, str(exc.detail))


PAGE_EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    SignInRequired: sign_in_first,
    BadFormToken: bad_form,
    NotFoundException: not_found,
    PermissionDeniedException: forbidden,
    ValidationException: invalid,
    HTTPException: http_error,
}
