"""Excel twins of the documents (issue 14 item 3): the same tables as the PDF, for
people who paste them elsewhere. Amounts are numbers with two decimals and thousands
separators (never text, never floats computed here: integer fen → Decimal yuan), each
sheet's header row is frozen, and sheets have Chinese names."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
# Sheet names: at most 31 characters, none of []:*?/\
_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass
class Money:
    """An amount in fen, shown in yuan with two decimals."""

    fen: int


@dataclass
class Area:
    """An area in hundredths of m², shown in m² with two decimals."""

    hundredths: int


@dataclass
class Sheet:
    """One table: a Chinese title, the header row and the rows. Cells are text, int,
    ``Money``/``Area`` (two-decimal numbers), dates or None. ``notes`` go under the
    table (the issuing body, the date, the verification line)."""

    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _cell_value(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, Money):
        return Decimal(value.fen).scaleb(-2), MONEY_FORMAT
    if isinstance(value, Area):
        return Decimal(value.hundredths).scaleb(-2), MONEY_FORMAT
    if isinstance(value, bool):
        return ("是" if value else "否"), None
    if isinstance(value, int):
        return value, COUNT_FORMAT
    return value, None


def workbook(sheets: list[Sheet]) -> bytes:
    """The sheets as an .xlsx file."""
    book = Workbook()
    book.remove(book.active)
    header_fill = PatternFill("solid", fgColor="E4E4E4")
    for sheet in sheets:
        ws = book.create_sheet(sheet.title.translate(_FORBIDDEN)[:31])
        ws.append(sheet.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths = [max(8, len(h) * 2 + 2) for h in sheet.headers]
        for row in sheet.rows:
            values = [_cell_value(v) for v in row]
            ws.append([v for v, _ in values])
            for column, (value, number_format) in enumerate(values, start=1):
                cell = ws.cell(row=ws.max_row, column=column)
                if number_format:
                    cell.number_format = number_format
                    cell.alignment = Alignment(horizontal="right")
                shown = len(str(value)) + (4 if number_format == MONEY_FORMAT else 0)
                if column <= len(widths):
                    widths[column - 1] = min(60, max(widths[column - 1], shown + 2))
        if sheet.notes:
            ws.append([])
            for note in sheet.notes:
                ws.append([note])
        for column, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(column)].width = width
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
