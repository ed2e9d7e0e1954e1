"""Every route declares who may call it, and the OpenAPI document lists its problems."""

from typing import Any

import httpx
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from service.auth.roles import ACCOUNT_ROLES

PROBLEM_CODES = {"401", "403", "404", "409", "422"}


def api_handlers(app: Litestar) -> list[tuple[str, HTTPRouteHandler]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            # Litestar adds an OPTIONS handler per path by itself; it reveals nothing.
            if isinstance(handler, HTTPRouteHandler) and handler.http_methods != {"OPTIONS"}:
                found.append((route.path, handler))
    return found


def test_every_api_route_declares_its_policy(app: Litestar) -> None:
    missing = []
    for path, handler in api_handlers(app):
        if not path.startswith("/api/"):
            continue
        roles = handler.opt.get("roles")
        public = handler.opt.get("public")
        if public:
            assert path == "/api/v1/auth/login", f"{path} is public but is not login"
            continue
        if not roles or not set(roles) <= ACCOUNT_ROLES:
            missing.append(f"{sorted(handler.http_methods)} {path}")
    assert not missing, f"routes without a declared policy: {missing}"


def test_there_are_api_routes_to_check(app: Litestar) -> None:
    assert len([p for p, _ in api_handlers(app) if p.startswith("/api/")]) >= 15


async def test_openapi_lists_problem_answers_for_every_operation(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    lacking = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = set(operation.get("responses", {}))
            if not codes >= PROBLEM_CODES or not any(c.startswith("2") for c in codes):
                lacking.append(f"{method.upper()} {path}: {sorted(codes)}")
    assert not lacking, lacking
