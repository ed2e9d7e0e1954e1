"""One household's yearly fund statement, as its owner downloads it (165号令 art. 33:
owners may query their own account): the opening balance, every journal line of the
year with the owner at the time, the closing balance, and what is owed (自筹 not yet
settled, and the replenishment line). An owner's own document: full names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from service.db import fetch
from service.funds.reads import HOUSEHOLD_LINES, household_fund
from service.registry.rules import household_label
from service.reports import excel
from service.reports.fund_statement import _as_date, chain_of, community_header

KIND_NAMES = {
    "first_deposit": "首期交存",
    "replenish": "续交",
    "interest": "利息",
    "income": "公共收益",
    "use": "维修资金使用",
    "refund": "退还",
    "reversal": "冲正",
}


@dataclass
class Line:
    seq: int
    value_date: str
    kind: str
    memo: str
    owner_name: str
    amount: int
    balance: int


@dataclass
class HouseholdStatement:
    community: dict[str, Any]
    year: int
    label: str
    floor_area: int
    owner_name: str
    opening: int
    lines: list[Line]
    closing: int
    fund: Any  # funds.schemas.HouseholdFundOut (the API's figures now)
    self_funded: list[dict[str, Any]]
    chain_seq: int
    chain_head: str
    issuer: str


async def build_household_statement(household: dict[str, Any], year: int) -> HouseholdStatement:
    """``household`` is a row the caller may see (``Scope.household``)."""
    household_id = UUID(str(household["id"]))
    rows = await fetch(
        "SELECT h.community AS community, b.name AS building, h.unit_no AS unit_no,"
        " h.room_no AS room_no, h.floor_area AS floor_area, o.name AS owner_name"
        " FROM household AS h JOIN building AS b ON b.id = h.building"
        " JOIN owner AS o ON o.id = h.owner WHERE h.id = {}",
        household_id,
    )
    row = rows[0]
    community_id = UUID(str(row["community"]))
    header = await community_header(community_id)
    seq, head = await chain_of(community_id)
    entries = await fetch(
        "SELECT e.seq AS seq, e.kind AS kind, e.value_date AS value_date,"
        " e.book_year AS book_year, e.memo AS memo, o.name AS owner_name,"
        " l.principal_delta + l.interest_delta AS amount"
        " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
        " LEFT JOIN owner AS o ON o.id = l.owner"
        f" WHERE {HOUSEHOLD_LINES} AND e.seq <= {{}} AND e.book_year <= {{}} ORDER BY e.seq",
        household_id,
        seq,
        year,
    )
    opening = sum(int(e["amount"]) for e in entries if int(e["book_year"]) < year)
    balance = opening
    lines = []
    for e in entries:
        if int(e["book_year"]) < year:
            continue
        balance += int(e["amount"])
        lines.append(
            Line(
                seq=int(e["seq"]),
                value_date=_as_date(e["value_date"]).isoformat(),
                kind=KIND_NAMES.get(str(e["kind"]), str(e["kind"])),
                memo=str(e["memo"] or ""),
                owner_name=str(e["owner_name"] or ""),
                amount=int(e["amount"]),
                balance=balance,
            )
        )
    owed = await fetch(
        "SELECT u.title AS title, SUM(s.amount_fen) AS amount FROM fund_self_funded AS s"
        " JOIN fund_use AS u ON u.id = s.fund_use JOIN household AS h ON h.id = s.household"
        " WHERE s.household = {} AND s.owner = h.owner GROUP BY u.title ORDER BY u.title",
        household_id,
    )
    return HouseholdStatement(
        community=header,
        year=year,
        label=household_label(str(row["building"]), str(row["unit_no"]), str(row["room_no"])),
        floor_area=int(row["floor_area"]),
        owner_name=str(row["owner_name"]),
        opening=opening,
        lines=lines,
        closing=balance,
        fund=await household_fund(household),
        self_funded=[{"title": str(o["title"]), "amount": int(o["amount"])} for o in owed],
        chain_seq=seq,
        chain_head=head,
        issuer=f"{header['district_name']}住房和城乡建设局",
    )


def household_workbook(s: HouseholdStatement) -> bytes:
    """The statement's lines as Excel (分户账明细, 应缴自筹)."""
    footer = [
        f"{s.community['name']} {s.label} 业主 {s.owner_name} {s.year} 年度",
        f"发布单位：{s.issuer}",
        f"核验：账本第 {s.chain_seq} 笔分录链头 {s.chain_head}",
    ]
    lines = excel.Sheet(
        "分户账明细",
        ["记账日期", "序号", "类别", "摘要", "记账时业主", "金额（元）", "余额（元）"],
        [["年初", None, "年初余额", "", "", None, excel.Money(s.opening)]]
        + [
            [
                line.value_date,
                line.seq,
                line.kind,
                line.memo,
                line.owner_name,
                excel.Money(line.amount),
                excel.Money(line.balance),
            ]
            for line in s.lines
        ]
        + [["年末", None, "年末余额", "", "", None, excel.Money(s.closing)]],
        footer,
    )
    owed = excel.Sheet(
        "应缴自筹",
        ["使用项目", "自筹金额（元）"],
        [[o["title"], excel.Money(o["amount"])] for o in s.self_funded],
        footer,
    )
    return excel.workbook([lines, owed])
