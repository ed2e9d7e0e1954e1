"""Who may call each registry route, and what lies outside their scope (404, like a
missing object). Layout of the world: tests/support.py."""

from __future__ import annotations

import uuid

import httpx
import pytest

from service.auth.schemas import UserIn
from service.auth.service import create_user
from service.clock import now
from service.registry.tables import District, Organization
from tests.support import PASSWORD, World, login

ROLES = ("bureau", "auditor", "company", "committee", "contractor", "owner1")

# (path template, {role: expected status}); ids in {braces} come from world.ids.
READS: list[tuple[str, dict[str, int]]] = [
    ("/api/v1/areas", dict.fromkeys(ROLES, 200)),
    ("/api/v1/communities", dict.fromkeys(ROLES, 200)),
    ("/api/v1/communities/{CA}", dict.fromkeys(ROLES, 200)),
    (
        "/api/v1/communities/{CB}",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 404,
            "committee": 404,
            "contractor": 404,
            "owner1": 404,
        },
    ),
    ("/api/v1/communities/{CA}/buildings", dict.fromkeys(ROLES, 200)),
    (
        "/api/v1/communities/{CB}/buildings",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 404,
            "committee": 404,
            "contractor": 404,
            "owner1": 404,
        },
    ),
    (
        "/api/v1/communities/{CA}/households",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 200,
            "committee": 200,
            "contractor": 403,
            "owner1": 200,
        },
    ),
    (
        "/api/v1/communities/{CB}/households",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 404,
            "committee": 404,
            "contractor": 403,
            "owner1": 404,
        },
    ),
    (
        "/api/v1/households/{h1}",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 200,
            "committee": 200,
            "contractor": 403,
            "owner1": 200,
        },
    ),
    (
        "/api/v1/households/{h3}",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 200,
            "committee": 200,
            "contractor": 403,
            "owner1": 404,
        },
    ),
    (
        "/api/v1/households/{h4}",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 404,
            "committee": 404,
            "contractor": 403,
            "owner1": 404,
        },
    ),
    (
        "/api/v1/households/{h1}/owners",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 403,
            "committee": 200,
            "contractor": 403,
            "owner1": 403,
        },
    ),
    (
        "/api/v1/households/{h4}/owners",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 403,
            "committee": 404,
            "contractor": 403,
            "owner1": 403,
        },
    ),
    (
        "/api/v1/organizations",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 403,
            "committee": 403,
            "contractor": 403,
            "owner1": 403,
        },
    ),
    (
        "/api/v1/organizations/{org_company}",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 200,
            "committee": 404,
            "contractor": 404,
            "owner1": 404,
        },
    ),
    (
        "/api/v1/users",
        {
            "bureau": 200,
            "auditor": 403,
            "company": 403,
            "committee": 403,
            "contractor": 403,
            "owner1": 403,
        },
    ),
    (
        "/api/v1/audit",
        {
            "bureau": 200,
            "auditor": 200,
            "company": 403,
            "committee": 403,
            "contractor": 403,
            "owner1": 403,
        },
    ),
    ("/api/v1/auth/me", dict.fromkeys(ROLES, 200)),
]

WRITES = [
    "/api/v1/areas",
    "/api/v1/communities",
    "/api/v1/organizations",
    "/api/v1/users",
    "/api/v1/households",
    "/api/v1/communities/{CA}/buildings",
    "/api/v1/households/{h1}/transfer",
]


@pytest.mark.parametrize(("template", "expected"), READS, ids=[t for t, _ in READS])
async def test_each_role_reads_only_within_its_scope(
    client: httpx.AsyncClient, world: World, template: str, expected: dict[str, int]
) -> None:
    path = template.format(**world.ids)
    answers = {role: (await client.get(path, headers=world.h(role))).status_code for role in ROLES}
    assert answers == expected


@pytest.mark.parametrize("template", WRITES)
async def test_only_the_bureau_writes_the_registry(
    client: httpx.AsyncClient, world: World, template: str
) -> None:
    path = template.format(**world.ids)
    for role in ROLES[1:]:
        # The role check comes before the body is looked at: 403 even for an empty body.
        response = await client.post(path, json={}, headers=world.h(role))
        assert response.status_code == 403, (role, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_company_calling_post_areas_gets_403(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/api/v1/areas", json={"name": "新片区", "code": "X1"}, headers=world.h("company")
    )
    assert response.status_code == 403


async def test_owner_sees_only_own_households_in_a_community_list(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(
        f"/api/v1/communities/{world.ids['CA']}/households", headers=world.h("owner1")
    )
    assert sorted(h["id"] for h in response.json()["items"]) == sorted(
        [world.ids["h1"], world.ids["h2"]]
    )


async def test_a_malformed_id_answers_404_like_a_missing_one(
    client: httpx.AsyncClient, world: World
) -> None:
    for path in ("/api/v1/communities/not-a-uuid", f"/api/v1/communities/{uuid.uuid4()}"):
        response = await client.get(path, headers=world.h("bureau"))
        assert response.status_code == 404
        assert response.json()["status"] == 404


@pytest.fixture(scope="module")
async def other_district_bureau(client: httpx.AsyncClient) -> dict[str, str]:
    district = District(name="西工区", code=f"9{uuid.uuid4().hex[:9]}")
    await district.save()
    org = Organization(district=district.id, kind="bureau", name="西工区住建局", created_at=now())
    await org.save()
    username = f"xigong-{uuid.uuid4().hex[:6]}"
    await create_user(
        None,
        district.id,
        UserIn(username=username, password=PASSWORD, role="bureau", org_id=org.id),
    )
    return await login(client, username)


async def test_a_bureau_of_another_district_sees_nothing_of_this_one(
    client: httpx.AsyncClient, world: World, other_district_bureau: dict[str, str]
) -> None:
    for key in ("CA", "CB"):
        response = await client.get(
            f"/api/v1/communities/{world.ids[key]}", headers=other_district_bureau
        )
        assert response.status_code == 404
    response = await client.get(
        f"/api/v1/households/{world.ids['h1']}", headers=other_district_bureau
    )
    assert response.status_code == 404
    listed = await client.get("/api/v1/communities", headers=other_district_bureau)
    assert world.ids["CA"] not in {c["id"] for c in listed.json()["items"]}
