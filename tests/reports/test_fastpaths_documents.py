"""Every document the service renders writes, with WeasyPrint's fast paths
(``service.reports.fastpaths``) on, exactly the page contents and font it writes with
them off: each built from real data through the API (long Chinese titles with long ids,
tables running over pages with repeated headers, empty tables, masked names, a reversed
deposit and negative lines), its HTML caught on the way to WeasyPrint, then rendered
once without and once with every fast path."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from service.clock import now, today
from service.reports import fastpaths, render
from service.standards.rules import quarter_of
from tests.bench.documents import pages_of
from tests.fund_uses.test_api import make_block, proposal
from tests.lifts import estate as lifts
from tests.lifts.test_consent import AT_THRESHOLD
from tests.reports.conftest import bulk_households, paid_emergency_use, post_first_deposits
from tests.reports.test_rating_report import Period
from tests.reports.test_rating_report import period as period
from tests.standards.estate import API, fresh_area, fresh_community, inspect
from tests.support import World, content_streams, created

# Long enough to wrap in every title, heading and table cell it reaches, with an ASCII
# run that can only break where the line breaker allows.
LONG_TITLE = (
    "1号楼及2号楼屋面防水层整体翻新、外墙渗漏治理与雨落管更换工程（第一标段）"
    "编号WX-2026-000123456789ABCDEF0123456789"
)
DOCUMENTS = (
    "fund_use_notice",
    "fund_use_notice_voting",
    "vote_result",
    "household_statement",
    "fund_statement",
    "fund_statement_owner",
    "fund_statement_empty",
    "warranty_report",
    "warranty_report_empty",
    "rating_report",
    "subsidy_list",
    "lift_notice",
    "standards_matrix",
)
# What the data must keep exercising: tables running over pages (headers repeated) ...
PAGES_AT_LEAST = {
    "fund_use_notice": 2,
    "fund_statement": 3,
    "lift_notice": 2,
    "standards_matrix": 2,
}
# ... and, in the HTML, wrapping titles, a reversal, masked names and empty tables.
SHOWS = {
    "fund_use_notice": (LONG_TITLE, "业*0", "业***7"),
    "fund_use_notice_voting": (LONG_TITLE,),
    "vote_result": (LONG_TITLE,),
    "household_statement": (LONG_TITLE, "-4,500.00", "冲正"),
    "fund_statement": (LONG_TITLE, "业***9"),
    "fund_statement_empty": ("本年度无维修资金使用项目",),
    "warranty_report": (LONG_TITLE, "1,234,567.00"),
    "warranty_report_empty": ("无登记的改造工程", "无未完成的报修"),
    "lift_notice": ("底层采光和通风受影响",),
}


async def html_of(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any
) -> str:
    """The HTML the service hands WeasyPrint for ``url`` (the PDF itself not written)."""
    seen: list[str] = []

    def caught(html: str) -> bytes:
        seen.append(html)
        return b"%PDF-caught"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "_write_pdf", caught)
        response = await client.get(url, params=params, headers=headers)
    assert response.status_code == 200, (url, response.text)
    (html,) = seen
    return html


@pytest.fixture(scope="module")
async def documents(client: httpx.AsyncClient, world: World, period: Period) -> dict[str, str]:
    """Each document's HTML, by name (``DOCUMENTS``)."""
    bureau = world.h("bureau")
    year = today().year
    got: dict[str, str] = {}

    # A building of 4 + 50 flats: the apportionment and household tables run over pages.
    block = await make_block(client, world, deposits=("2500.00", "2500.00", "2500.00", "500.00"))
    more = await bulk_households(world, block.community, block.building, 50)
    await post_first_deposits(
        world, block.community, {h: 100_00 + i * 9_37 for i, h in enumerate(more)}
    )
    # A deposit keyed in twice and reversed.
    wrong = await created(
        await client.post(
            "/api/v1/fund/deposits",
            json={
                "household_id": block.households[3],
                "amount": "4500.00",
                "kind": "replenish",
                "paid_on": today().isoformat(),
            },
            headers={**bureau, "Idempotency-Key": uuid.uuid4().hex},
        )
    )
    reversed_ = await client.post(
        f"/api/v1/fund/entries/{wrong['entry_id']}/reverse",
        json={"reason": "重复录入，冲正"},
        headers={**bureau, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert reversed_.status_code == 201, reversed_.text
    use = await paid_emergency_use(client, world, block, "30000.00", title=LONG_TITLE)
    committee = block.headers["committee"]
    got["fund_use_notice"] = await html_of(
        client, f"/api/v1/fund-uses/{use['id']}/notice.pdf", committee
    )
    got["household_statement"] = await html_of(
        client, f"/api/v1/households/{block.households[3]}/fund/statement.pdf", bureau, year=year
    )
    statement = f"/api/v1/communities/{block.community}/fund/statement.pdf"
    got["fund_statement"] = await html_of(client, statement, committee, year=year)
    got["fund_statement_owner"] = await html_of(
        client, statement, block.headers["owner0"], year=year
    )

    # The warranty report: a work with two components, one open and one overdue ticket.
    work = await created(
        await client.post(
            "/api/v1/works",
            json={
                "community_id": block.community,
                "title": LONG_TITLE,
                "contractor_id": world.ids["org_contractor"],
                "accepted_on": (today() - timedelta(days=900)).isoformat(),
                "settlement_amount": "1234567.00",
                "components": [{"category": "roofing"}, {"category": "plumbing"}],
            },
            headers=bureau,
        )
    )
    assert work["components"]
    from service.warranty.tables import RepairTicket

    tickets = [
        await created(
            await client.post(
                "/api/v1/repairs",
                json={
                    "community_id": block.community,
                    "building_id": block.building,
                    "category": category,
                    "description": "顶层卧室天花板渗漏，雨天滴水，墙面起皮发霉" * 3,
                    "part": "common",
                },
                headers=committee,
            )
        )
        for category in ("roofing", "plumbing")
    ]
    await RepairTicket.update({RepairTicket.due_at: now() - timedelta(days=2)}).where(
        RepairTicket.id == uuid.UUID(tickets[0]["id"])
    )
    got["warranty_report"] = await html_of(
        client, f"/api/v1/communities/{block.community}/warranty-report.pdf", bureau
    )

    # A small block: a use put to the vote (the voting notice), then closed (the result);
    # no use charged this year (an empty statement), no works (an empty warranty report).
    small = await make_block(client, world)
    voted = await created(
        await client.post(
            "/api/v1/fund-uses",
            json=proposal(small, title=LONG_TITLE),
            headers=small.headers["company"],
        )
    )
    for household, choice in zip(small.households, ["yes", "yes", "yes", "no"], strict=True):
        cast = await client.post(
            f"/api/v1/fund-uses/{voted['id']}/ballots",
            json={"household_id": household, "choice": choice},
            headers=small.headers["committee"],
        )
        assert cast.status_code == 201, cast.text
    got["fund_use_notice_voting"] = await html_of(
        client, f"/api/v1/fund-uses/{voted['id']}/notice.pdf", small.headers["owner0"]
    )
    closed = await client.post(f"/api/v1/fund-uses/{voted['id']}/close-vote", headers=bureau)
    assert closed.status_code == 200, closed.text
    got["vote_result"] = await html_of(
        client, f"/api/v1/fund-uses/{voted['id']}/vote-result.pdf", small.headers["owner0"]
    )
    got["fund_statement_empty"] = await html_of(
        client, f"/api/v1/communities/{small.community}/fund/statement.pdf", bureau, year=year
    )
    got["warranty_report_empty"] = await html_of(
        client, f"/api/v1/communities/{small.community}/warranty-report.pdf", bureau
    )

    # Ratings: two rated contracts, an appeal dismissed, subsidies computed.
    got["rating_report"] = await html_of(
        client, f"/api/v1/rating-periods/{period.id}/report.pdf", bureau
    )
    got["subsidy_list"] = await html_of(
        client, f"/api/v1/rating-periods/{period.id}/subsidies.pdf", bureau
    )

    # A lift: consent closed with three objections published, the owners masked.
    estate = await lifts.make_estate(client, world)
    unit = await lifts.make_unit(client, world, estate)
    project = await lifts.new_project(client, estate.committee, unit)
    await lifts.consents(client, estate, project["id"], unit, AT_THRESHOLD | {0: "no", 8: "yes"})
    await lifts.close(client, bureau, project["id"])
    got["lift_notice"] = await html_of(
        client, f"/api/v1/lift-projects/{project['id']}/notice.pdf", world.h("auditor")
    )

    # The standards matrix: a community and an area inspected this quarter.
    place = await fresh_community(client, world)
    area = await fresh_area(client, world)
    await created(
        await inspect(
            client,
            world,
            {"community_id": place},
            [
                {"code": "tong_water", "result": "not_met"},
                {"code": "zheng_road", "result": "met"},
                {"code": "tong_heat", "result": "na"},
            ],
        )
    )
    await created(
        await inspect(client, world, {"area_id": area}, [{"code": "you_clinic", "result": "met"}])
    )
    got["standards_matrix"] = await html_of(
        client, f"{API}/standards/matrix.pdf", bureau, quarter=quarter_of(today())
    )
    assert set(got) == set(DOCUMENTS)
    return got


def render_without_and_with_fast_paths(
    html: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[bytes, bytes]:
    monkeypatch.setattr(fastpaths, "ENABLED", frozenset())
    plain = render.write_pdf(html)
    monkeypatch.setattr(fastpaths, "ENABLED", fastpaths.ALL)
    fast = render.write_pdf(html)
    return plain, fast


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_document_is_the_same_with_and_without_the_fast_paths(
    name: str, documents: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    html = documents[name]
    for shown in SHOWS.get(name, ()):
        assert shown in html, (name, shown)
    plain, fast = render_without_and_with_fast_paths(html, monkeypatch)
    pages = pages_of(plain)
    assert pages >= PAGES_AT_LEAST.get(name, 1), (name, pages)
    without = content_streams(plain)
    assert len(without) >= 2, name  # at least a page and the font
    assert content_streams(fast) == without, name


def test_a_stream_ending_in_a_carriage_return_is_read_whole() -> None:
    """Compressed data ends in any byte, ``\\r`` too (once every 256 streams or so)."""
    import os
    import zlib

    data = next(d for d in iter(lambda: zlib.compress(os.urandom(64)), b"") if d[-1:] == b"\r")
    pdf = b"1 0 obj\n<< /Length %d >>\nstream\n%b\nendstream\nendobj" % (len(data), data)
    assert content_streams(pdf) == [zlib.decompress(data)]
