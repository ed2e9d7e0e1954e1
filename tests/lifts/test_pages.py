"""The lift retrofit pages: who sees them, 404 outside scope like a missing project,
and the tally, the objections and every share with the same figures the API returns;
an owner sees their own share highlighted and on their household page."""

from __future__ import annotations

import html
import io
import re
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from litestar import Litestar
from openpyxl import load_workbook

from service.auth.sessions import SESSION_COOKIE, open_session
from tests.lifts.estate import Estate, Unit, close, consents, make_estate, make_unit, new_project
from tests.support import World, unique
from tests.web.support import browser, signed_in

# Passing: flat 0 (101) objects, 1-9 agree, 10 abstains, 11 says nothing (9 of 11).
PASSING = {0: "no", **dict.fromkeys(range(1, 10), "yes"), 10: "abstain"}
# Short: 0 and 1 object, 2-8 agree, 9 abstains (7 of 10 agree, below 3/4).
SHORT = {0: "no", 1: "no", **dict.fromkeys(range(2, 9), "yes"), 9: "abstain"}


async def browser_as(app: Litestar, client: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    """A browser signed in as the API user of ``headers`` (an estate's committee or a
    unit's owner)."""
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200, me.text
    page = await browser(app)
    page.cookies.set(SESSION_COOKIE, await open_session(uuid.UUID(me.json()["id"])))
    return page


def text_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def share_row(response: httpx.Response, household_id: str) -> str:
    found = re.search(rf'<tr id="share-{household_id}"[^>]*>(.*?)</tr>', response.text, re.S)
    assert found, household_id
    return found.group(0)


@pytest.fixture(scope="module")
async def estate(client: httpx.AsyncClient, world: World) -> Estate:
    return await make_estate(client, world)


@pytest.fixture(scope="module")
async def open_unit(client: httpx.AsyncClient, world: World, estate: Estate) -> Unit:
    return await make_unit(client, world, estate, owner_logins=(0, 5))


@pytest.fixture(scope="module")
async def open_project(
    client: httpx.AsyncClient, estate: Estate, open_unit: Unit
) -> dict[str, Any]:
    """Consent still open: the page shows the live count."""
    project = await new_project(client, estate.committee, open_unit, "300000.01")
    await consents(client, estate, project["id"], open_unit, SHORT)
    return project


@pytest.fixture(scope="module")
async def closed_unit(client: httpx.AsyncClient, world: World, estate: Estate) -> Unit:
    return await make_unit(client, world, estate, owner_logins=(5,))


@pytest.fixture(scope="module")
async def closed_project(
    client: httpx.AsyncClient, world: World, estate: Estate, closed_unit: Unit
) -> dict[str, Any]:
    """Consent reached and published; flat 5 paid part of its share directly."""
    project = await new_project(client, estate.committee, closed_unit, "280000.00")
    await consents(client, estate, project["id"], closed_unit, PASSING)
    assert (await close(client, world.h("bureau"), project["id"]))["approved"] is True
    paid = await client.post(
        f"/api/v1/lift-projects/{project['id']}/payments",
        json={"household_id": closed_unit.households[5], "amount": "1234.56", "method": "direct"},
        headers={**estate.committee, "Idempotency-Key": unique("lift-page-pay-")},
    )
    assert paid.status_code == 201, paid.text
    return project


async def test_the_committee_sees_the_live_tally_and_every_share_as_the_api_has_them(
    app: Litestar,
    client: httpx.AsyncClient,
    estate: Estate,
    open_unit: Unit,
    open_project: dict[str, Any],
) -> None:
    api = (
        await client.get(f"/api/v1/lift-projects/{open_project['id']}", headers=estate.committee)
    ).json()
    tally = (
        await client.get(
            f"/api/v1/lift-projects/{open_project['id']}/tally", headers=estate.committee
        )
    ).json()
    async with await browser_as(app, client, estate.committee) as page:
        listed = await page.get("/lift-projects")
        assert f'href="/lift-projects/{open_project["id"]}"' in listed.text
        assert 'href="/lift-projects">加装电梯</a>' in listed.text  # the layout's link
        home = await page.get(f"/communities/{estate.community}")
        assert f'href="/lift-projects?community_id={estate.community}"' in home.text
        filtered = await page.get(f"/lift-projects?community_id={estate.community}")
        assert f'href="/lift-projects/{open_project["id"]}"' in filtered.text
        response = await page.get(f"/lift-projects/{open_project['id']}")
    text = text_of(response)
    assert "业主表决" in text and "实时计票" in text
    assert api["estimated_cost"] == "300000.01" and f"{api['estimated_cost']} 元" in text
    assert f"{api['owners_cost']} 元" in text
    # The live count, the same numbers as the API's tally.
    for key in ("eligible_owners", "voted_owners", "yes_owners", "no_owners"):
        found = re.search(rf'id="{key.replace("_", "-")}">(\d+)<', response.text)
        assert found and int(found.group(1)) == tally[key], key
    assert re.search(rf'id="yes-area">{re.escape(tally["yes_area"])}<', response.text)
    assert re.search(rf'id="voted-area">{re.escape(tally["voted_area"])}<', response.text)
    assert (tally["voted_owners"], tally["yes_owners"], tally["no_owners"]) == (10, 7, 2)
    # Bars against art. 278: participation >= 2/3 (area, heads), consent >= 3/4 of them.
    assert text.count("≥ 2/3") >= 2 and text.count("≥ 3/4") >= 2
    assert "10 人 / 12 人" in text and "7 人 / 10 人" in text
    # 7 of 10 is below 3/4: the page says so, as the API does.
    assert tally["approved"] is False and "尚未通过" in text
    # The objection with its reason, the owner's name masked.
    assert "底层采光和通风受影响" in text and "张*明" in text and "李*国" in text
    # Every share: floor, area, coefficient and amount as the API has them; the
    # committee sees what each flat paid, has pending and owes.
    assert len(api["shares"]) == 12
    for share in api["shares"]:
        row = html.unescape(share_row(response, share["household_id"]))
        for key in ("room_no", "floor_area", "coefficient", "share", "paid", "outstanding"):
            assert str(share[key]) in row, (key, share)
        assert f'<td class="num">{share["floor"]}</td>' in row


async def test_bureau_and_auditor_read_the_page_a_contractor_is_refused(
    app: Litestar, client: httpx.AsyncClient, world: World, open_project: dict[str, Any]
) -> None:
    url = f"/lift-projects/{open_project['id']}"
    for who in ("bureau", "auditor"):
        async with await signed_in(app, client, world, who) as page:
            assert "业主表决" in text_of(await page.get(url)), who
            assert url in (await page.get("/lift-projects")).text, who
    async with await signed_in(app, client, world, "contractor") as page:
        refused = await page.get(url)
        assert refused.status_code == 403 and "无权" in refused.text
        assert (await page.get("/lift-projects")).status_code == 403


async def test_out_of_scope_is_the_same_404_page_as_a_missing_project_and_anonymous_signs_in(
    app: Litestar, client: httpx.AsyncClient, world: World, open_project: dict[str, Any]
) -> None:
    url = f"/lift-projects/{open_project['id']}"
    # Another community's committee, an owner of no flat in the unit.
    for who in ("committee", "owner1"):
        async with await signed_in(app, client, world, who) as page:
            other = await page.get(url)
            missing = await page.get(f"/lift-projects/{uuid.uuid4()}")
            assert other.status_code == missing.status_code == 404, who
            assert "text/html" in other.headers["content-type"]
            assert other.text == missing.text
            assert url not in (await page.get("/lift-projects")).text, who
            assert (await page.get("/lift-projects/not-an-id")).status_code == 404
    # Another community's committee filtering the list by this community.
    async with await signed_in(app, client, world, "committee") as page:
        other = await page.get(f"/lift-projects?community_id={open_project['community_id']}")
        assert other.status_code == 404
    async with await browser(app) as page:
        for target in (url, "/lift-projects"):
            response = await page.get(target)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login")


async def test_an_owner_sees_the_project_with_their_own_share_highlighted(
    app: Litestar,
    client: httpx.AsyncClient,
    open_unit: Unit,
    open_project: dict[str, Any],
) -> None:
    headers = open_unit.owner_h[5]
    api = (await client.get(f"/api/v1/lift-projects/{open_project['id']}", headers=headers)).json()
    mine = next(s for s in api["shares"] if s["household_id"] == open_unit.households[5])
    other = next(s for s in api["shares"] if s["household_id"] == open_unit.households[6])
    async with await browser_as(app, client, headers) as page:
        home = await page.get("/households")
        assert f'href="/lift-projects/{open_project["id"]}"' in home.text
        listed = await page.get("/lift-projects")
        assert f'href="/lift-projects/{open_project["id"]}"' in listed.text
        response = await page.get(f"/lift-projects/{open_project['id']}")
    text_of(response)
    own_row = share_row(response, open_unit.households[5])
    assert 'class="mine"' in own_row and "我的房屋" in own_row
    assert mine["share"] in own_row and mine["outstanding"] in own_row
    other_row = share_row(response, open_unit.households[6])
    assert 'class="mine"' not in other_row
    assert other["share"] in other_row
    assert other["paid"] is None and other_row.count("—") == 4  # no agreement, no figures


async def test_the_published_result_links_the_notice_and_the_household_page_shows_the_share(
    app: Litestar,
    client: httpx.AsyncClient,
    estate: Estate,
    closed_unit: Unit,
    closed_project: dict[str, Any],
) -> None:
    headers = closed_unit.owner_h[5]
    household = closed_unit.households[5]
    (lift,) = (await client.get(f"/api/v1/households/{household}/lift", headers=headers)).json()[
        "items"
    ]
    assert (lift["paid"], lift["pending"]) == ("1234.56", "0.00")
    async with await browser_as(app, client, headers) as page:
        response = await page.get(f"/lift-projects/{closed_project['id']}")
        text = text_of(response)
        assert "表决结果" in text and "通过" in text and "设计与审批" in text
        notice = f"/api/v1/lift-projects/{closed_project['id']}/notice.pdf"
        assert f'href="{notice}"' in response.text
        own_row = share_row(response, household)
        assert lift["share"] in own_row and "1234.56" in own_row
        assert lift["outstanding"] in own_row
        own = text_of(await page.get(f"/households/{household}"))
        assert "加装电梯分摊" in own and f"{lift['share']} 元" in own
        assert f"{lift['paid']} / {lift['pending']} / {lift['outstanding']} 元" in own
        assert (
            f"/lift-projects/{closed_project['id']}"
            in (await page.get(f"/households/{household}")).text
        )
    pdf = await client.get(notice, headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The committee reads the same share on the household's page.
    async with await browser_as(app, client, estate.committee) as page:
        assert "加装电梯分摊" in text_of(await page.get(f"/households/{household}"))


async def test_the_notice_has_an_excel_twin_with_the_same_figures_and_names_masked(
    client: httpx.AsyncClient,
    world: World,
    estate: Estate,
    closed_unit: Unit,
    closed_project: dict[str, Any],
    open_project: dict[str, Any],
) -> None:
    url = f"/api/v1/lift-projects/{closed_project['id']}"
    api = (await client.get(url, headers=estate.committee)).json()
    response = await client.get(f"{url}/notice.xlsx", headers=closed_unit.owner_h[5])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["公示概况", "表决结果", "反对意见", "分摊方案"]
    summary = {row[0]: row[1] for row in book["公示概况"].iter_rows(values_only=True) if row[0]}
    assert Decimal(str(summary["工程估算（元）"])) == Decimal(api["estimated_cost"])
    assert Decimal(str(summary["业主分摊合计（元）"])) == Decimal(api["owners_cost"])
    assert summary["表决结果"] == "同意加装电梯"
    votes = list(book["表决结果"].iter_rows(min_row=2, max_row=5, values_only=True))
    heads = {row[0]: row for row in votes}
    assert heads["参与表决（人数）"][1:3] == (11, 12)
    assert heads["同意（人数）"][1:3] == (9, 11) and heads["同意（人数）"][3] == "≥ 3/4"
    assert all(row[4] == "是" for row in votes)
    objections = list(book["反对意见"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert objections[0][2] == "张*明" and objections[0][3] == "底层采光和通风受影响"
    rows = list(book["分摊方案"].iter_rows(min_row=2, max_row=13, values_only=True))
    by_room = {row[0]: row for row in rows}
    for share in api["shares"]:
        row = by_room[share["room_no"]]
        assert row[1] == share["floor"]
        assert Decimal(str(row[3])) == Decimal(share["floor_area"])
        assert Decimal(str(row[4])) == Decimal(share["coefficient"])
        assert Decimal(str(row[5])) == Decimal(share["share"])
    total = next(r for r in book["分摊方案"].iter_rows(values_only=True) if r[0] == "合计")
    assert Decimal(str(total[5])) == Decimal(api["owners_cost"])
    cells = " ".join(
        str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r if v
    )
    for name, id_no in closed_unit.owners:
        assert name not in cells and id_no not in cells
    assert "13912345678" not in cells
    # Before the result is published: 409, as the PDF; outside scope: 404.
    early = await client.get(
        f"/api/v1/lift-projects/{open_project['id']}/notice.xlsx", headers=estate.committee
    )
    assert early.status_code == 409
    outside = await client.get(f"{url}/notice.xlsx", headers=world.h("committee"))
    assert outside.status_code == 404
