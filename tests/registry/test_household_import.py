"""Household ledger (台账) import and export: all rows or none, every bad row named."""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from service.audit.tables import AuditEntry
from service.registry import household_import
from service.registry.rules import mask_id_no
from tests.support import World, created, make_id_no, unique

HEADER = ["楼栋", "单元", "房号", "建筑面积", "业主姓名", "身份证号", "联系电话", "总层数", "电梯"]
ENGLISH = [
    "building",
    "unit_no",
    "room_no",
    "floor_area",
    "owner_name",
    "owner_id_no",
    "owner_phone",
    "floors",
    "has_elevator",
]
XLSX = household_import.XLSX_MEDIA_TYPE
_ids = itertools.count(1)


def new_id_no() -> str:
    """A valid identity number no other test module uses (births from 1983-03-01 on)."""
    n = next(_ids)
    birth = date(1983, 3, 1) + timedelta(days=n // 900)
    return make_id_no(n % 900 + 100, birth.strftime("%Y%m%d"))


def csv_bytes(rows: list[list[Any]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(
    rows: list[list[Any]], header: list[str] = HEADER, title: str | None = None
) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient,
    community_id: str,
    headers: dict[str, str],
    name: str,
    content: bytes,
    content_type: str = "text/csv",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/communities/{community_id}/households/import",
        files={"file": (name, content, content_type)},
        headers=headers,
    )


async def households(
    client: httpx.AsyncClient, community_id: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        r = await client.get(
            f"/api/v1/communities/{community_id}/households", params=params, headers=headers
        )
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items


async def count(client: httpx.AsyncClient, community_id: str, headers: dict[str, str]) -> int:
    r = await client.get(f"/api/v1/communities/{community_id}", headers=headers)
    assert r.status_code == 200, r.text
    return int(r.json()["households"])


@pytest.fixture
async def community(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    """A fresh community with one registered building, 1号楼 (6 floors)."""
    bureau = world.h("bureau")
    body = {
        "area_id": world.ids["area"],
        "name": "台账测试小区",
        "code": unique("L"),
        "built_year": 1998,
        "deposit_rate_per_m2": "45.00",
    }
    made = await created(await client.post("/api/v1/communities", json=body, headers=bureau))
    await created(
        await client.post(
            f"/api/v1/communities/{made['id']}/buildings",
            json={"name": "1号楼", "floors": 6},
            headers=bureau,
        )
    )
    return {"id": made["id"], "code": made["code"]}


def good_rows() -> list[list[Any]]:
    """Five flats: three in the registered 1号楼, two in a new 2号楼; one owner has two."""
    twice = new_id_no()
    return [
        ["1号楼", "1", "101", "86.40", "赵一", twice, "13800000001", "", ""],
        ["1号楼", "1", "102", "60", "钱二", new_id_no(), "", "", ""],
        ["1号楼", "2", "101", "72.15", "孙三", new_id_no(), "13800000003", "", ""],
        ["2号楼", "1", "101", "90.5", "李四", new_id_no(), "", "7", "是"],
        ["2号楼", "1", "102", "55.00", "赵一", twice, "", "7", "是"],
    ]


def errors_of(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["field"]: e["message"] for e in response.json()["errors"]}


async def test_a_good_csv_imports_every_row_creating_new_buildings_and_owners_once(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    bureau = world.h("bureau")
    r = await upload(client, community["id"], bureau, "台账.csv", csv_bytes(good_rows()))
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 5, "buildings_created": 1, "owners_created": 4}

    flats = await households(client, community["id"], bureau)
    assert len(flats) == 5
    by_place = {(f["building_name"], f["unit_no"], f["room_no"]): f for f in flats}
    assert by_place[("1号楼", "1", "101")]["floor_area"] == "86.40"
    assert by_place[("1号楼", "1", "102")]["floor_area"] == "60.00"
    assert by_place[("2号楼", "1", "101")]["floor_area"] == "90.50"
    assert (
        by_place[("1号楼", "1", "101")]["owner_id"] == by_place[("2号楼", "1", "102")]["owner_id"]
    )
    assert by_place[("1号楼", "1", "101")]["owner_phone"] == "13800000001"
    assert all("*" in f["owner_id_no"] for f in flats)

    buildings = await client.get(f"/api/v1/communities/{community['id']}/buildings", headers=bureau)
    new = next(b for b in buildings.json()["items"] if b["name"] == "2号楼")
    assert (new["floors"], new["has_elevator"]) == (7, True)

    audit = await AuditEntry.select().where(
        (AuditEntry.action == "household.import") & (AuditEntry.entity_id == community["id"])
    )
    assert len(audit) == 1
    after = audit[0]["after"]
    after = json.loads(after) if isinstance(after, str) else after
    assert after == {"rows": 5, "buildings_created": 1, "owners_created": 4}


async def test_a_good_xlsx_with_a_title_row_and_numeric_cells_imports_every_row(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    rows = [
        ["1号楼", 1, 101, 86.4, "周五", new_id_no(), 13800000005, None, None],
        ["1号楼", 1, 102, 60, "吴六", new_id_no(), None, None, None],
        ["3号楼", 2, 301, 72.15, "郑七", new_id_no(), None, 18, "是"],
    ]
    content = xlsx_bytes(rows, title="台账测试小区房屋台账")
    r = await upload(client, community["id"], world.h("bureau"), "register.xlsx", content, XLSX)
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 3, "buildings_created": 1, "owners_created": 3}
    flats = await households(client, community["id"], world.h("bureau"))
    places = sorted(
        (f["building_name"], f["unit_no"], f["room_no"], f["floor_area"]) for f in flats
    )
    assert places == [
        ("1号楼", "1", "101", "86.40"),
        ("1号楼", "1", "102", "60.00"),
        ("3号楼", "2", "301", "72.15"),
    ]
    assert next(f for f in flats if f["room_no"] == "101")["owner_phone"] == "13800000005"


async def test_a_gbk_encoded_csv_from_chinese_excel_imports(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    rows = [["1号楼", "1", "101", "86.40", "欧阳娜", new_id_no(), "", "", ""]]
    r = await upload(
        client, community["id"], world.h("bureau"), "gbk.csv", csv_bytes(rows, encoding="gbk")
    )
    assert r.status_code == 201, r.text
    flats = await households(client, community["id"], world.h("bureau"))
    assert [f["owner_name"] for f in flats] == ["欧阳娜"]


async def test_a_utf8_csv_with_bom_and_english_headers_imports(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    rows = [["1号楼", "1", "101", "86.40", "冯八", new_id_no(), "", "", ""]]
    content = csv_bytes(rows, header=ENGLISH, encoding="utf-8-sig")
    assert content.startswith(b"\xef\xbb\xbf")
    r = await upload(client, community["id"], world.h("bureau"), "en.csv", content)
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 1


async def test_a_file_with_three_bad_rows_names_each_and_writes_nothing(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    good = new_id_no()
    bad_checksum = good[:17] + ("1" if good[17] == "0" else "0")
    rows = [
        ["2号楼", "1", "101", "86.40", "陈九", new_id_no(), "", "6", "否"],  # row 2: fine
        ["1号楼", "1", "102", "60.123", "褚十", new_id_no(), "", "", ""],  # row 3: 3 decimals
        ["1号楼", "1", "103", "70", "卫一", new_id_no(), "", "", ""],  # row 4: fine
        ["1号楼", "1", "104", "70", "蒋二", bad_checksum, "", "", ""],  # row 5: checksum
        ["1号楼", "1", "", "70", "沈三", new_id_no(), "", "", ""],  # row 6: no room
    ]
    r = await upload(client, community["id"], world.h("bureau"), "bad.csv", csv_bytes(rows))
    errors = errors_of(r)
    assert errors == {
        "第3行 建筑面积": "最多两位小数",
        "第5行 身份证号": "不是有效的身份证号或统一社会信用代码",
        "第6行 房号": "不能为空",
    }
    assert "3 行有误" in r.json()["detail"]
    assert await count(client, community["id"], world.h("bureau")) == 0
    buildings = await client.get(
        f"/api/v1/communities/{community['id']}/buildings", headers=world.h("bureau")
    )
    assert [b["name"] for b in buildings.json()["items"]] == ["1号楼"]


async def test_an_identity_number_excel_turned_into_scientific_notation_says_so(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    rows = [["1号楼", "1", "101", "86.40", "金六", "4.10302E+17", "", "", ""]]
    r = await upload(client, community["id"], world.h("bureau"), "sci.csv", csv_bytes(rows))
    assert "科学计数法" in errors_of(r)["第2行 身份证号"]


async def test_a_room_listed_twice_in_the_file_is_a_row_error(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    rows = [
        ["1号楼", "1", "101", "86.40", "韩四", new_id_no(), "", "", ""],
        ["1号楼", "1", "101", "60.00", "杨五", new_id_no(), "", "", ""],
    ]
    r = await upload(client, community["id"], world.h("bureau"), "dup.csv", csv_bytes(rows))
    assert errors_of(r) == {"第3行 房号": "与第2行重复（楼栋、单元、房号相同）"}
    assert await count(client, community["id"], world.h("bureau")) == 0


async def test_a_room_already_registered_is_a_row_error_not_a_conflict(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    rows = [["1号楼", "1", "101", "86.40", "朱六", new_id_no(), "", "", ""]]
    first = await upload(client, community["id"], world.h("bureau"), "a.csv", csv_bytes(rows))
    assert first.status_code == 201, first.text
    rows.append(["1号楼", "1", "102", "60.00", "秦七", new_id_no(), "", "", ""])
    again = await upload(client, community["id"], world.h("bureau"), "a.csv", csv_bytes(rows))
    assert errors_of(again) == {"第2行 房号": "该房屋已登记（楼栋、单元、房号相同）"}
    assert await count(client, community["id"], world.h("bureau")) == 1


async def test_one_identity_number_under_two_names_is_a_row_error(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    shared = new_id_no()
    rows = [
        ["1号楼", "1", "101", "86.40", "尤八", shared, "", "", ""],
        ["1号楼", "1", "102", "60.00", "许九", shared, "", "", ""],
        # the world's owner P1 is 张伟
        ["1号楼", "1", "103", "60.00", "张伟伟", world.ids["p1_id_no"], "", "", ""],
    ]
    r = await upload(client, community["id"], world.h("bureau"), "names.csv", csv_bytes(rows))
    assert errors_of(r) == {
        "第3行 业主姓名": "与第2行身份证号相同，但业主姓名不同",
        "第4行 业主姓名": "该身份证号已登记为业主“张伟”，姓名不一致",
    }


async def test_an_owner_already_registered_is_reused_not_created(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    rows = [["1号楼", "1", "101", "86.40", "张伟", world.ids["p1_id_no"], "", "", ""]]
    r = await upload(client, community["id"], world.h("bureau"), "p1.csv", csv_bytes(rows))
    assert r.status_code == 201, r.text
    assert r.json()["owners_created"] == 0
    flats = await households(client, community["id"], world.h("bureau"))
    h1 = await client.get(f"/api/v1/households/{world.ids['h1']}", headers=world.h("bureau"))
    assert flats[0]["owner_id"] == h1.json()["owner_id"]


async def test_a_new_building_without_total_floors_is_a_row_error(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    rows = [
        ["1号楼", "1", "101", "86.40", "何一", new_id_no(), "", "", ""],
        ["9号楼", "1", "101", "60.00", "吕二", new_id_no(), "", "", "也许"],
    ]
    r = await upload(client, community["id"], world.h("bureau"), "new.csv", csv_bytes(rows))
    assert errors_of(r) == {
        "第3行 总层数": "楼栋“9号楼”尚未登记，需填写总层数",
        "第3行 电梯": "应填“是”或“否”",
    }


async def test_random_bytes_named_xlsx_answer_422_not_500(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    r = await upload(
        client, community["id"], world.h("bureau"), "register.xlsx", b"\x00\x17garbage" * 500, XLSX
    )
    assert errors_of(r) == {"file": "无法读取的 XLSX 文件"}
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    r = await upload(client, community["id"], world.h("bureau"), "zip.xlsx", zipped.getvalue())
    assert errors_of(r) == {"file": "无法读取的 XLSX 文件"}


async def test_a_header_missing_required_columns_answers_422_naming_them(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    content = csv_bytes([["1号楼", "1", "101", "86.40"]], header=["楼栋", "单元", "房号", "面积"])
    r = await upload(client, community["id"], world.h("bureau"), "cols.csv", content)
    assert set(errors_of(r)) == {"业主姓名", "身份证号"}
    assert "业主姓名、身份证号" in r.json()["detail"]


async def test_an_empty_file_or_a_header_alone_answers_422(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    r = await upload(client, community["id"], world.h("bureau"), "empty.csv", b"")
    assert errors_of(r) == {"file": "文件为空"}
    r = await upload(client, community["id"], world.h("bureau"), "head.csv", csv_bytes([]))
    assert errors_of(r) == {"file": "文件中没有数据行"}


async def test_a_file_that_is_neither_csv_nor_xlsx_answers_415(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    r = await upload(
        client, community["id"], world.h("bureau"), "register.pdf", b"%PDF-1.4", "application/pdf"
    )
    assert r.status_code == 415, r.text
    assert "CSV" in r.json()["detail"]
    r = await upload(
        client, community["id"], world.h("bureau"), "old.xls", b"\xd0\xcf", "application/x-xls"
    )
    assert r.status_code == 415
    assert ".xls" in r.json()["detail"]


async def test_more_than_20000_rows_answers_422(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    rows = [["1号楼", "1", str(i), "50", "某某", "x", "", "", ""] for i in range(20_001)]
    r = await upload(client, community["id"], world.h("bureau"), "big.csv", csv_bytes(rows))
    errors = errors_of(r)
    assert "20000" in errors["file"]


async def test_an_upload_over_10_mb_answers_413_and_writes_nothing(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    row = ["1号楼", "1", "101", "86.40", "张三", new_id_no(), "", "", ""]
    content = csv_bytes([row]) + b"#" * (11 * 1024 * 1024)
    r = await upload(client, community["id"], world.h("bureau"), "huge.csv", content)
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await count(client, community["id"], world.h("bureau")) == 0


@pytest.mark.parametrize("role", ["company", "committee", "auditor", "owner1"])
async def test_only_the_bureau_may_import(
    client: httpx.AsyncClient, world: World, role: str
) -> None:
    rows = [["CA-1", "9", "901", "86.40", "曹四", new_id_no(), "", "", ""]]
    r = await upload(client, world.ids["CA"], world.h(role), "a.csv", csv_bytes(rows))
    assert r.status_code == 403, r.text


async def test_importing_into_an_unknown_community_answers_404(
    client: httpx.AsyncClient, world: World
) -> None:
    rows = [["1号楼", "1", "101", "86.40", "严五", new_id_no(), "", "", ""]]
    missing = "00000000-0000-4000-8000-000000000000"
    r = await upload(client, missing, world.h("bureau"), "a.csv", csv_bytes(rows))
    assert r.status_code == 404, r.text


async def test_a_committee_cannot_export_another_community(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.get(
        f"/api/v1/communities/{world.ids['CB']}/households.xlsx", headers=world.h("committee")
    )
    assert r.status_code == 404, r.text
    r = await client.get(
        f"/api/v1/communities/{world.ids['CA']}/households.xlsx", headers=world.h("owner1")
    )
    assert r.status_code == 403


def read_xlsx(content: bytes) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


async def test_export_is_a_readable_xlsx_with_masked_identity_numbers(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    rows = good_rows()
    rows.append(["10号楼", "1", "1001", "40", '=HYPERLINK("x")', new_id_no(), "", "3", ""])
    r = await upload(client, community["id"], world.h("bureau"), "a.csv", csv_bytes(rows))
    assert r.status_code == 201, r.text

    for role in ("bureau", "auditor"):
        r = await client.get(
            f"/api/v1/communities/{community['id']}/households.xlsx", headers=world.h(role)
        )
        assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    assert r.headers["content-disposition"].startswith("attachment;")
    assert f"households-{community['code']}.xlsx" in r.headers["content-disposition"]
    table = read_xlsx(r.content)
    assert table[0] == (*HEADER, "楼层")
    assert [row[:3] for row in table[1:]] == [
        ("1号楼", "1", "101"),
        ("1号楼", "1", "102"),
        ("1号楼", "2", "101"),
        ("2号楼", "1", "101"),
        ("2号楼", "1", "102"),
        ("10号楼", "1", "1001"),
    ]
    first = table[1]
    assert first[3] == pytest.approx(86.4)
    assert first[4:7] == ("赵一", mask_id_no(rows[0][5]), "13800000001")
    assert table[4][7:] == (7, "是", None)
    assert table[6][4] == '=HYPERLINK("x")'  # text, not a live formula
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist())
    for row in rows:
        assert row[5].encode() not in xml
    assert b"<f>" not in xml

    committee = await client.get(
        f"/api/v1/communities/{world.ids['CA']}/households.xlsx", headers=world.h("committee")
    )
    assert committee.status_code == 200, committee.text
    names = {row[4] for row in read_xlsx(committee.content)[1:]}
    assert {"张伟", "李娜"} <= names


async def test_two_thousand_rows_import_in_one_request(
    client: httpx.AsyncClient, world: World, community: dict[str, str]
) -> None:
    owners = [("业主" + str(i), new_id_no()) for i in range(1500)]
    rows = [
        [
            f"{i % 20 + 1}号楼",
            str(i % 4 + 1),
            str(1000 + i),
            "75.25",
            *owners[i % 1500],
            "",
            "6",
            "",
        ]
        for i in range(2000)
    ]
    r = await upload(client, community["id"], world.h("bureau"), "big.csv", csv_bytes(rows))
    assert r.status_code == 201, r.text
    assert r.json() == {"imported": 2000, "buildings_created": 19, "owners_created": 1500}
    assert await count(client, community["id"], world.h("bureau")) == 2000


async def test_the_command_line_import_reports_a_summary_or_every_row_error(
    world: World,
    community: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def nothing() -> None:
        return None

    # The test session owns the database connection; the CLI must not close it.
    monkeypatch.setattr(household_import, "open_database", nothing)
    monkeypatch.setattr(household_import, "close_database", nothing)
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(good_rows()[:2]))
    assert await household_import.import_file_cli(community["code"], good) == 0
    out = capsys.readouterr().out
    assert "已导入 2 户" in out and "imported 2 households" in out

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["1号楼", "1", "101", "1.234", "某", "123", "", "", ""]]))
    assert await household_import.import_file_cli(community["code"], bad) == 1
    err = capsys.readouterr().err
    assert "第2行 建筑面积: 最多两位小数" in err
    assert "第2行 身份证号" in err

    assert await household_import.import_file_cli("NO-SUCH-CODE", good) == 1
    assert "NO-SUCH-CODE" in capsys.readouterr().err
    audit = await AuditEntry.select(AuditEntry.actor_name).where(
        (AuditEntry.action == "household.import") & (AuditEntry.entity_id == community["id"])
    )
    assert audit == [{"actor_name": "system"}]
