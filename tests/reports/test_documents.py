"""The documents a bureau posts and an owner downloads (issue 14): each rendered from
demo-like data through the API, its first page drawn by pdftoppm in an embedded CJK
font, its text holding the figures the API returns, its Excel twin the same tables
with number formats, and every one 404 out of scope for every role."""

from __future__ import annotations

import io
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from service.clock import today
from tests.fund_uses.test_api import Block, make_block, proposal
from tests.reports.conftest import paid_emergency_use, pdf_fonts, pdf_text
from tests.support import World, created

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def grouped(amount: str) -> str:
    whole, cents = amount.split(".")
    return f"{int(whole):,}.{cents}"


def first_page_shows_chinese(pdf: bytes, tmp_path: Path) -> None:
    """Page 1 drawn to PNG, and the only font that can carry its text is a CJK one."""
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    stem = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(stem)], check=True
    )
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 5000
    fonts = pdf_fonts(pdf, tmp_path)
    assert len(fonts) == 1 and "CJK" in fonts[0]["name"], [f["line"] for f in fonts]
    assert fonts[0]["emb"] == "yes"


def workbook(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(XLSX)
    return load_workbook(io.BytesIO(response.content))


@pytest.fixture(scope="module")
async def settled(client: httpx.AsyncClient, world: World) -> tuple[Block, dict[str, Any]]:
    """Four flats of 100.00 m² holding 2500.00, 2500.00, 2500.00 and 500.00; a roof
    repair of 10,000.00 paid in full: 8,000.00 from the fund, 2,000.00 self-funded."""
    block = await make_block(client, world, deposits=("2500.00", "2500.00", "2500.00", "500.00"))
    use = await paid_emergency_use(client, world, block)
    shown = await client.get(f"/api/v1/fund-uses/{use['id']}", headers=world.h("bureau"))
    return block, shown.json()


async def test_the_publicity_notice_shows_cost_apportionment_and_settlement(
    client: httpx.AsyncClient, world: World, settled: tuple[Block, dict[str, Any]], tmp_path: Path
) -> None:
    block, use = settled
    response = await client.get(
        f"/api/v1/fund-uses/{use['id']}/notice.pdf", headers=block.headers["committee"]
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    first_page_shows_chinese(response.content, tmp_path)
    text = pdf_text(response.content, tmp_path)
    assert "住宅专项维修资金使用公示" in text and use["title"] in text
    assert "屋面渗漏" in text  # the emergency reason, published afterwards
    lines = [line.split() for line in text.splitlines()]
    for share in use["apportionment"]:
        assert share["share"] == "2500.00"
    total = next(row for row in lines if row and row[0].startswith("合计（4"))
    # area, apportioned, from the fund, self-funded — as the API has them
    assert total[-4:] == ["400.00", "10,000.00", grouped("8000.00"), grouped(use["self_funded"])]
    assert grouped(use["paid"]) in text
    fourth = next(row for row in lines if "401室" in row)
    assert fourth[-4:] == ["100.00", "2,500.00", "500.00", "2,000.00"], fourth
    # Published to the community: names masked, never whole.
    assert "业*3" in text and "业主3" not in text
    fund = (
        await client.get(f"/api/v1/communities/{block.community}/fund", headers=world.h("bureau"))
    ).json()
    assert fund["chain_head"] in text.replace(" ", "").replace("\n", "")
    assert "发布单位" in text and "核对方法" in text


async def test_the_notice_excel_twin_has_the_same_tables_as_numbers(
    client: httpx.AsyncClient, settled: tuple[Block, dict[str, Any]]
) -> None:
    block, use = settled
    book = workbook(
        await client.get(
            f"/api/v1/fund-uses/{use['id']}/notice.xlsx", headers=block.headers["committee"]
        )
    )
    assert book.sheetnames == ["公示概况", "分摊及结算", "表决结果", "拨付记录"]
    shares = book["分摊及结算"]
    assert shares.freeze_panes == "A2"
    header = [c.value for c in shares[1]]
    assert header[:4] == ["房屋", "业主", "建筑面积（m²）", "应分摊（元）"]
    rows = [[c.value for c in row] for row in shares.iter_rows(min_row=2, max_row=5)]
    assert [r[1] for r in rows] == ["业*0", "业*1", "业*2", "业*3"]
    assert sum(Decimal(str(r[3])) for r in rows) == Decimal(use["estimated_cost"])
    assert sum(Decimal(str(r[4])) for r in rows) == Decimal("8000.00")
    assert sum(Decimal(str(r[5])) for r in rows) == Decimal(use["self_funded"])
    assert shares.cell(row=2, column=4).number_format == "#,##0.00"
    payments = book["拨付记录"]
    assert Decimal(str(payments.cell(row=2, column=3).value)) == Decimal(use["paid"])


async def test_a_voting_notice_draws_the_tally_against_the_thresholds(
    client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    block = await make_block(client, world)
    use = await created(
        await client.post(
            "/api/v1/fund-uses", json=proposal(block), headers=block.headers["company"]
        )
    )
    for household, choice in zip(block.households[:3], ["yes", "yes", "no"], strict=True):
        cast = await client.post(
            f"/api/v1/fund-uses/{use['id']}/ballots",
            json={"household_id": household, "choice": choice},
            headers=block.headers["committee"],
        )
        assert cast.status_code == 201, cast.text
    tally = (
        await client.get(f"/api/v1/fund-uses/{use['id']}/tally", headers=world.h("bureau"))
    ).json()
    response = await client.get(
        f"/api/v1/fund-uses/{use['id']}/notice.pdf", headers=block.headers["owner0"]
    )
    assert response.status_code == 200, response.text
    text = pdf_text(response.content, tmp_path)
    assert "表决进行中" in text
    assert f"参与表决 {tally['voted_owners']} 人、{tally['voted_area']} m²" in text
    assert f"同意 {tally['yes_owners']} 人、{tally['yes_area']} m²" in text
    assert "≥ 2/3" in text and "> 1/2" in text
    assert "维修资金列支" not in text  # nothing paid yet: no settlement columns


async def test_an_owner_downloads_their_own_statement_with_full_name_lines_and_dues(
    client: httpx.AsyncClient, world: World, settled: tuple[Block, dict[str, Any]], tmp_path: Path
) -> None:
    block, _ = settled
    flat = block.households[3]
    bureau = world.h("bureau")
    year = today().year
    response = await client.get(
        f"/api/v1/households/{flat}/fund/statement.pdf", params={"year": year}, headers=bureau
    )
    assert response.status_code == 200, response.text
    first_page_shows_chinese(response.content, tmp_path)
    text = pdf_text(response.content, tmp_path)
    fund = (await client.get(f"/api/v1/households/{flat}/fund", headers=bureau)).json()
    assert "业主3" in text  # the owner's own document: the full name
    assert fund["self_funded_due"] == "2000.00"
    assert "2,000.00" in text and "1号楼屋面翻新" in text
    closing = next(line.split() for line in text.splitlines() if "年末余额" in line)
    assert closing[-1] == grouped(fund["balance"])
    assert "-500.00" in text  # the use's line drew what the account held

    book = workbook(
        await client.get(
            f"/api/v1/households/{flat}/fund/statement.xlsx", params={"year": year}, headers=bureau
        )
    )
    assert book.sheetnames == ["分户账明细", "应缴自筹"]
    owed = book["应缴自筹"]
    assert owed.freeze_panes == "A2"
    assert Decimal(str(owed.cell(row=2, column=2).value)) == Decimal(fund["self_funded_due"])
    lines = book["分户账明细"]
    closing_row = next(r for r in lines.iter_rows(values_only=True) if r[2] == "年末余额")
    assert Decimal(str(closing_row[6])) == Decimal(fund["balance"])


async def test_the_household_statement_checks_scope_before_the_year(
    client: httpx.AsyncClient, world: World, settled: tuple[Block, dict[str, Any]]
) -> None:
    block, _ = settled
    flat = block.households[0]
    for suffix in ("pdf", "xlsx"):
        path = f"/api/v1/households/{flat}/fund/statement.{suffix}"
        mine = await client.get(
            path, params={"year": today().year}, headers=block.headers["owner0"]
        )
        assert mine.status_code == 200, mine.text
        bad = await client.get(path, params={"year": "20x6"}, headers=block.headers["owner0"])
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "year"
        for who in ("committee", "company", "owner1"):
            foreign = await client.get(path, params={"year": "20x6"}, headers=world.h(who))
            assert foreign.status_code == 404, (who, foreign.text)
        neighbour = await client.get(
            f"/api/v1/households/{block.households[1]}/fund/statement.{suffix}",
            params={"year": today().year},
            headers=block.headers["owner0"],
        )
        assert neighbour.status_code == 404
        assert (await client.get(path, headers=world.h("contractor"))).status_code == 403


async def test_every_document_is_404_out_of_scope_for_every_role(
    client: httpx.AsyncClient, world: World, settled: tuple[Block, dict[str, Any]]
) -> None:
    block, use = settled
    year = {"year": today().year}
    paths = [
        (f"/api/v1/fund-uses/{use['id']}/notice.pdf", {}),
        (f"/api/v1/fund-uses/{use['id']}/notice.xlsx", {}),
        (f"/api/v1/households/{block.households[2]}/fund/statement.pdf", year),
        (f"/api/v1/households/{block.households[2]}/fund/statement.xlsx", year),
        (f"/api/v1/communities/{block.community}/fund/statement.pdf", year),
        (f"/api/v1/communities/{block.community}/fund/statement.xlsx", year),
        (f"/api/v1/communities/{block.community}/warranty-report.pdf", {}),
        (f"/api/v1/communities/{block.community}/warranty-report.xlsx", {}),
    ]
    for path, params in paths:
        for who in ("committee", "company", "owner1"):
            answer = await client.get(path, params=params, headers=world.h(who))
            assert answer.status_code == 404, (path, who, answer.status_code)
        assert (await client.get(path, params=params, headers=world.h("bureau"))).status_code == 200
        assert (
            await client.get(path, params=params, headers=block.headers["committee"])
        ).status_code == 200


async def test_the_warranty_report_lists_works_warranty_ends_open_and_overdue_tickets(
    client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    from datetime import timedelta

    from service.clock import now
    from service.warranty.tables import RepairTicket

    block = await make_block(client, world)
    bureau = world.h("bureau")
    work = await created(
        await client.post(
            "/api/v1/works",
            json={
                "community_id": block.community,
                "title": "屋面及管网改造",
                "contractor_id": world.ids["org_contractor"],
                "accepted_on": (today() - timedelta(days=900)).isoformat(),
                "settlement_amount": "1234567.00",
                "components": [{"category": "roofing"}, {"category": "plumbing"}],
            },
            headers=bureau,
        )
    )
    ends = {c["category"]: c["warranty_until"] for c in work["components"]}
    tickets = []
    for category in ("roofing", "plumbing"):
        tickets.append(
            await created(
                await client.post(
                    "/api/v1/repairs",
                    json={
                        "community_id": block.community,
                        "building_id": block.building,
                        "category": category,
                        "description": "渗漏",
                        "part": "common",
                    },
                    headers=block.headers["committee"],
                )
            )
        )
    assert [t["responsible_kind"] for t in tickets] == ["contractor", "company"]
    await RepairTicket.update({RepairTicket.due_at: now() - timedelta(days=2)}).where(
        RepairTicket.id == uuid.UUID(tickets[0]["id"])
    )
    response = await client.get(
        f"/api/v1/communities/{block.community}/warranty-report.pdf",
        headers=world.h("contractor"),
    )
    assert response.status_code == 200, response.text
    first_page_shows_chinese(response.content, tmp_path)
    text = pdf_text(response.content, tmp_path)
    assert "屋面及管网改造" in text and "1,234,567.00" in text
    assert ends["roofing"] in text and ends["plumbing"] in text
    assert "保修期内" in text and "已过保修期" in text
    assert "2 件（其中超期 1 件）" in text
    payer = next(
        line.split() for line in text.splitlines() if line.strip().startswith("施工单位（保修")
    )
    assert payer[-2:] == ["1", "1"], payer
    book = workbook(
        await client.get(
            f"/api/v1/communities/{block.community}/warranty-report.xlsx", headers=bureau
        )
    )
    assert book.sheetnames == ["改造工程", "保修部位", "未完成报修"]
    assert Decimal(str(book["改造工程"].cell(row=2, column=4).value)) == Decimal("1234567.00")
    assert book["改造工程"].cell(row=2, column=4).number_format == "#,##0.00"
    overdue = [r[-1] for r in book["未完成报修"].iter_rows(min_row=2, max_row=3, values_only=True)]
    assert sorted(overdue) == ["否", "是"]


async def test_the_yearly_statement_excel_twin_holds_the_pdfs_figures(
    client: httpx.AsyncClient, world: World, settled: tuple[Block, dict[str, Any]]
) -> None:
    block, use = settled
    book = workbook(
        await client.get(
            f"/api/v1/communities/{block.community}/fund/statement.xlsx",
            params={"year": today().year},
            headers=block.headers["committee"],
        )
    )
    assert book.sheetnames == ["资金总额", "使用项目", "分摊明细", "分户账"]
    project = [c.value for c in book["使用项目"][2]]
    assert project[1] == use["title"]
    assert [Decimal(str(v)) for v in project[-3:]] == [
        Decimal("10000.00"),
        Decimal("8000.00"),
        Decimal(use["self_funded"]),
    ]
    lines = book["分户账"]
    assert lines.freeze_panes == "A2"
    owners = [r[1] for r in lines.iter_rows(min_row=2, max_row=5, values_only=True)]
    assert owners == ["业*0", "业*1", "业*2", "业*3"]
    fund = (
        await client.get(f"/api/v1/communities/{block.community}/fund", headers=world.h("bureau"))
    ).json()
    rows = lines.iter_rows(min_row=2, max_row=5, values_only=True)
    closing = sum(Decimal(str(r[-1])) for r in rows)
    assert closing == Decimal(fund["balance"])


async def test_the_vote_result_notice_shows_the_tally_and_no_owner(
    client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    block = await make_block(client, world)
    use = await created(
        await client.post(
            "/api/v1/fund-uses", json=proposal(block), headers=block.headers["company"]
        )
    )
    for household, choice in zip(block.households, ["yes", "yes", "yes", "no"], strict=True):
        cast = await client.post(
            f"/api/v1/fund-uses/{use['id']}/ballots",
            json={"household_id": household, "choice": choice},
            headers=block.headers["committee"],
        )
        assert cast.status_code == 201, cast.text
    closed = await client.post(
        f"/api/v1/fund-uses/{use['id']}/close-vote", headers=world.h("bureau")
    )
    assert closed.status_code == 200, closed.text
    tally = (
        await client.get(f"/api/v1/fund-uses/{use['id']}/tally", headers=world.h("bureau"))
    ).json()
    response = await client.get(
        f"/api/v1/fund-uses/{use['id']}/vote-result.pdf", headers=block.headers["owner0"]
    )
    assert response.status_code == 200, response.text
    first_page_shows_chinese(response.content, tmp_path)
    text = pdf_text(response.content, tmp_path)
    assert "业主表决结果公告" in text and "表决结果：通过" in text
    voted = next(line.split() for line in text.splitlines() if line.strip().startswith("参与表决 "))
    assert voted[-2:] == [str(tally["voted_owners"]), tally["voted_area"]], voted
    yes = next(line.split() for line in text.splitlines() if line.strip().startswith("同意 "))
    assert yes[-2:] == [str(tally["yes_owners"]), tally["yes_area"]], yes
    assert "业主0" not in text and "业*0" not in text
    book = workbook(
        await client.get(
            f"/api/v1/fund-uses/{use['id']}/vote-result.xlsx", headers=block.headers["owner0"]
        )
    )
    sheet = book["表决结果"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[3]][:2] == ["参与表决", tally["voted_owners"]]
    assert Decimal(str(sheet.cell(row=3, column=3).value)) == Decimal(tally["voted_area"])
    for suffix in ("pdf", "xlsx"):
        foreign = await client.get(
            f"/api/v1/fund-uses/{use['id']}/vote-result.{suffix}", headers=world.h("committee")
        )
        assert foreign.status_code == 404
