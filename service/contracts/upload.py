"""Service records from a CSV or XLSX file: one row per record, all rows or none.

Header row (first non-empty row): 日期, 类别, 内容, 地点 (or performed_on, category,
description, place). The category may be its code or its Chinese name. The file's
SHA-256 is its batch key, so uploading the same file twice records it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from typing import Any

from service.auth.roles import Caller
from service.contracts import rules, schemas
from service.contracts.records import add_batch, writable_contract
from service.errors import InputError, InputErrors
from service.registry.household_import import csv_rows, file_kind, xlsx_rows

HEADERS = {
    "日期": "performed_on",
    "服务日期": "performed_on",
    "performed_on": "performed_on",
    "类别": "category",
    "category": "category",
    "内容": "description",
    "描述": "description",
    "description": "description",
    "地点": "place",
    "place": "place",
}
TITLES = {"performed_on": "日期", "category": "类别", "description": "内容", "place": "地点"}
LABELS = {label: code for code, label in rules.RECORD_CATEGORIES.items()}


def _date(text: str) -> date | None:
    candidate = text.strip()[:10].replace("/", "-").replace(".", "-")
    parts = candidate.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _cell(row: list[str], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    return row[index].strip() if index is not None and index < len(row) else ""


def parse_records(
    filename: str, content_type: str | None, content: bytes
) -> list[tuple[int, schemas.ServiceRecordIn]]:
    """(spreadsheet row number, record) for every data row; 422 listing each bad cell."""
    rows: Iterator[list[str]] = (
        csv_rows(content) if file_kind(filename, content_type) == "csv" else xlsx_rows(content)
    )
    columns: dict[str, int] | None = None
    parsed: list[tuple[int, schemas.ServiceRecordIn]] = []
    errors: list[dict[str, str]] = []
    for line, cells in enumerate(rows, start=1):
        if not any(cells):
            continue
        if columns is None:
            columns = {HEADERS[c.strip()]: i for i, c in enumerate(cells) if c.strip() in HEADERS}
            missing = [
                TITLES[k] for k in ("performed_on", "category", "description") if k not in columns
            ]
            if missing:
                raise InputError(
                    "file", "表头缺少列：" + "、".join(missing) + "（应为 日期、类别、内容、地点）"
                )
            continue
        if len(parsed) + len(errors) >= rules.MAX_BATCH:
            raise InputError("file", f"每个文件最多 {rules.MAX_BATCH} 条记录，请拆分后上传")

        values = {key: _cell(cells, columns, key) for key in TITLES}
        performed_on = _date(values["performed_on"])
        if performed_on is None:
            errors.append({"field": f"第{line}行 日期", "message": "应为 YYYY-MM-DD 格式的日期"})
            continue
        category = LABELS.get(values["category"], values["category"])
        description = values["description"]
        if not description:
            errors.append({"field": f"第{line}行 内容", "message": "不能为空"})
            continue
        parsed.append(
            (
                line,
                schemas.ServiceRecordIn(
                    performed_on=performed_on,
                    category=category,
                    description=description[:2000],
                    place=values["place"][:200],
                ),
            )
        )
    if columns is None:
        raise InputError("file", "文件是空的：第一行应为表头 日期、类别、内容、地点")
    if errors:
        raise InputErrors(f"文件有 {len(errors)} 处错误，未导入任何记录。", errors)
    if not parsed:
        raise InputError("file", "文件中没有记录")
    return parsed


async def import_records(
    caller: Caller, contract_id: str, filename: str, content_type: str | None, content: bytes
) -> schemas.ServiceRecordBatchOut:
    """All rows or none; the same file again gives the first result."""
    await writable_contract(caller, contract_id)
    parsed = parse_records(filename, content_type, content)
    lines = [line for line, _ in parsed]
    batch = schemas.ServiceRecordBatchIn(
        batch_key="file-" + hashlib.sha256(content).hexdigest()[:40],
        records=[record for _, record in parsed],
    )
    try:
        return await add_batch(caller, contract_id, batch)
    except InputErrors as exc:
        raise InputErrors(str(exc.detail), [_by_line(e, lines) for e in exc.extra or []]) from None


def _by_line(error: Any, lines: list[int]) -> dict[str, str]:
    """``records[3].category`` → ``第5行 类别``, as a person sees it in the sheet."""
    field = str(error.get("field", ""))
    if field.startswith("records[") and "]." in field:
        index, key = field[len("records[") :].split("].", 1)
        return {
            "field": f"第{lines[int(index)]}行 {TITLES.get(key, key)}",
            "message": error["message"],
        }
    return {"field": field, "message": str(error.get("message", ""))}
