"""A street office's users: the bureau names the areas the office covers; its users
record inspections of those areas and their communities (tasks routed to the office),
read their own inspections and the tasks given to the office, answer those tasks, and
nothing else (403 for a route never theirs, 404 outside their areas)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from service.audit.tables import AuditEntry
from service.auth.sessions import SESSION_COOKIE, open_session
from tests.standards.estate import API, fresh_area, inspect, organization
from tests.support import World, add_user, created, login, unique
from tests.web.support import browser


async def community_in(client: httpx.AsyncClient, world: World, area: str) -> str:
    tag = unique("ST")
    body = {
        "area_id": area,
        "name": f"{tag} 小区",
        "code": tag,
        "built_year": 1995,
        "deposit_rate_per_m2": "45.00",
    }
    made = await created(
        await client.post(f"{API}/communities", json=body, headers=world.h("bureau"))
    )
    return str(made["id"])


async def set_areas(
    client: httpx.AsyncClient, world: World, street: str, areas: list[str]
) -> httpx.Response:
    return await client.put(
        f"{API}/organizations/{street}/areas", json={"area_ids": areas}, headers=world.h("bureau")
    )


async def street_office(
    client: httpx.AsyncClient, world: World
) -> tuple[str, str, str, dict[str, str]]:
    """A street office covering a fresh area with one community (no property company):
    the office, the area, the community and its user's headers."""
    street = await organization(client, world, "street", "西工街道")
    area = await fresh_area(client, world)
    community = await community_in(client, world, area)
    answer = await set_areas(client, world, street, [area])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"org_id": street, "area_ids": [area]}
    username = unique("street-")
    await add_user(client, world.h("bureau"), username=username, role="street", org_id=street)
    return street, area, community, await login(client, username)


async def post_inspection(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"{API}/inspections", json=body, headers=headers)


async def test_a_street_user_inspects_its_area_and_its_communities_and_answers_its_tasks(
    client: httpx.AsyncClient, world: World
) -> None:
    street, area, community, headers = await street_office(client, world)
    me = (await client.get(f"{API}/auth/me", headers=headers)).json()
    assert (me["role"], me["org_id"]) == ("street", street)
    assert (await client.get(f"{API}/standards", headers=headers)).status_code == 200

    of_area = await created(
        await post_inspection(
            client,
            headers,
            {"area_id": area, "items": [{"code": "zheng_shopfront", "result": "not_met"}]},
        )
    )
    assert of_area["street_office_id"] == street
    [task] = of_area["tasks"]
    assert (task["responsible_kind"], task["responsible_org_id"]) == ("street", street)

    # A community with no property company: its items fall to the street office too.
    of_community = await created(
        await post_inspection(
            client,
            headers,
            {
                "community_id": community,
                "items": [
                    {"code": "you_fitness", "result": "not_met"},
                    {"code": "zheng_road", "result": "met"},
                ],
            },
        )
    )
    assert of_community["street_office_id"] == street
    assert [t["responsible_org_id"] for t in of_community["tasks"]] == [street]

    listed = (await client.get(f"{API}/inspections", headers=headers)).json()["items"]
    assert {i["id"] for i in listed} == {of_area["id"], of_community["id"]}
    tasks = (await client.get(f"{API}/rectifications", headers=headers)).json()["items"]
    assert {t["id"] for t in tasks} == {task["id"], of_community["tasks"][0]["id"]}

    answered = await client.post(
        f"{API}/rectifications/{task['id']}/transitions",
        json={"action": "answer", "note": "店招已重新规整"},
        headers=headers,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
    # Closing stays the bureau's.
    closing = await client.post(
        f"{API}/rectifications/{task['id']}/transitions",
        json={"action": "close"},
        headers=headers,
    )
    assert closing.status_code == 403, closing.text


async def test_a_street_user_is_refused_outside_its_areas(
    client: httpx.AsyncClient, world: World
) -> None:
    street, _area, community, headers = await street_office(client, world)
    items = [{"code": "you_fitness", "result": "not_met"}]
    outside = await post_inspection(
        client, headers, {"community_id": world.ids["CA"], "items": items}
    )
    assert outside.status_code == 404, outside.text
    other_area = await post_inspection(
        client,
        headers,
        {"area_id": world.ids["area"], "items": [{"code": "zheng_shopfront", "result": "met"}]},
    )
    assert other_area.status_code == 404, other_area.text
    # Another office's name on its inspection is refused.
    other = await organization(client, world, "street", "另一街道")
    borrowed = await post_inspection(
        client,
        headers,
        {"community_id": community, "items": items, "street_office_id": other},
    )
    assert borrowed.status_code == 422, borrowed.text

    # The bureau's inspection of CA and its task (routed to CA's company) are not its.
    bureau = await created(await inspect(client, world, {"community_id": world.ids["CA"]}, items))
    for path in (
        f"{API}/inspections/{bureau['id']}",
        f"{API}/rectifications/{bureau['tasks'][0]['id']}",
    ):
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 404, (path, answer.text)
    answer = await client.post(
        f"{API}/rectifications/{bureau['tasks'][0]['id']}/transitions",
        json={"action": "answer", "note": "已整改"},
        headers=headers,
    )
    assert answer.status_code == 404, answer.text

    # The bureau takes the area back: the office's community is out of its scope now.
    assert (await set_areas(client, world, street, [])).status_code == 200
    gone = await post_inspection(client, headers, {"community_id": community, "items": items})
    assert gone.status_code == 404, gone.text


async def test_a_street_user_cannot_call_the_bureaus_or_the_registrys_routes(
    client: httpx.AsyncClient, world: World
) -> None:
    street, area, community, headers = await street_office(client, world)
    item = {
        "code": "st_extra",
        "name": "额外项",
        "level": "area",
        "group": "own",
        "check": "现场",
        "fallback": "street",
    }
    refused = [
        await client.post(f"{API}/standards/items", json=item, headers=headers),
        await client.get(f"{API}/standards/matrix", headers=headers),
        await client.get(f"{API}/organizations/{street}/areas", headers=headers),
        await client.put(
            f"{API}/organizations/{street}/areas", json={"area_ids": [area]}, headers=headers
        ),
        await client.post(
            f"{API}/users",
            json={"username": unique("x-"), "password": "password123", "role": "street"},
            headers=headers,
        ),
        await client.get(f"{API}/communities", headers=headers),
        await client.get(f"{API}/communities/{community}", headers=headers),
        await client.get(f"{API}/organizations/{street}", headers=headers),
        await client.get(f"{API}/repairs", headers=headers),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]


async def test_the_bureau_names_a_street_offices_areas_audited_and_checked(
    client: httpx.AsyncClient, world: World
) -> None:
    street = await organization(client, world, "street", "道南街道")
    first, second = await fresh_area(client, world), await fresh_area(client, world)
    assert (await set_areas(client, world, street, [first])).status_code == 200
    both = await set_areas(client, world, street, [first, second])
    assert sorted(both.json()["area_ids"]) == sorted([first, second])
    read = await client.get(f"{API}/organizations/{street}/areas", headers=world.h("auditor"))
    assert sorted(read.json()["area_ids"]) == sorted([first, second])
    entries = await AuditEntry.select(AuditEntry.before, AuditEntry.after).where(
        (AuditEntry.action == "street_areas.set") & (AuditEntry.entity_id == street)
    )
    assert len(entries) == 2

    # Only a street office has areas; an unknown area is named.
    not_street = await set_areas(client, world, world.ids["org_company"], [first])
    assert not_street.status_code == 404, not_street.text
    unknown = await set_areas(client, world, street, [world.ids["CA"]])
    assert unknown.status_code == 422
    assert "area_ids" in unknown.text

    # A street user belongs to a street office, and a street office only has street users.
    wrong = await client.post(
        f"{API}/users",
        json={
            "username": unique("s-"),
            "password": "password123",
            "role": "street",
            "org_id": world.ids["org_company"],
        },
        headers=world.h("bureau"),
    )
    assert wrong.status_code == 422 and "org_id" in wrong.text
    company_user = await client.post(
        f"{API}/users",
        json={
            "username": unique("c-"),
            "password": "password123",
            "role": "company",
            "org_id": street,
        },
        headers=world.h("bureau"),
    )
    assert company_user.status_code == 422 and "org_id" in company_user.text


async def test_a_street_users_web_home_lists_its_inspections_and_tasks_only(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    _street, area, _community, headers = await street_office(client, world)
    body = {"area_id": area, "items": [{"code": "zheng_area_road", "result": "not_met"}]}
    await created(await post_inspection(client, headers, body))
    me = (await client.get(f"{API}/auth/me", headers=headers)).json()
    page = await browser(app)
    page.cookies.set(SESSION_COOKIE, await open_session(uuid.UUID(me["id"])))
    async with page:
        home = await page.get("/")
        assert home.status_code == 303
        assert home.headers["location"] == "/standards/street"
        mine = await page.get("/standards/street")
        assert mine.status_code == 200, mine.text
        assert "片区道路整洁" in mine.text and "整改中" in mine.text
        for path in ("/standards", "/communities", f"/communities/{world.ids['CA']}", "/repairs"):
            refused = await page.get(path)
            assert refused.status_code == 403, (path, refused.status_code)
