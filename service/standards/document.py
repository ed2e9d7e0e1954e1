"""The standards matrix as documents for the monthly meeting (月例会): a PDF (WeasyPrint,
``templates/documents/standards_matrix.html``) and its Excel twin (openpyxl)."""

from __future__ import annotations

import asyncio
from io import BytesIO
from typing import Any
from uuid import UUID

from service.registry.tables import District
from service.reports.render import render_pdf
from service.standards import rules, schemas, views

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# One colour per cell state, the same on the page, in the PDF and in Excel.
COLOURS = {
    rules.MET: "C6EFCE",
    rules.NOT_MET: "FFEB9C",
    rules.OVERDUE: "FFC7CE",
    rules.NA: "E7E6E6",
    rules.NOT_INSPECTED: "FFFFFF",
}
MARKS = {
    rules.MET: "✓",
    rules.NOT_MET: "✗",
    rules.OVERDUE: "!",
    rules.NA: "—",
    rules.NOT_INSPECTED: "",
}


async def matrices(district_id: UUID, quarter: str) -> dict[str, Any]:
    """Both matrices of a quarter with the district's name and the last four quarters'
    history: the context of the page and of the documents."""
    district = await District.select(District.name).where(District.id == district_id).first()
    quarters = rules.previous_quarters(quarter, 4)
    return {
        "district": district["name"] if district else "",
        "quarter": quarter,
        "community": await views.matrix(district_id, rules.COMMUNITY, quarter),
        "area": await views.matrix(district_id, rules.AREA, quarter),
        "history": await views.history(district_id, rules.COMMUNITY, quarters),
        "area_history": await views.history(district_id, rules.AREA, quarters),
        "colours": COLOURS,
        "marks": MARKS,
        "legend": rules.CELL_NAMES,
    }


async def matrix_pdf(district_id: UUID, quarter: str) -> bytes:
    return await render_pdf("documents/standards_matrix.html", await matrices(district_id, quarter))


def _sheet(workbook: Any, title: str, table: schemas.MatrixOut) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    sheet = workbook.create_sheet(title)
    head = ["代码", "名称", "所属片区"] + [f"{c.group_name}·{c.name}" for c in table.columns]
    head += ["达标项", "已检查项", "逾期整改", "最近检查"]
    sheet.append(head)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        values: list[Any] = [row.code, row.name, row.area_name or ""]
        values += [rules.CELL_NAMES[row.cells[c.code]] for c in table.columns]
        values += [row.met, row.inspected, row.overdue, row.last_inspected_on]
        sheet.append(values)
        for offset, column in enumerate(table.columns):
            state = row.cells[column.code]
            sheet.cell(row=sheet.max_row, column=4 + offset).fill = PatternFill(
                "solid", fgColor=COLOURS[state]
            )
    sheet.freeze_panes = "D2"


def _workbook(context: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    _sheet(workbook, "小区标准", context["community"])
    _sheet(workbook, "片区标准", context["area"])
    history = workbook.create_sheet("季度历史")
    history.append(
        [
            "层级",
            "季度",
            "对象数",
            "已检查对象",
            "已检查项",
            "达标项",
            "未达标项",
            "新开整改",
            "逾期整改",
        ]
    )
    for label, table in (("小区", context["history"]), ("片区", context["area_history"])):
        for q in table.quarters:
            history.append(
                [
                    label,
                    q.quarter,
                    q.places,
                    q.places_inspected,
                    q.items_inspected,
                    q.items_met,
                    q.items_not_met,
                    q.tasks_opened,
                    q.tasks_overdue,
                ]
            )
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


async def matrix_xlsx(district_id: UUID, quarter: str) -> bytes:
    context = await matrices(district_id, quarter)
    return await asyncio.to_thread(_workbook, context)
