"""What the committee and owners do on the pages, against the same services as the API."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest

from service.fund_uses.tables import FundBallot, FundNoticeServed
from tests.support import World, created
from tests.web.support import csrf_of, signed_in

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
async def vote(client: httpx.AsyncClient, world: World) -> str:
    """A vote on the three households of CA (owners p1 with two flats, and p2)."""
    use = await created(
        await client.post(
            "/api/v1/fund-uses",
            json={
                "community_id": world.ids["CA"],
                "title": "楼道照明更换",
                "description": "更换声控灯",
                "estimated_cost": "3000.00",
                "building_ids": [world.ids["CA-1"]],
                "component": "other",
            },
            headers=world.h("committee"),
        )
    )
    return str(use["id"])


def _yes_owners(html: str) -> int:
    found = re.search(r'id="yes-owners">(\d+)<', html)
    assert found
    return int(found.group(1))


def _served(html: str) -> int:
    found = re.search(r'id="served">(\d+)<', html)
    assert found
    return int(found.group(1))


async def test_an_owner_opening_the_vote_is_served_once_and_the_committee_sees_it(
    app: Any, client: httpx.AsyncClient, world: World, vote: str
) -> None:
    committee = await signed_in(app, client, world, "committee")
    owner = await signed_in(app, client, world, "owner2")
    async with committee, owner:
        before = _served((await committee.get(f"/fund-uses/{vote}")).text)
        for _ in range(2):
            page = await owner.get(f"/fund-uses/{vote}")
            assert page.status_code == 200
        assert await FundNoticeServed.count().where(FundNoticeServed.fund_use == vote) == before + 1
        assert _served((await committee.get(f"/fund-uses/{vote}")).text) == before + 1


async def test_an_owner_casts_one_ballot_for_both_flats_and_the_tally_counts_one_owner(
    app: Any, client: httpx.AsyncClient, world: World, vote: str
) -> None:
    owner = await signed_in(app, client, world, "owner1")
    async with owner:
        page = await owner.get(f"/fund-uses/{vote}")
        assert "决定什么" in page.text and "表决截止" in page.text
        before = _yes_owners(page.text)
        token = await csrf_of(owner, f"/fund-uses/{vote}")
        response = await owner.post(
            f"/fund-uses/{vote}/ballots",
            data={
                "csrf_token": token,
                f"choice-{world.ids['h1']}": "yes",
                f"choice-{world.ids['h2']}": "yes",
            },
        )
        assert response.status_code == 303
        after = await owner.get(response.headers["location"])
        assert _yes_owners(after.text) == before + 1
        assert "选票已记录" in after.text
        # A flat not the owner's is out of its scope: no ballot for h3.
        refused = await owner.post(
            f"/fund-uses/{vote}/ballots",
            data={"csrf_token": token, f"choice-{world.ids['h3']}": "no"},
        )
        assert refused.status_code == 404
    assert not await FundBallot.exists().where(
        (FundBallot.fund_use == vote) & (FundBallot.household == world.ids["h3"])
    )


async def test_the_committee_records_a_paper_ballot(
    app: Any, client: httpx.AsyncClient, world: World, vote: str
) -> None:
    committee = await signed_in(app, client, world, "committee")
    async with committee:
        token = await csrf_of(committee, f"/fund-uses/{vote}")
        response = await committee.post(
            f"/fund-uses/{vote}/ballots",
            data={"csrf_token": token, "household_id": world.ids["h3"], "choice": "no"},
        )
        assert response.status_code == 303
        page = await committee.get(f"/fund-uses/{vote}")
        assert "反对（纸质）" in page.text
        # The bars are drawn against the rule's thresholds.
        assert "须 ≥ 2/3" in page.text and "须 &gt; 1/2" in page.text


async def test_an_owner_reports_a_repair_with_a_photo_and_sees_who_pays(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    owner = await signed_in(app, client, world, "owner1")
    async with owner:
        token = await csrf_of(owner, "/repairs/new")
        response = await owner.post(
            "/repairs",
            data={
                "csrf_token": token,
                "where": f"building:{world.ids['h1']}",
                "category": "roofing",
                "description": "顶层屋面漏水",
                "urgency": "normal",
            },
            files={"photos": ("leak.png", PNG, "image/png")},
        )
        assert response.status_code == 303, response.text
        ticket = await owner.get(response.headers["location"])
        assert "报修已提交" in ticket.text
        assert "为什么" in ticket.text
        photo_url = re.search(r'<img src="([^"]+)"', ticket.text)
        assert photo_url
        photo = await owner.get(photo_url.group(1))
        assert photo.status_code == 200
        assert photo.headers["content-type"] == "image/png"
        assert photo.content == PNG
        # Another owner cannot fetch it.
    other = await signed_in(app, client, world, "owner2")
    async with other:
        assert (await other.get(photo_url.group(1))).status_code == 404


async def test_a_photo_that_is_not_an_image_is_refused_with_the_form(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    owner = await signed_in(app, client, world, "owner1")
    async with owner:
        token = await csrf_of(owner, "/repairs/new")
        response = await owner.post(
            "/repairs",
            data={
                "csrf_token": token,
                "where": f"flat:{world.ids['h1']}",
                "category": "plumbing",
                "description": "漏水",
            },
            files={"photos": ("leak.png", b"not an image", "image/png")},
        )
        assert response.status_code == 422
        assert "JPEG 或 PNG" in response.text


async def test_the_committee_downloads_the_yearly_statement_pdf(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    committee = await signed_in(app, client, world, "committee")
    async with committee:
        response = await committee.get(
            f"/communities/{world.ids['CA']}/fund/statement.pdf?year=2026"
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.content.startswith(b"%PDF")


async def test_the_committee_home_shows_the_fund_the_chart_data_and_the_chain_check(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    committee = await signed_in(app, client, world, "committee")
    async with committee:
        page = await committee.get(f"/communities/{world.ids['CA']}")
        fund = await client.get(
            f"/api/v1/communities/{world.ids['CA']}/fund", headers=world.h("committee")
        )
        assert f'id="balance">{fund.json()["balance"]}<' in page.text
        assert fund.json()["chain_head"] in page.text
        series = re.search(r'id="balance-series">(.*?)</script>', page.text)
        assert series and series.group(1).count('"month"') == 24
        check = await committee.get(f"/communities/{world.ids['CA']}/fund/verify")
        assert "核验通过" in check.text


async def test_swagger_ui_is_served_without_any_outside_address(client: httpx.AsyncClient) -> None:
    page = await client.get("/schema/swagger")
    assert page.status_code == 200
    assert "https://" not in page.text and "http://" not in page.text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        answer = await client.get(asset)
        assert answer.status_code == 200, asset


async def test_a_ballot_form_is_cast_whole_or_not_at_all(
    app: Any, client: httpx.AsyncClient, world: World, vote: str
) -> None:
    """The owner's own flat and a flat not theirs in one form: 404, and the own flat's
    ballot is not changed either."""

    def mine() -> Any:
        return (
            FundBallot.select(FundBallot.choice)
            .where((FundBallot.fund_use == vote) & (FundBallot.household == world.ids["h1"]))
            .first()
        )

    before = await mine()
    owner = await signed_in(app, client, world, "owner1")
    async with owner:
        token = await csrf_of(owner, f"/fund-uses/{vote}")
        choice = "no" if (before or {}).get("choice") == "yes" else "yes"
        mixed = await owner.post(
            f"/fund-uses/{vote}/ballots",
            data={
                "csrf_token": token,
                f"choice-{world.ids['h1']}": choice,
                f"choice-{world.ids['h3']}": choice,
            },
        )
        assert mixed.status_code == 404
    assert await mine() == before


async def test_a_paper_ballot_never_replaces_the_owners_own(
    app: Any, client: httpx.AsyncClient, world: World, vote: str
) -> None:
    owner = await signed_in(app, client, world, "owner1")
    committee = await signed_in(app, client, world, "committee")
    async with owner, committee:
        token = await csrf_of(owner, f"/fund-uses/{vote}")
        own = await owner.post(
            f"/fund-uses/{vote}/ballots",
            data={"csrf_token": token, f"choice-{world.ids['h1']}": "yes"},
        )
        assert own.status_code == 303
        token = await csrf_of(committee, f"/fund-uses/{vote}")
        paper = await committee.post(
            f"/fund-uses/{vote}/ballots",
            data={"csrf_token": token, "household_id": world.ids["h1"], "choice": "no"},
        )
        assert paper.status_code == 409
        assert "业主已本人投票" in paper.text
    stored = (
        await FundBallot.select(FundBallot.choice, FundBallot.cast_role)
        .where((FundBallot.fund_use == vote) & (FundBallot.household == world.ids["h1"]))
        .first()
    )
    assert stored == {"choice": "yes", "cast_role": "owner"}


async def test_a_repair_reported_without_a_photo_field_is_taken(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    """A plain form post (no multipart, no photos field) is a report without photos."""
    owner = await signed_in(app, client, world, "owner1")
    async with owner:
        token = await csrf_of(owner, "/repairs/new")
        response = await owner.post(
            "/repairs",
            data={
                "csrf_token": token,
                "where": f"building:{world.ids['h1']}",
                "category": "roofing",
                "description": "楼道灯不亮",
                "urgency": "normal",
            },
        )
        assert response.status_code == 303, response.text
        garbage = await owner.post(
            "/repairs",
            data={
                "csrf_token": token,
                "where": "garbage",
                "category": "roofing",
                "description": "x",
                "urgency": "normal",
            },
        )
        assert garbage.status_code == 422
