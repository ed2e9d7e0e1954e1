"""What every route shares: the caller, its scope, the problem responses it documents."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from service.auth.roles import Caller
from service.auth.scope import Scope, resolve_scope
from service.pagination import Paging


class Problem(msgspec.Struct):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


def problem_response(description: str) -> ResponseSpec:
    """An OpenAPI answer documented as problem+json."""
    return ResponseSpec(
        data_container=Problem,
        description=description,
        media_type="application/problem+json",
        generate_examples=False,
    )


PROBLEMS: dict[int, ResponseSpec] = {
    401: problem_response("未登录或令牌无效"),
    403: problem_response("当前角色无权调用"),
    404: problem_response("对象不存在或不在权限范围内"),
    409: problem_response("与现有数据冲突"),
    422: problem_response("输入有误，errors 列出每个字段"),
}


def provide_caller(request: Request[Any, Any, Any]) -> Caller:
    caller = request.user
    assert isinstance(caller, Caller)
    return caller


async def provide_scope(caller: NamedDependency[Caller]) -> Scope:
    return await resolve_scope(caller)


# Route parameters filled by the dependencies above (Litestar 3 wants them marked).
CallerDep = NamedDependency[Caller]
ScopeDep = NamedDependency[Scope]
PagingDep = NamedDependency[Paging]
