"""The authorization matrix, generated from the route table: every API route that takes
an object id, asked by two tenants of every role for a foreign object (the other
tenant's) and for a missing one. A denied answer must be the same whether the object
exists or not (status and body): nothing about another tenant's objects leaks, and no
answer is a server error. Routes added later are walked the same way; their id
parameters find foreign objects in ``tests/auth/tenants.py`` (``Side.ids``) by name.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.auth.tenants import ROLES, Tenants, build_tenants
from tests.support import World

PARAM = re.compile(r"\{(\w+):\w+\}")


@dataclass(frozen=True)
class RouteCase:
    method: str
    path: str  # with {name:type} placeholders
    roles: frozenset[str]

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    def fill(self, ids: dict[str, str]) -> str:
        return PARAM.sub(lambda m: ids.get(m.group(1), str(uuid.uuid4())), self.path)


def routes_with_ids(app: Any) -> list[RouteCase]:
    cases = []
    for route in app.routes:
        if not route.path.startswith("/api/") or "{" not in route.path:
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method in ("OPTIONS", "HEAD"):
                    continue
                roles = handler.opt.get("roles") or frozenset()
                cases.append(RouteCase(method, route.path, frozenset(roles)))
    return sorted(cases, key=lambda c: (c.path, c.method))


@pytest.fixture(scope="module")
async def tenants(client: httpx.AsyncClient, world: World) -> Tenants:
    return await build_tenants(client, world)


async def ask(
    client: httpx.AsyncClient, case: RouteCase, path: str, headers: dict[str, str]
) -> httpx.Response:
    if case.method == "GET":
        return await client.get(path, headers=headers)
    return await client.request(
        case.method,
        path,
        json={},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )


UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def shape(response: httpx.Response) -> tuple[int, str]:
    """What a denied answer shows: its status and its body, with the id the caller sent
    (echoed in a message about the path) blotted out."""
    return response.status_code, UUID_TEXT.sub("<id>", response.text)


def test_the_route_table_has_routes_with_object_ids(app: Any) -> None:
    cases = routes_with_ids(app)
    assert len(cases) >= 50, len(cases)
    assert all(case.roles for case in cases), [c for c in cases if not c.roles]


async def test_foreign_and_missing_objects_get_the_same_answer_on_every_route(
    app: Any, client: httpx.AsyncClient, tenants: Tenants
) -> None:
    leaks: list[str] = []
    asked = 0
    for case in routes_with_ids(app):
        for role in ROLES:
            for tenant in ("A", "B"):
                headers = tenants.headers[(role, tenant)]
                foreign_ids = tenants.foreign_side(role, tenant).ids
                missing = await ask(client, case, case.fill({}), headers)
                foreign = await ask(client, case, case.fill(foreign_ids), headers)
                asked += 2
                where = f"{case.method} {case.path} as {role}/{tenant}"
                for answer in (missing, foreign):
                    if answer.status_code >= 500:
                        leaks.append(f"{where}: {answer.status_code} {answer.text[:200]}")
                if role not in case.roles:
                    if (missing.status_code, foreign.status_code) != (403, 403):
                        leaks.append(
                            f"{where}: a role never allowed must get 403, got"
                            f" {missing.status_code}/{foreign.status_code}"
                        )
                    continue
                if shape(missing) != shape(foreign):
                    leaks.append(f"{where}: missing {shape(missing)} but foreign {shape(foreign)}")
                elif foreign.status_code < 400:
                    leaks.append(f"{where}: a foreign object answered {foreign.status_code}")
    assert asked > 1000
    assert not leaks, "\n".join(leaks[:40])


def test_every_id_parameter_has_foreign_objects_to_try(app: Any) -> None:
    """An id parameter the tenants do not know is only tried with missing ids; list them
    here so a new kind of object gets its foreign ids in tests/auth/tenants.py."""
    known = {
        "community_id",
        "building_id",
        "household_id",
        "org_id",
        "company_id",
        "contract_id",
        "decision_id",
        "work_id",
        "entry_id",
        "ticket_id",
        "use_id",
        "override_id",
        "inspection_id",
        "task_id",
        "complaint_id",
    }
    # Path parameters that name no object (a date is the same for every tenant).
    not_objects = {"day"}
    known |= {
        "period_id",
        "rating_id",
        "appeal_id",
        "subsidy_id",
        "scheme_id",
        "attachment_id",
        "project_id",
        "notice_id",
    }
    # Kinds whose two-tenant fixtures are still to be written (see the README).
    pending: set[str] = set()
    names = {p for case in routes_with_ids(app) for p in case.params}
    unknown = names - known - pending - not_objects
    assert unknown == set(), unknown
