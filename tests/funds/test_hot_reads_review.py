"""Adversarial review of the one-statement hot reads (issue 15 goal 1): every way a caller
might reach money or households outside its scope, checked against explicit expectations
and what ``GET /households/{id}`` and ``GET /communities/{id}`` answer for the same caller
(one statement each too since; tests/funds/test_hot_reads_scope_layer.py holds them to the
Scope layer's answers).

Reads under test: ``/households/{id}/fund``, ``/households/{id}/fund/entries``,
``/communities/{id}/fund``, ``/buildings/{id}/fund``, ``/communities/{id}/households``,
``/communities``.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from service.auth.service import deactivate_account
from service.auth.tokens import forget_caller
from service.clock import now
from service.contracts.tables import Contract
from service.pagination import encode_cursor
from service.registry.tables import District, Organization
from service.warranty.tables import Work
from tests.auth.tenants import _community_with_building
from tests.funds.conftest import Estate, deposit, make_estate
from tests.support import (
    PASSWORD,
    World,
    add_household,
    add_user,
    created,
    login,
    make_id_no,
    unique,
)

API = "/api/v1"


async def get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
    return await client.get(f"{API}{path}", headers=headers)


def money_reads(estate: Estate, household: str | None = None) -> list[str]:
    h = household or estate.households[0]
    return [
        f"/households/{h}/fund",
        f"/households/{h}/fund/entries",
        f"/communities/{estate.community}/fund",
        f"/buildings/{estate.building}/fund",
        f"/communities/{estate.community}/households",
    ]


async def funded_estate(client: httpx.AsyncClient, world: World) -> Estate:
    estate = await make_estate(client, world, areas=("80.00", "60.00"))
    await deposit(client, world, estate.households[0], "3600.00")
    await deposit(client, world, estate.households[1], "2700.00")
    return estate


async def org(client: httpx.AsyncClient, bureau: dict[str, str], kind: str, **extra: Any) -> str:
    body = {"kind": kind, "name": unique(f"{kind} "), **extra}
    return str(
        (await created(await client.post(f"{API}/organizations", json=body, headers=bureau)))["id"]
    )


async def user(
    client: httpx.AsyncClient, bureau: dict[str, str], role: str, **body: Any
) -> tuple[str, dict[str, str]]:
    name = unique(f"{role}-rv-")
    user_id = await add_user(client, bureau, username=name, role=role, **body)
    return user_id, await login(client, name, PASSWORD)


async def contract(world: World, community: str, company: str, status: str, starts: date) -> None:
    await Contract.insert(
        Contract(
            district=world.district_id,
            community=uuid.UUID(community),
            company=uuid.UUID(company),
            mode="market",
            status=status,
            starts_on=starts,
            # in hand-over: no last day until a successor starts (contracts.service.advance)
            ends_on=None if status == "handover" else date(2029, 12, 31),
            handover_since=starts if status == "handover" else None,
            created_at=now(),
        )
    )


async def listed_communities(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    items: dict[str, Any] = {}
    cursor = None
    while True:
        page = (
            await get(
                client, "/communities?limit=500" + (f"&cursor={cursor}" if cursor else ""), headers
            )
        ).json()
        items.update({c["id"]: c for c in page["items"]})
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def assert_hidden(
    client: httpx.AsyncClient, estate: Estate, headers: dict[str, str], household: str | None = None
) -> None:
    """Every money read 404 with the missing object's body, and the community unlisted."""
    missing = (await get(client, f"/households/{uuid.uuid4()}/fund", headers)).json()
    for path in money_reads(estate, household):
        response = await get(client, path, headers)
        assert response.status_code == 404, (path, response.text)
        assert set(response.json()) == set(missing), path
        assert "balance" not in response.text and "principal" not in response.text
    assert estate.community not in await listed_communities(client, headers)


async def test_an_owner_after_selling_the_flat_sees_nothing_of_it(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    estate = await funded_estate(client, world)
    h0 = estate.households[0]
    _, seller = await user(client, bureau, "owner", household_ids=[h0])
    for path in money_reads(estate):
        assert (await get(client, path, seller)).status_code == 200, path
    sold = await client.post(
        f"{API}/households/{h0}/transfer",
        json={"owner_name": "买家", "owner_id_no": make_id_no(7301), "since": "2026-03-01"},
        headers=bureau,
    )
    assert sold.status_code == 201, sold.text
    assert (await get(client, f"/households/{h0}", seller)).status_code == 404
    await assert_hidden(client, estate, seller)
    _, buyer = await user(client, bureau, "owner", household_ids=[h0])
    for path in money_reads(estate):
        assert (await get(client, path, buyer)).status_code == 200, path
    # The buyer sees the statement lines of the account, the seller's included (unchanged).
    lines = (await get(client, f"/households/{h0}/fund/entries", buyer)).json()["items"]
    assert [line["amount"] for line in lines] == ["3600.00"]
    households = (await get(client, f"/communities/{estate.community}/households", buyer)).json()
    assert [h["id"] for h in households["items"]] == [h0]
    listed = await listed_communities(client, buyer)
    assert listed[estate.community]["households"] == 1
    assert listed[estate.community]["floor_area"] == "80.00"


async def test_an_owner_never_reaches_the_neighbours_flat(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    estate = await funded_estate(client, world)
    h0, h1 = estate.households
    _, owner = await user(client, bureau, "owner", household_ids=[h0])
    bureau_view = (await get(client, f"/households/{h1}/fund", bureau)).json()
    assert bureau_view["balance"] == "2700.00"
    for path in (f"/households/{h1}/fund", f"/households/{h1}/fund/entries"):
        response = await get(client, path, owner)
        assert response.status_code == 404, path
        assert "2700" not in response.text
    # Nor with a cursor, nor through the building filter.
    for cursor in (encode_cursor(0), "eHl6", encode_cursor(10**6)):
        response = await get(client, f"/households/{h1}/fund/entries?cursor={cursor}", owner)
        assert response.status_code == 404, cursor
    listed = await get(
        client, f"/communities/{estate.community}/households?building_id={estate.building}", owner
    )
    assert [h["id"] for h in listed.json()["items"]] == [h0]
    # The world's owner1 (CA) sees neither flat.
    await assert_hidden(client, estate, world.h("owner1"))


async def test_companies_by_contract_status_follow_the_scope_layer(
    client: httpx.AsyncClient, world: World
) -> None:
    """live and handover (the old company until the successor starts) see; draft (a
    successor not started) and ended do not."""
    bureau = world.h("bureau")
    estate = await funded_estate(client, world)
    headers: dict[str, dict[str, str]] = {}
    for status in ("live", "handover", "draft", "ended"):
        company = await org(client, bureau, "company")
        await contract(world, estate.community, company, status, date(2024, 1, 1))
        _, headers[status] = await user(client, bureau, "company", org_id=company)
    truth = {path: (await get(client, path, bureau)).json() for path in money_reads(estate)}
    for status, h in headers.items():
        reference = (await get(client, f"/communities/{estate.community}", h)).status_code
        if status in ("live", "handover"):
            assert reference == 200
            for path in money_reads(estate):
                response = await get(client, path, h)
                assert response.status_code == 200, (status, path)
                assert response.json() == truth[path], (status, path)
            assert estate.community in await listed_communities(client, h)
        else:
            assert reference == 404
            await assert_hidden(client, estate, h)
    # The company's other (world) community is out of reach for the estate's companies.
    world_household = world.ids["h1"]
    for status in ("live", "handover"):
        response = await get(client, f"/households/{world_household}/fund", headers[status])
        assert response.status_code == 404


async def test_committees_contractors_and_other_districts_are_kept_out(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    estate = await funded_estate(client, world)
    # The committee of another community (the world's CA).
    await assert_hidden(client, estate, world.h("committee"))
    # Its own committee sees the community, and not the world's CA from the estate.
    committee = await org(client, bureau, "committee", community_id=estate.community)
    _, own = await user(client, bureau, "committee", org_id=committee)
    for path in money_reads(estate):
        assert (await get(client, path, own)).status_code == 200, path
    for path in (
        f"/communities/{world.ids['CA']}/fund",
        f"/buildings/{world.ids['CA-1']}/fund",
        f"/households/{world.ids['h1']}/fund",
        f"/households/{world.ids['h1']}/fund/entries",
        f"/communities/{world.ids['CA']}/households",
    ):
        assert (await get(client, path, own)).status_code == 404, path
    assert set(await listed_communities(client, own)) == {estate.community}
    # A contractor with a work in the estate: listed (with the households' totals) but
    # refused the money reads.
    contractor = await org(client, bureau, "contractor")
    await Work.insert(
        Work(
            district=world.district_id,
            community=uuid.UUID(estate.community),
            contractor=uuid.UUID(contractor),
            title="外墙修缮",
            accepted_on=date(2025, 6, 30),
            created_at=now(),
        )
    )
    _, builder = await user(client, bureau, "contractor", org_id=contractor)
    listed = await listed_communities(client, builder)
    assert set(listed) == {estate.community}
    assert (
        listed[estate.community]
        == (await get(client, f"/communities/{estate.community}", builder)).json()
    )
    assert listed[estate.community]["households"] == 2
    for path in money_reads(estate):
        assert (await get(client, path, builder)).status_code == 403, path
    # A street office: refused (403) on every read under test.
    street = await org(client, bureau, "street")
    await client.put(
        f"{API}/organizations/{street}/areas",
        json={"area_ids": [world.ids["area"]]},
        headers=bureau,
    )
    _, office = await user(client, bureau, "street", org_id=street)
    for path in [*money_reads(estate), "/communities"]:
        assert (await get(client, path, office)).status_code == 403, path
    # Another district's bureau and auditor.
    district = District(name="第三区", code=unique("D3"))
    await District.insert(district)
    bureau_org = Organization(
        district=district.id, kind="bureau", name="第三区住建局", created_at=now()
    )
    await Organization.insert(bureau_org)
    from service.auth.schemas import UserIn
    from service.auth.service import create_user

    name = unique("bureau-d3-")
    await create_user(
        None,
        district.id,
        UserIn(username=name, password=PASSWORD, role="bureau", org_id=bureau_org.id),
    )
    bureau3 = await login(client, name)
    audit3 = await org(client, bureau3, "audit")
    _, auditor3 = await user(client, bureau3, "auditor", org_id=audit3)
    area = await created(
        await client.post(
            f"{API}/areas", json={"name": "北区", "code": unique("D3A")}, headers=bureau3
        )
    )
    community3, building3 = await _community_with_building(
        client, bureau3, area["id"], "第三区小区"
    )
    household3 = await add_household(
        client, bureau3, building3["id"], "101", "80.00", ("吴刚", make_id_no(7302))
    )
    for h in (bureau3, auditor3):
        await assert_hidden(client, estate, h)
        assert set(await listed_communities(client, h)) == {community3["id"]}
    for path in (
        f"/households/{household3}/fund",
        f"/households/{household3}/fund/entries",
        f"/communities/{community3['id']}/fund",
        f"/buildings/{building3['id']}/fund",
        f"/communities/{community3['id']}/households",
    ):
        for h in (bureau, world.h("auditor")):
            assert (await get(client, path, h)).status_code == 404, path
        assert (await get(client, path, auditor3)).status_code == 200, path
    # Filtering by another district's area or another community's building finds nothing.
    response = await get(client, f"/communities?area_id={area['id']}", bureau)
    assert response.json() == {"items": [], "next_cursor": None}
    response = await get(
        client, f"/communities/{estate.community}/households?building_id={building3['id']}", bureau
    )
    assert response.json() == {"items": [], "next_cursor": None}


async def test_ids_of_another_kind_malformed_or_spelt_differently(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    estate = await funded_estate(client, world)
    h0 = estate.households[0]
    entry = (await get(client, f"/households/{h0}/fund/entries", bureau)).json()["items"][0]
    others = [estate.community, estate.building, entry["entry_id"], world.ids["org_company"]]
    for wrong in others:
        for template in ("/households/{}/fund", "/households/{}/fund/entries"):
            assert (await get(client, template.format(wrong), bureau)).status_code == 404
    for wrong in [h0, estate.building, entry["entry_id"]]:
        for template in ("/communities/{}/fund", "/communities/{}/households"):
            assert (await get(client, template.format(wrong), bureau)).status_code == 404
    for wrong in [h0, estate.community]:
        assert (await get(client, f"/buildings/{wrong}/fund", bureau)).status_code == 404
    # Uppercase, braces, urn and bare hex name the same object, for insiders only.
    for path in money_reads(estate):
        truth = (await get(client, path, bureau)).json()
        for spelt in (str.upper, lambda s: "{" + s + "}", lambda s: s.replace("-", "")):
            alias = path
            for ident in (h0, estate.community, estate.building):
                alias = alias.replace(ident, spelt(ident))
            response = await get(client, alias, bureau)
            assert response.status_code == 200, alias
            assert response.json() == truth, alias
            assert (await get(client, alias, world.h("committee"))).status_code == 404, alias
    # Malformed and injection attempts: not found, never an error or a leak.
    for bad in (
        "abc",
        "' OR '1'='1",
        f"{h0}' OR '1'='1",
        "1 OR 1=1",
        "0",
        "%27%20OR%201%3D1--",
        "x" * 300,
        f"{h0}x",
    ):
        for template in (
            "/households/{}/fund",
            "/households/{}/fund/entries",
            "/communities/{}/fund",
            "/buildings/{}/fund",
            "/communities/{}/households",
        ):
            response = await get(client, template.format(bad), bureau)
            assert response.status_code == 404, (template, bad, response.text)
    for param in ("building_id", "area_id"):
        path = (
            f"/communities/{estate.community}/households"
            if param == "building_id"
            else "/communities"
        )
        response = await get(client, f"{path}?{param}=' OR '1'='1", bureau)
        assert response.status_code == 422, (param, response.text)


async def test_cursors_and_limits_at_the_edges(client: httpx.AsyncClient, world: World) -> None:
    bureau = world.h("bureau")
    estate = await funded_estate(client, world)
    h0, h1 = estate.households
    _, owner = await user(client, bureau, "owner", household_ids=[h0])
    theirs = (await get(client, f"/households/{h1}/fund/entries", bureau)).json()["items"]
    mine = (await get(client, f"/households/{h0}/fund/entries", owner)).json()["items"]
    # A cursor forged at any journal position only pages the named household's own lines.
    for seq in (0, theirs[0]["seq"] - 1, theirs[0]["seq"], mine[0]["seq"] - 1):
        page = (
            await get(client, f"/households/{h0}/fund/entries?cursor={encode_cursor(seq)}", owner)
        ).json()
        assert {e["entry_id"] for e in page["items"]} <= {e["entry_id"] for e in mine}
    # Household list: a cursor naming a household of another community starts after it,
    # within this community only.
    path = f"/communities/{estate.community}/households"
    page = (await get(client, f"{path}?cursor={encode_cursor(world.ids['h4'])}", bureau)).json()
    assert {h["community_id"] for h in page["items"]} <= {estate.community}
    page = (await get(client, f"{path}?cursor={encode_cursor(uuid.UUID(int=0))}", owner)).json()
    assert [h["id"] for h in page["items"]] == [h0]
    # Limits: 1 and 500 fine; 0 and 501 refused.
    for read in (path, f"/households/{h0}/fund/entries", "/communities"):
        for limit, status in ((1, 200), (500, 200), (0, 422), (501, 422), (-1, 422)):
            response = await get(client, f"{read}?limit={limit}", bureau)
            assert response.status_code == status, (read, limit, response.text)
    # Malformed communities-list cursor: 422.
    assert (await get(client, "/communities?cursor=eHl6", owner)).status_code == 422


@pytest.mark.parametrize(
    "position",
    [
        pytest.param("9" * 25, id="beyond-bigint"),
        pytest.param("²", id="superscript-digit"),
    ],
)
async def test_an_entries_cursor_that_is_not_a_journal_position_is_refused_not_a_500(
    client: httpx.AsyncClient, world: World, position: str
) -> None:
    bureau = world.h("bureau")
    estate = await make_estate(client, world, areas=("80.00",))
    h0 = estate.households[0]
    cursor = encode_cursor(position)
    visible = await get(client, f"/households/{h0}/fund/entries?cursor={cursor}", bureau)
    hidden = await get(client, f"/households/{h0}/fund/entries?cursor={cursor}", world.h("owner1"))
    assert (visible.status_code, hidden.status_code) == (422, 404)


async def test_a_deactivated_account_is_refused_every_hot_read(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    estate = await funded_estate(client, world)
    user_id, owner = await user(client, bureau, "owner", household_ids=[estate.households[0]])
    for path in [*money_reads(estate), "/communities"]:
        assert (await get(client, path, owner)).status_code == 200, path
    await deactivate_account(None, uuid.UUID(user_id))
    forget_caller(uuid.UUID(user_id))
    for path in [*money_reads(estate), "/communities"]:
        response = await get(client, path, owner)
        assert response.status_code == 401, (path, response.status_code)


async def test_an_owner_of_flats_in_two_communities_sees_each_with_only_its_own_flats(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    first = await funded_estate(client, world)
    second = await funded_estate(client, world)
    _, owner = await user(client, bureau, "owner", household_ids=[first.households[0]])
    me = (await get(client, "/auth/me", owner)).json()
    from service.auth.tables import Account
    from service.registry.tables import Household

    account = await Account.select(Account.owner).where(Account.id == uuid.UUID(me["id"])).first()
    assert account is not None
    # The owner also buys the second estate's second flat.
    await Household.update({Household.owner: account["owner"]}).where(
        Household.id == uuid.UUID(second.households[1])
    )
    listed = await listed_communities(client, owner)
    assert set(listed) == {first.community, second.community}
    assert (listed[first.community]["households"], listed[first.community]["floor_area"]) == (
        1,
        "80.00",
    )
    assert (listed[second.community]["households"], listed[second.community]["floor_area"]) == (
        1,
        "60.00",
    )
    for estate, mine, theirs in (
        (first, first.households[0], first.households[1]),
        (second, second.households[1], second.households[0]),
    ):
        page = (await get(client, f"/communities/{estate.community}/households", owner)).json()
        assert [h["id"] for h in page["items"]] == [mine]
        assert (await get(client, f"/households/{mine}/fund", owner)).status_code == 200
        assert (await get(client, f"/households/{theirs}/fund", owner)).status_code == 404
        assert (await get(client, f"/households/{theirs}/fund/entries", owner)).status_code == 404


async def test_the_old_company_leaves_scope_when_the_successor_has_started(
    client: httpx.AsyncClient, world: World
) -> None:
    bureau = world.h("bureau")
    estate = await funded_estate(client, world)
    old, new = await org(client, bureau, "company"), await org(client, bureau, "company")
    # Service ended the day before the successor started.
    await handover_contract(world, estate.community, old, date(2025, 12, 31))
    await contract(world, estate.community, new, "live", date(2026, 1, 1))
    _, old_company = await user(client, bureau, "company", org_id=old)
    _, new_company = await user(client, bureau, "company", org_id=new)
    for path in money_reads(estate):
        assert (await get(client, path, new_company)).status_code == 200, path
    await assert_hidden(client, estate, old_company)


async def handover_contract(world: World, community: str, company: str, ends_on: date) -> None:
    """``company``'s contract of ``community``, in hand-over since 2025, its service ending
    on ``ends_on`` (the day before its successor's start)."""
    await Contract.insert(
        Contract(
            district=world.district_id,
            community=uuid.UUID(community),
            company=uuid.UUID(company),
            mode="market",
            status="handover",
            starts_on=date(2022, 1, 1),
            ends_on=ends_on,
            handover_since=date(2025, 1, 1),
            end_reason="succeeded",
            created_at=now(),
        )
    )


@pytest.mark.parametrize(("last_day", "visible"), [(0, True), (-1, False)], ids=["on", "after"])
async def test_the_old_company_serves_to_its_last_day_and_not_a_day_longer(
    client: httpx.AsyncClient, world: World, last_day: int, visible: bool
) -> None:
    """The boundary of "until the successor's contract starts": on the last day of service
    (the day before the successor's start) the old company still sees the fund; the day
    after, it does not."""
    from service.clock import today

    bureau = world.h("bureau")
    estate = await funded_estate(client, world)
    old = await org(client, bureau, "company")
    ends_on = today() + timedelta(days=last_day)
    await handover_contract(world, estate.community, old, ends_on)
    _, old_company = await user(client, bureau, "company", org_id=old)
    if visible:
        for path in money_reads(estate):
            assert (await get(client, path, old_company)).status_code == 200, path
    else:
        await assert_hidden(client, estate, old_company)


async def test_the_communities_list_counts_a_street_offices_households_like_the_scope_layer(
    client: httpx.AsyncClient, world: World
) -> None:
    from service.auth.scope import resolve_scope
    from service.auth.tokens import load_caller
    from service.pagination import Paging
    from service.registry import reads, routes

    bureau = world.h("bureau")
    street = await org(client, bureau, "street")
    response = await client.put(
        f"{API}/organizations/{street}/areas",
        json={"area_ids": [world.ids["area"]]},
        headers=bureau,
    )
    assert response.status_code == 200, response.text
    user_id, _ = await user(client, bureau, "street", org_id=street)
    caller = await load_caller(uuid.UUID(user_id))
    assert caller is not None
    rows, _ = await reads.communities_in_scope(caller, Paging(limit=500, after=None))
    listed = {str(r["id"]): routes.community_out(r) for r in rows}
    scope = await resolve_scope(caller)
    from service.registry.tables import Community

    reference_rows = await Community.select().where(
        Community.id.is_in([uuid.UUID(i) for i in listed])
    )
    reference = {str(c.id): c for c in await routes.communities_out(reference_rows, scope)}
    assert reference[world.ids["CA"]].households >= 3  # the world's h1-h3 at least
    for community, item in listed.items():
        assert item == reference[community], community
