"""Service records uploaded as CSV or XLSX: all rows or none, errors by sheet row,
the same file twice recorded once."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
import openpyxl

from service.clock import today
from service.contracts.tables import ServiceRecord
from tests.contracts.estate import make_contract, make_estate
from tests.support import World, created


def day(n: int) -> str:
    return (today() - timedelta(days=n)).isoformat()


async def test_a_csv_of_records_is_imported_once(client: httpx.AsyncClient, world: World) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2020-01-01")
    text = f"日期,类别,内容,地点\n{day(1)},保洁,楼道清扫,1号楼\n{day(2)},patrol,夜间巡查,东门\n"
    path = f"/api/v1/contracts/{contract['id']}/service-records/import"
    files = {"file": ("records.csv", text.encode("utf-8"), "text/csv")}
    first = await created(await client.post(path, files=files, headers=estate.company_h))
    assert first["count"] == 2
    again = await created(await client.post(path, files=files, headers=estate.company_h))
    assert again["record_ids"] == first["record_ids"]
    listed = await client.get(
        f"/api/v1/contracts/{contract['id']}/service-records?category=cleaning",
        headers=estate.committee_h,
    )
    assert [r["place"] for r in listed.json()["items"]] == ["1号楼"]


async def test_an_xlsx_with_bad_rows_imports_nothing_and_names_each_row(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2020-01-01")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["日期", "类别", "内容", "地点"])
    sheet.append([day(1), "绿化养护", "修剪", "中心花园"])
    sheet.append([day(1), "停车", "收费", ""])
    sheet.append([day(60), "维修", "更换灯泡", "2号楼"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = await client.post(
        f"/api/v1/contracts/{contract['id']}/service-records/import",
        files={"file": ("records.xlsx", buffer.getvalue(), "application/octet-stream")},
        headers=estate.company_h,
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["第3行 类别", "第4行 日期"]
    assert await ServiceRecord.count().where(ServiceRecord.contract == contract["id"]) == 0


async def test_an_upload_without_the_header_or_of_another_kind_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    estate = await make_estate(client, world)
    contract = await make_contract(client, world, estate, starts_on="2020-01-01")
    path = f"/api/v1/contracts/{contract['id']}/service-records/import"
    headerless = await client.post(
        path,
        files={"file": ("r.csv", f"{day(1)},保洁,清扫\n".encode(), "text/csv")},
        headers=estate.company_h,
    )
    assert headerless.status_code == 422
    assert "表头" in headerless.json()["detail"]
    word = await client.post(
        path, files={"file": ("r.doc", b"hello", "application/msword")}, headers=estate.company_h
    )
    assert word.status_code == 415
    stranger = await client.post(
        path, files={"file": ("r.csv", b"x", "text/csv")}, headers=world.h("company")
    )
    assert stranger.status_code == 404
