"""The district's standards matrix: the API read (colour states per cell, overdue marked),
its history by quarter, the bureau's page, and the PDF and Excel for the monthly
meeting; only the bureau and the auditor see it."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from typing import Any

import httpx
from openpyxl import load_workbook

from service.clock import today
from service.standards.rules import quarter_of
from tests.standards.estate import API, fresh_area, fresh_community, inspect
from tests.support import World, created
from tests.web.support import signed_in


async def test_the_matrix_shows_each_places_latest_finding_and_late_tasks(
    client: httpx.AsyncClient, world: World
) -> None:
    community = await fresh_community(client, world)
    area = await fresh_area(client, world)
    quarter = quarter_of(today())
    first_day = date.fromisoformat(
        (await client.get(f"{API}/standards/matrix", headers=world.h("bureau"))).json()["starts_on"]
    )
    early = first_day if today() - first_day > timedelta(days=30) else today()
    await created(
        await inspect(
            client,
            world,
            {"community_id": community},
            [
                {"code": "tong_water", "result": "not_met"},
                {"code": "zheng_road", "result": "not_met"},
                {"code": "tong_heat", "result": "na"},
            ],
            inspected_on=early.isoformat(),
        )
    )
    await created(
        await inspect(
            client,
            world,
            {"community_id": community},
            [{"code": "zheng_road", "result": "met"}, {"code": "ru_power", "result": "met"}],
        )
    )
    await created(
        await inspect(client, world, {"area_id": area}, [{"code": "you_clinic", "result": "met"}])
    )
    body = (
        await client.get(
            f"{API}/standards/matrix", params={"quarter": quarter}, headers=world.h("auditor")
        )
    ).json()
    row = next(r for r in body["rows"] if r["id"] == community)
    water = "overdue" if early < today() - timedelta(days=20) else "not_met"
    assert row["cells"]["tong_water"] == water
    assert row["cells"]["zheng_road"] == "met"
    assert row["cells"]["tong_heat"] == "na"
    assert row["cells"]["ru_power"] == "met"
    assert row["cells"]["you_refuse"] == "none"
    assert (row["met"], row["inspected"]) == (2, 4)
    assert len(body["columns"]) >= 13 and set(body["legend"]) >= {"met", "overdue", "none"}
    areas = (
        await client.get(
            f"{API}/standards/matrix", params={"level": "area"}, headers=world.h("bureau")
        )
    ).json()
    assert next(r for r in areas["rows"] if r["id"] == area)["cells"]["you_clinic"] == "met"
    history = (
        await client.get(
            f"{API}/standards/history", params={"quarters": 2}, headers=world.h("bureau")
        )
    ).json()
    assert [q["quarter"] for q in history["quarters"]][-1] == quarter
    assert history["quarters"][-1]["items_met"] >= 2
    for quarter in ("2026Q9", "1999Q4", "9999Q4"):
        bad = await client.get(
            f"{API}/standards/history", params={"quarter": quarter}, headers=world.h("bureau")
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "quarter"
    oldest = await client.get(
        f"{API}/standards/history",
        params={"quarter": "2000Q1", "quarters": 12},
        headers=world.h("bureau"),
    )
    assert oldest.status_code == 200
    too_many = await client.get(
        f"{API}/standards/history", params={"quarters": 13}, headers=world.h("bureau")
    )
    assert too_many.status_code == 422
    for who in ("company", "committee", "contractor", "owner1"):
        assert (
            await client.get(f"{API}/standards/matrix", headers=world.h(who))
        ).status_code == 403


async def test_the_pdf_and_the_excel_of_the_matrix(client: httpx.AsyncClient, world: World) -> None:
    pdf = await client.get(f"{API}/standards/matrix.pdf", headers=world.h("bureau"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = await client.get(f"{API}/standards/matrix.xlsx", headers=world.h("bureau"))
    assert xlsx.status_code == 200
    book = load_workbook(BytesIO(xlsx.content))
    assert book.sheetnames == ["小区标准", "片区标准", "季度历史"]
    head: list[Any] = [c.value for c in book["小区标准"][1]]
    assert head[:3] == ["代码", "名称", "所属片区"] and "四通·供水通" in head
    assert (
        await client.get(f"{API}/standards/matrix.pdf", headers=world.h("committee"))
    ).status_code == 403


async def test_the_bureaus_page_renders_the_matrix_and_others_are_refused(
    app: Any, client: httpx.AsyncClient, world: World
) -> None:
    page = await signed_in(app, client, world, "bureau")
    try:
        answer = await page.get("/standards")
        assert answer.status_code == 200
        assert "改造提质标准" in answer.text and "供水通" in answer.text and "九有" in answer.text
        assert (await page.get("/standards/matrix.xlsx")).status_code == 200
    finally:
        await page.aclose()
    committee = await signed_in(app, client, world, "committee")
    try:
        assert (await committee.get("/standards")).status_code in (403, 404)
    finally:
        await committee.aclose()
