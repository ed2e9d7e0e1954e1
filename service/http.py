"""What every route shares: the caller, its scope, the problem responses it documents."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection
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


async def resolve_dependencies_in_order(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    """Litestar's ``KwargsModel.resolve_dependencies``, one dependency after another.

    Litestar resolves the dependencies of one level (a list route's ``caller`` and
    ``paging``) in an anyio task group: a task, a cancel scope and an event per request
    for two functions that do no I/O, about a tenth of a list page's server CPU (issue
    15). The only dependency here that awaits anything, ``access``, depends on ``caller``
    and so is on a level of its own: nothing ran concurrently that now runs in turn. A
    failing dependency raises its own error, as before (Litestar unwrapped the group)."""
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def install_dependencies_in_order() -> None:
    """Route handlers resolve their dependencies in order (once per process)."""
    KwargsModel.resolve_dependencies = resolve_dependencies_in_order  # type: ignore[method-assign]
