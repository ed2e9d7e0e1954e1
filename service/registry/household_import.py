"""The household register (房屋台账): import a community's CSV/XLSX ledger, export it as XLSX.

Import is all rows or none: every row is checked first (cells, area, identity number,
duplicates within the file and against the register, one name per identity number), and
a file with any bad row answers 422 listing each bad row as a person sees it in Excel
(header = row 1). A good file is written in one transaction with one audit entry.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import openpyxl
from litestar.exceptions import HTTPException
from openpyxl.cell import WriteOnlyCell
from piccolo.custom_types import Combinable

from service.audit.service import record
from service.auth.bootstrap import home_district_id
from service.auth.roles import Caller
from service.clock import now, today
from service.config import get_settings
from service.db import close_database, open_database, transaction
from service.errors import InputError, InputErrors
from service.registry import schemas
from service.registry.rules import id_digest, mask_id_no, normalise_id_no
from service.registry.tables import Building, Community, Household, Owner, Ownership
from service.units import format_area, parse_area

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 20_000
CHUNK = 500
MAX_LISTED_ERRORS = 1_000
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common in 台账 files
MAX_BLANK_RUN = 1_000  # that many blank rows in a row end the data
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

# (key, title, required, max length, other header spellings accepted)
COLUMNS: tuple[tuple[str, str, bool, int, tuple[str, ...]], ...] = (
    ("building", "楼栋", True, 60, ("楼栋号", "楼号", "栋号", "幢号", "楼幢")),
    ("unit_no", "单元", True, 20, ("单元号",)),
    ("room_no", "房号", True, 20, ("房间号", "室号", "门牌号")),
    ("floor_area", "建筑面积", True, 30, ("面积",)),
    ("owner_name", "业主姓名", True, 100, ("业主", "姓名", "产权人")),
    ("owner_id_no", "身份证号", True, 40, ("身份证号码", "证件号码", "证件号")),
    ("owner_phone", "联系电话", False, 30, ("电话", "手机", "手机号")),
    ("floors", "总层数", False, 10, ("层数",)),
    ("has_elevator", "电梯", False, 10, ("有无电梯", "是否有电梯")),
    ("floor", "楼层", False, 10, ("所在楼层", "所在层")),
)
TITLES = {key: title for key, title, *_ in COLUMNS}
ORDER = {key: i for i, (key, *_) in enumerate(COLUMNS)}
_HEADER_KEYS = {
    spelling: key for key, title, _, _, others in COLUMNS for spelling in (key, title, *others)
}
_YES = {"是", "有", "y", "yes", "true", "1"}
_NO = {"否", "无", "n", "no", "false", "0", ""}
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")  # 1.10105E+17: Excel ate the digits


@dataclass
class LedgerRow:
    """One good row of the file (identity number already reduced to digest and mask)."""

    line: int
    building: str
    unit_no: str
    room_no: str
    floor_area: int
    owner_name: str
    digest: str
    masked: str
    phone: str | None
    floors: str
    has_elevator: str
    floor: int | None


@dataclass
class Parsed:
    rows: list[LedgerRow]
    errors: list[tuple[int, str, str]]  # (line, column key, message)


# --- reading the file ----------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as the text a person sees (Excel numbers without a spurious ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        # Excel shows 15 significant digits: 0.1+0.2 is 0.3 to the person reading it.
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def file_kind(filename: str, content_type: str | None) -> str:
    """``csv`` or ``xlsx`` from the file name, else the content type; 415 otherwise."""
    suffix = Path(filename or "").suffix.lower()
    media = (content_type or "").split(";")[0].strip().lower()
    if suffix == ".csv" or (not suffix and media in ("text/csv", "application/csv")):
        return "csv"
    if suffix == ".xlsx" or (not suffix and media == XLSX_MEDIA_TYPE):
        return "xlsx"
    hint = "旧版 .xls 格式不受支持，" if suffix == ".xls" else ""
    raise HTTPException(
        status_code=415,
        detail=f"{hint}请上传 CSV（.csv）或 Excel（.xlsx）格式的台账文件。",
    )


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("file", "无法识别的 CSV 文件编码，请另存为 UTF-8 或 GBK 编码")


def csv_rows(content: bytes) -> Iterator[list[str]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        for record_ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield [cell.strip() for cell in record_]
    except csv.Error:
        raise InputError("file", "无法读取的 CSV 文件") from None


def xlsx_rows(content: bytes) -> Iterator[list[str]]:
    unreadable = InputError("file", "无法读取的 XLSX 文件")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise unreadable from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise InputError("file", "XLSX 文件解压后过大，请拆分后再导入")
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [cell_text(v) for v in values]
    except Exception:
        raise unreadable from None
    finally:
        book.close()


def _header_key(text: str) -> str | None:
    bare = re.sub(r"[（(][^）)]*[）)]", "", text)  # units such as （m²）
    bare = re.sub(r"[\s*＊:：]", "", bare).lower()
    return _HEADER_KEYS.get(bare)


def _header(table: Iterator[tuple[int, list[str]]]) -> tuple[int, dict[str, int]]:
    """Find the header among the first rows: the first naming three known columns."""
    first: tuple[int, list[str]] | None = None
    for _ in range(HEADER_SEARCH_ROWS):
        found = next(table, None)
        if found is None:
            break
        line, cells = found
        if not any(cells):
            continue
        first = first or found
        if sum(_header_key(c) is not None for c in cells) >= 3:
            first = found
            break
    if first is None:
        raise InputError("file", "文件中没有任何内容")
    line, cells = first
    columns: dict[str, int] = {}
    for index, text in enumerate(cells):
        key = _header_key(text)
        if key is None:
            continue
        if key in columns:
            raise InputError(f"第{line}行 表头", f"“{TITLES[key]}”列出现了两次")
        columns[key] = index
    missing = [title for key, title, required, *_ in COLUMNS if required and key not in columns]
    if missing:
        raise InputErrors(
            "表头缺少必需的列：" + "、".join(missing),
            [{"field": title, "message": "表头缺少这一列"} for title in missing],
        )
    return line, columns


# --- checking the rows ---------------------------------------------------------------


def parse_household_file(filename: str, content_type: str | None, content: bytes) -> Parsed:
    """Read and check every row of a ledger file (no database access)."""
    if not content:
        raise InputError("file", "文件为空")
    kind = file_kind(filename, content_type)
    raw = csv_rows(content) if kind == "csv" else xlsx_rows(content)
    table = enumerate(raw, start=1)
    _, columns = _header(table)
    parsed = Parsed(rows=[], errors=[])
    places: dict[tuple[str, str, str], int] = {}
    names: dict[str, tuple[str, int]] = {}
    blank_run = data_rows = 0
    for line, cells in table:
        if not any(cells):
            blank_run += 1
            if blank_run >= MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        data_rows += 1
        if data_rows > MAX_ROWS:
            raise InputError("file", f"数据超过 {MAX_ROWS} 行上限，请拆分后分批导入")
        row = _check_row(line, cells, columns, parsed.errors)
        if row is None:
            continue
        place = (row.building, row.unit_no, row.room_no)
        if place in places:
            parsed.errors.append(
                (line, "room_no", f"与第{places[place]}行重复（楼栋、单元、房号相同）")
            )
        else:
            places[place] = line
        seen = names.setdefault(row.digest, (row.owner_name, line))
        if seen[0] != row.owner_name:
            parsed.errors.append(
                (line, "owner_name", f"与第{seen[1]}行身份证号相同，但业主姓名不同")
            )
        parsed.rows.append(row)
    if not parsed.rows and not parsed.errors:
        raise InputError("file", "文件中没有数据行")
    return parsed


def _check_row(
    line: int, cells: list[str], columns: dict[str, int], errors: list[tuple[int, str, str]]
) -> LedgerRow | None:
    values: dict[str, str] = {}
    bad = len(errors)
    for key, _, required, limit, _ in COLUMNS:
        index = columns.get(key)
        value = cells[index] if index is not None and index < len(cells) else ""
        values[key] = value
        if required and not value:
            errors.append((line, key, "不能为空"))
        elif len(value) > limit:
            errors.append((line, key, f"不能超过 {limit} 个字符"))
    area = 0
    if values["floor_area"]:
        try:
            area = parse_area(values["floor_area"], "floor_area")
        except InputError as exc:
            errors.append((line, "floor_area", exc.extra[0]["message"]))  # type: ignore[index]
    floor = None
    if values["floor"]:
        if values["floor"].isdigit() and 1 <= int(values["floor"]) <= 120:
            floor = int(values["floor"])
        else:
            errors.append((line, "floor", "应为 1 到 120 之间的整数（1 为首层）"))
    id_no = normalise_id_no(values["owner_id_no"]) if values["owner_id_no"] else ""
    if id_no is None:
        message = "不是有效的身份证号或统一社会信用代码"
        if _SCIENTIFIC.match(values["owner_id_no"]):
            message = "身份证号被 Excel 显示成了科学计数法，请把该列设为文本格式后重新导出"
        errors.append((line, "owner_id_no", message))
    if len(errors) > bad or not id_no:
        return None
    return LedgerRow(
        line=line,
        building=values["building"],
        unit_no=values["unit_no"],
        room_no=values["room_no"],
        floor_area=area,
        owner_name=values["owner_name"],
        digest=id_digest(id_no, get_settings().id_pepper),
        masked=mask_id_no(id_no),
        phone=values["owner_phone"] or None,
        floors=values["floors"],
        has_elevator=values["has_elevator"].lower(),
        floor=floor,
    )


def _new_buildings(
    rows: list[LedgerRow], existing: dict[str, UUID], errors: list[tuple[int, str, str]]
) -> dict[str, tuple[int, bool]]:
    """Floors and lift of each building the file names that is not registered yet."""
    specs: dict[str, tuple[int | None, bool | None, int]] = {}
    for row in rows:
        if row.building in existing:
            continue
        floors, lift, first = specs.get(row.building, (None, None, row.line))
        if row.floors:
            if not row.floors.isdigit() or not 1 <= int(row.floors) <= 120:
                errors.append((row.line, "floors", "应为 1 到 120 之间的整数"))
            elif floors is not None and floors != int(row.floors):
                errors.append((row.line, "floors", f"与第{first}行同一楼栋的总层数不一致"))
            else:
                floors = int(row.floors)
        if row.has_elevator not in _YES | _NO:
            errors.append((row.line, "has_elevator", "应填“是”或“否”"))
        elif row.has_elevator:
            value = row.has_elevator in _YES
            if lift is not None and lift != value:
                errors.append((row.line, "has_elevator", f"与第{first}行同一楼栋的电梯不一致"))
            lift = value
        specs[row.building] = (floors, lift, first)
    for name, (floors, _, first) in specs.items():
        if floors is None:
            errors.append((first, "floors", f"楼栋“{name}”尚未登记，需填写总层数"))
    return {name: (floors or 0, bool(lift)) for name, (floors, lift, _) in specs.items()}


def _check_floors(
    rows: list[LedgerRow], floors: dict[str, int], errors: list[tuple[int, str, str]]
) -> None:
    """A flat's storey is at most its building's floors (registered or given in the file)."""
    for row in rows:
        top = floors.get(row.building)
        if row.floor is not None and top and row.floor > top:
            errors.append((row.line, "floor", f"超过该楼栋总层数 {top}"))


def _raise_row_errors(errors: list[tuple[int, str, str]]) -> None:
    errors.sort(key=lambda e: (e[0], ORDER[e[1]]))
    bad_rows = len({e[0] for e in errors})
    detail = f"台账有 {bad_rows} 行有误（共 {len(errors)} 处），未导入任何数据。"
    if len(errors) > MAX_LISTED_ERRORS:
        detail += f"下面只列出前 {MAX_LISTED_ERRORS} 处。"
    raise InputErrors(
        detail,
        [
            {"field": f"第{line}行 {TITLES[key]}", "message": message}
            for line, key, message in errors[:MAX_LISTED_ERRORS]
        ],
    )


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# --- import ----------------------------------------------------------------------------


async def import_households(
    caller: Caller | None,
    district_id: UUID,
    community_id: UUID,
    filename: str,
    content_type: str | None,
    content: bytes,
) -> schemas.ImportResult:
    """Import a ledger file into a community: every row, or none and a 422 naming each bad row.

    Buildings the file names that do not exist yet are created (总层数 required); owners
    are recognised across flats by their identity number's digest (one name per number);
    each household gets its first ``Ownership`` row. ``caller`` None is the system (CLI).
    """
    parsed = await asyncio.to_thread(parse_household_file, filename, content_type, content)
    rows, errors = parsed.rows, parsed.errors
    async with transaction():
        registered_buildings = await Building.select(
            Building.id, Building.name, Building.floors
        ).where(Building.community == community_id)
        buildings = {b["name"]: b["id"] for b in registered_buildings}
        registered = {
            (h["building_name"], h["unit_no"], h["room_no"])
            for h in await Household.select(
                Household.building.name.as_alias("building_name"),
                Household.unit_no,
                Household.room_no,
            ).where(Household.community == community_id)
        }
        owners: dict[str, tuple[UUID, str]] = {}
        for digests in _chunks(sorted({r.digest for r in rows})):
            for o in await Owner.select(Owner.id, Owner.name, Owner.id_digest).where(
                (Owner.district == district_id) & Owner.id_digest.is_in(digests)
            ):
                owners[o["id_digest"]] = (o["id"], o["name"])
        for row in rows:
            if (row.building, row.unit_no, row.room_no) in registered:
                errors.append((row.line, "room_no", "该房屋已登记（楼栋、单元、房号相同）"))
            stored = owners.get(row.digest)
            if stored is not None and stored[1] != row.owner_name:
                errors.append(
                    (row.line, "owner_name", f"该身份证号已登记为业主“{stored[1]}”，姓名不一致")
                )
        new_buildings = _new_buildings(rows, buildings, errors)
        _check_floors(
            rows,
            {b["name"]: b["floors"] for b in registered_buildings}
            | {name: floors for name, (floors, _) in new_buildings.items()},
            errors,
        )
        if errors:
            _raise_row_errors(errors)

        at, since = now(), today()
        for name, (floors, lift) in new_buildings.items():
            building = Building(
                community=community_id, name=name, floors=floors, has_elevator=lift, created_at=at
            )
            await Building.insert(building)
            buildings[name] = building.id
        new_owners: dict[str, Owner] = {}
        for row in rows:
            if row.digest in owners:
                continue
            owner = new_owners.get(row.digest)
            if owner is None:
                new_owners[row.digest] = Owner(
                    district=district_id,
                    name=row.owner_name,
                    id_digest=row.digest,
                    id_masked=row.masked,
                    phone=row.phone,
                    created_at=at,
                )
            elif owner.phone is None and row.phone:
                owner.phone = row.phone
        for chunk in _chunks(list(new_owners.values())):
            await Owner.insert(*chunk)
        owner_ids = {d: o.id for d, o in new_owners.items()} | {d: o[0] for d, o in owners.items()}
        households = [
            Household(
                district=district_id,
                community=community_id,
                building=buildings[row.building],
                unit_no=row.unit_no,
                room_no=row.room_no,
                floor_area=row.floor_area,
                owner=owner_ids[row.digest],
                created_at=at,
                floor=row.floor,
            )
            for row in rows
        ]
        for chunk in _chunks(households):
            await Household.insert(*chunk)
        ownerships = [
            Ownership(household=h.id, owner=h.owner, since=since, recorded_at=at)
            for h in households
        ]
        for chunk in _chunks(ownerships):
            await Ownership.insert(*chunk)
        result = schemas.ImportResult(
            imported=len(rows), buildings_created=len(new_buildings), owners_created=len(new_owners)
        )
        await record(
            caller,
            "household.import",
            "community",
            community_id,
            after={
                "rows": result.imported,
                "buildings_created": result.buildings_created,
                "owners_created": result.owners_created,
            },
            district_id=district_id,
        )
    return result


# --- export ----------------------------------------------------------------------------


def _natural(text: str) -> tuple[Any, ...]:
    """Sort key putting 2号楼 before 10号楼 and room 201 before 1001."""
    parts = re.split(r"(\d+)", text)
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def render_household_register(rows: list[dict[str, Any]]) -> bytes:
    """The ledger as an XLSX workbook (write-only mode, one sheet)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("房屋台账")
    for letter, width in zip("ABCDEFGHIJ", (12, 8, 10, 12, 14, 22, 16, 8, 6, 6), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([title for _, title, *_ in COLUMNS])

    def text(value: str | None) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        if cell.data_type == "f":  # a name like "=HYPERLINK(...)" stays text, never a formula
            cell.data_type = "s"
        return cell

    for r in rows:
        area = WriteOnlyCell(sheet, value=Decimal(format_area(r["floor_area"])))
        area.number_format = "0.00"
        sheet.append(
            [
                text(r["building_name"]),
                text(r["unit_no"]),
                text(r["room_no"]),
                area,
                text(r["owner_name"]),
                text(r["owner_id_masked"]),
                text(r["owner_phone"]),
                r["floors"],
                "是" if r["has_elevator"] else "否",
                r["floor"],
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def export_households(community_id: UUID, visible: Combinable) -> bytes:
    """A community's households as an XLSX ledger for people to read.

    Same columns as the import, but identity numbers are MASKED (only ``Owner.id_masked``
    is stored, never the full number), so the file cannot be imported back as it is: each
    row would fail the identity-number check. ``visible`` is the caller's household scope.
    """
    rows = await Household.select(
        Household.building.name.as_alias("building_name"),
        Household.building.floors.as_alias("floors"),
        Household.building.has_elevator.as_alias("has_elevator"),
        Household.unit_no,
        Household.room_no,
        Household.floor_area,
        Household.owner.name.as_alias("owner_name"),
        Household.owner.id_masked.as_alias("owner_id_masked"),
        Household.owner.phone.as_alias("owner_phone"),
        Household.floor,
    ).where((Household.community == community_id) & visible)
    rows.sort(
        key=lambda r: (_natural(r["building_name"]), _natural(r["unit_no"]), _natural(r["room_no"]))
    )
    return await asyncio.to_thread(render_household_register, rows)


# --- command line ----------------------------------------------------------------------


async def import_community_file(community_code: str, path: Path) -> int:
    """Import ``path`` into the community with this code in the first district, as the system.

    Prints a summary, or every row error; returns the exit status (0 imported, 1 not).
    """
    try:
        content = path.read_bytes()
    except OSError as exc:
        print(f"无法读取文件 (cannot read file): {exc}", file=sys.stderr)
        return 1
    district_id = await home_district_id()
    community = None
    if district_id is not None:
        community = (
            await Community.select(Community.id, Community.name)
            .where((Community.district == district_id) & (Community.code == community_code))
            .first()
        )
    if district_id is None or community is None:
        print(
            f"未找到编号为 {community_code} 的小区 (no community with code {community_code}).",
            file=sys.stderr,
        )
        return 1
    try:
        result = await import_households(
            None, district_id, community["id"], path.name, None, content
        )
    except HTTPException as exc:
        print(f"未导入 (nothing imported): {exc.detail}", file=sys.stderr)
        for error in exc.extra if isinstance(exc.extra, list) else []:
            print(f"  {error['field']}: {error['message']}", file=sys.stderr)
        return 1
    n, b, o = result.imported, result.buildings_created, result.owners_created
    print(
        f"{community['name']}：已导入 {n} 户，新建楼栋 {b} 栋，新登记业主 {o} 人 "
        f"(imported {n} households, {b} buildings and {o} owners created)."
    )
    return 0


async def import_file_cli(community_code: str, path: Path) -> int:
    """``changxiao import --community-code CODE FILE``: open the database and import."""
    await open_database()
    try:
        return await import_community_file(community_code, path)
    finally:
        await close_database()
