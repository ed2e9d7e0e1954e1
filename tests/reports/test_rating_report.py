"""The rating period report as a PDF: every rated contract with its scores, grade,
subsidy ratio, computed subsidy and appeal; a company sees only its own rows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reports.conftest import pdf_fonts, pdf_text
from tests.support import (
    World,
    add_household,
    add_user,
    created,
    login,
    make_id_no,
    unique,
)


@dataclass
class Rated:
    community_name: str
    company_name: str
    company_h: dict[str, str]
    rating: dict[str, Any]


@dataclass
class Period:
    id: str
    name: str
    first: Rated
    second: Rated
    subsidies: list[dict[str, Any]]


async def rated_contract(
    client: httpx.AsyncClient, world: World, period_id: str, scores: dict[str, str]
) -> Rated:
    """A community, a company (with a user), a live contract, and the bureau's rating."""
    bureau = world.h("bureau")
    code = unique("Q")
    community_name = f"评价测试小区{code[-4:]}"
    community = await created(
        await client.post(
            "/api/v1/communities",
            json={
                "area_id": world.ids["area"],
                "name": community_name,
                "code": code,
                "built_year": 1992,
                "deposit_rate_per_m2": "45.00",
            },
            headers=bureau,
        )
    )
    building = await created(
        await client.post(
            f"/api/v1/communities/{community['id']}/buildings",
            json={"name": "1号楼", "floors": 6, "has_elevator": False},
            headers=bureau,
        )
    )
    owner = ("郑秀英", make_id_no(uuid.uuid4().int % 900 + 100, birth="19610101"))
    await add_household(client, bureau, building["id"], "101", "100.00", owner)
    company_name = unique("安居物业")
    company = await created(
        await client.post(
            "/api/v1/organizations", json={"kind": "company", "name": company_name}, headers=bureau
        )
    )
    username = unique("rco-")
    await add_user(client, bureau, username=username, role="company", org_id=company["id"])
    contract = await created(
        await client.post(
            "/api/v1/contracts",
            json={
                "community_id": community["id"],
                "company_id": company["id"],
                "mode": "market",
                "starts_on": "2026-01-01",
                "ends_on": "2028-12-31",
                "fee_per_m2_month": "0.80",
                "subsidy_per_m2_month": "0.30",
                "services": ["保洁", "秩序维护"],
            },
            headers=bureau,
        )
    )
    rating = await created(
        await client.post(
            f"/api/v1/rating-periods/{period_id}/ratings",
            json={
                "contract_id": contract["id"],
                "items": [{"code": c, "score": s, "note": ""} for c, s in scores.items()],
            },
            headers=bureau,
        )
    )
    return Rated(community_name, company_name, await login(client, username), rating)


@pytest.fixture(scope="module")
async def period(client: httpx.AsyncClient, world: World) -> Period:
    """Q2 2026: one contract rated 95.00 whose company appealed (dismissed), one rated
    72.00; finalised, subsidies computed."""
    bureau = world.h("bureau")
    scheme = (await client.get("/api/v1/rating-schemes/current", headers=bureau)).json()
    full = {i["code"]: i["max_score"] for i in scheme["items"]}
    first_item, second_item = list(full)[:2]
    name = unique("2026年第二季度")
    made = await created(
        await client.post(
            "/api/v1/rating-periods",
            json={"name": name, "starts_on": "2026-04-01", "ends_on": "2026-06-30"},
            headers=bureau,
        )
    )
    minus5 = f"{float(full[first_item]) - 5:.2f}"
    first = await rated_contract(client, world, made["id"], {**full, first_item: minus5})
    second = await rated_contract(
        client,
        world,
        made["id"],
        {
            **full,
            first_item: f"{float(full[first_item]) - 13:.2f}",
            second_item: f"{float(full[second_item]) - 15:.2f}",
        },
    )
    appeal = await created(
        await client.post(
            f"/api/v1/ratings/{first.rating['rating_id']}/appeals",
            json={"reason": "保洁台账齐全，请求复核"},
            headers=first.company_h,
        )
    )
    answered = await client.post(
        f"/api/v1/appeals/{appeal['appeal_id']}/answer",
        json={"decision": "dismissed", "note": "现场检查属实"},
        headers=bureau,
    )
    assert answered.status_code == 200, answered.text
    path = f"/api/v1/rating-periods/{made['id']}"
    assert (await client.post(f"{path}/finalize", headers=bureau)).status_code == 200
    subsidies = await created(await client.post(f"{path}/subsidies", headers=bureau))
    return Period(made["id"], name, first, second, subsidies)


async def report(
    client: httpx.AsyncClient, period_id: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.get(f"/api/v1/rating-periods/{period_id}/report.pdf", headers=headers)


async def test_the_report_lists_every_rated_contract_with_grade_subsidy_and_appeal(
    client: httpx.AsyncClient, world: World, period: Period, tmp_path: Path
) -> None:
    response = await report(client, period.id, world.h("auditor"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert period.name in text
    assert "2026-04-01" in text and "2026-06-30" in text
    for rated in (period.first, period.second):
        assert rated.community_name in text
        assert rated.company_name in text
        assert rated.rating["total"] in text
        assert rated.rating["grade"] in text
    assert "95.00" in text and "72.00" in text
    # 0.30 yuan/m² × 100.00 m² × 3 months = 90.00; 95.00 earns 100%, 72.00 earns 60%.
    assert sorted(s["amount"] for s in period.subsidies) == ["54.00", "90.00"]
    for subsidy in period.subsidies:
        assert subsidy["amount"] in text
    cells = re.sub(r"\s+", "", pdf_text(response.content, tmp_path, layout=False))
    assert "申诉驳回：保洁台账齐全，请求复核（答复：现场检查属实）" in cells


async def test_a_company_sees_only_its_own_contracts_rows(
    client: httpx.AsyncClient, world: World, period: Period, tmp_path: Path
) -> None:
    response = await report(client, period.id, period.second.company_h)
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert period.second.company_name in text
    assert period.second.community_name in text
    assert period.first.company_name not in text
    assert period.first.community_name not in text
    assert "保洁台账齐全" not in text


async def test_only_bureau_auditor_and_companies_may_ask_and_unknown_periods_are_404(
    client: httpx.AsyncClient, world: World, period: Period
) -> None:
    for who in ("committee", "owner1", "contractor"):
        assert (await report(client, period.id, world.h(who))).status_code == 403, who
    assert (await report(client, str(uuid.uuid4()), world.h("bureau"))).status_code == 404
    assert (await report(client, "not-an-id", world.h("bureau"))).status_code == 404


async def test_the_report_embeds_a_cjk_font_and_renders_landscape(
    client: httpx.AsyncClient, world: World, period: Period, tmp_path: Path
) -> None:
    response = await report(client, period.id, world.h("bureau"))
    fonts = pdf_fonts(response.content, tmp_path)
    assert any("CJK" in f["name"] for f in fonts), fonts
    assert all(f["emb"] == "yes" for f in fonts), fonts
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "Page size:       841.89 x 595.27" in info  # A4 landscape, in points
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    keep = os.environ.get("CHANGXIAO_PREVIEW_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(next(tmp_path.glob("p*.png")), Path(keep) / "rating-report-page1.png")


async def test_the_subsidy_list_and_its_excel_twin_hold_the_computed_subsidies(
    client: httpx.AsyncClient, world: World, period: Period, tmp_path: Path
) -> None:
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    path = f"/api/v1/rating-periods/{period.id}/subsidies"
    response = await client.get(f"{path}.pdf", headers=world.h("bureau"))
    assert response.status_code == 200, response.text
    fonts = pdf_fonts(response.content, tmp_path)
    assert len(fonts) == 1 and "CJK" in fonts[0]["name"], fonts
    text = pdf_text(response.content, tmp_path)
    assert "补贴清单" in text and period.name in text
    total = sum(Decimal(s["amount"]) for s in period.subsidies)
    assert f"{total:,.2f}" in text
    for subsidy in period.subsidies:
        assert f"{Decimal(subsidy['amount']):,.2f}" in text
        assert f"{Decimal(subsidy['base']):,.2f}" in text
    for rated in (period.first, period.second):
        assert rated.company_name in text and rated.community_name in text
    book = load_workbook(
        io.BytesIO((await client.get(f"{path}.xlsx", headers=world.h("auditor"))).content)
    )
    assert book.sheetnames == ["补贴清单"]
    sheet = book["补贴清单"]
    assert sheet.freeze_panes == "A2"
    amounts = [r[7] for r in sheet.iter_rows(min_row=2, max_row=3, values_only=True)]
    assert sorted(Decimal(str(a)) for a in amounts) == sorted(
        Decimal(s["amount"]) for s in period.subsidies
    )
    assert sheet.cell(row=2, column=8).number_format == "#,##0.00"
    # A company sees only its own contract's line.
    own = pdf_text(
        (await client.get(f"{path}.pdf", headers=period.first.company_h)).content, tmp_path
    )
    assert period.first.company_name in own and period.second.company_name not in own
    report = load_workbook(
        io.BytesIO(
            (
                await client.get(
                    f"/api/v1/rating-periods/{period.id}/report.xlsx", headers=world.h("bureau")
                )
            ).content
        )
    )
    assert report.sheetnames == ["评价结果"]
    assert report["评价结果"].freeze_panes == "A2"


async def test_the_subsidy_list_is_404_for_a_missing_period_and_403_for_others(
    client: httpx.AsyncClient, world: World
) -> None:
    for suffix in ("subsidies.pdf", "subsidies.xlsx", "report.xlsx"):
        missing = await client.get(
            f"/api/v1/rating-periods/{uuid.uuid4()}/{suffix}", headers=world.h("bureau")
        )
        assert missing.status_code == 404
        for who in ("committee", "owner1", "contractor"):
            denied = await client.get(
                f"/api/v1/rating-periods/{uuid.uuid4()}/{suffix}", headers=world.h(who)
            )
            assert denied.status_code == 403, who
