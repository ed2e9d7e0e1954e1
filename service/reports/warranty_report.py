"""The warranty and repair report of a community (DOMAIN "Warranty", "Repairs"): each
renovation work with its contractor, acceptance date, settlement and retention money;
each component with the day its warranty ends; the repair tickets still open, which of
them are overdue, and who pays for each. Published to the community: no owners' names,
tickets are placed by building and part only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from service.clock import now, today
from service.db import fetch
from service.reports import excel
from service.reports.fund_statement import _as_date, _local_date, chain_of, community_header
from service.warranty.pages import RESPONSIBLE_NAMES
from service.warranty.rules import CATEGORY_NAMES, OPEN_STATUSES, STATUS_NAMES

PART_NAMES = {"private": "专有部分", "common": "共有部分"}


@dataclass
class Component:
    work: str
    category: str
    warranty_until: date
    in_warranty: bool


@dataclass
class Ticket:
    reported_on: str
    place: str
    category: str
    status: str
    responsible: str
    due_on: str
    overdue: bool


@dataclass
class WarrantyReport:
    community: dict[str, Any]
    as_of: date
    works: list[dict[str, Any]]
    components: list[Component]
    open_tickets: list[Ticket]
    by_payer: list[tuple[str, int, int]]  # who pays, open, of which overdue
    closed_count: int
    chain_seq: int
    chain_head: str
    issuer: str

    @property
    def overdue_count(self) -> int:
        return sum(1 for t in self.open_tickets if t.overdue)


async def build_warranty_report(community_id: UUID) -> WarrantyReport:
    header = await community_header(community_id)
    seq, head = await chain_of(community_id)
    day = today()
    works = [
        {
            "id": w["id"],
            "title": str(w["title"]),
            "contractor": str(w["contractor"]),
            "accepted_on": _as_date(w["accepted_on"]),
            "settlement": int(w["settlement_fen"]),
            "retention": int(w["retention_fen"]),
        }
        for w in await fetch(
            "SELECT w.id AS id, w.title AS title, o.name AS contractor,"
            " w.accepted_on AS accepted_on, w.settlement_fen AS settlement_fen,"
            " w.retention_fen AS retention_fen FROM work AS w"
            " JOIN organization AS o ON o.id = w.contractor WHERE w.community = {}"
            " ORDER BY w.accepted_on, w.title",
            community_id,
        )
    ]
    titles = {str(w["id"]): w["title"] for w in works}
    components = [
        Component(
            work=titles.get(str(c["work"]), ""),
            category=CATEGORY_NAMES.get(str(c["category"]), str(c["category"])),
            warranty_until=_as_date(c["warranty_until"]),
            in_warranty=_as_date(c["warranty_until"]) >= day,
        )
        for c in await fetch(
            "SELECT work, category, warranty_until FROM work_component WHERE community = {}"
            " ORDER BY warranty_until, category",
            community_id,
        )
    ]
    at = now()
    open_tickets = []
    closed = 0
    for t in await fetch(
        "SELECT t.status AS status, t.category AS category, t.part AS part,"
        " t.responsible_kind AS responsible_kind, t.reported_at AS reported_at,"
        " t.due_at AS due_at, b.name AS building FROM repair_ticket AS t"
        " LEFT JOIN building AS b ON b.id = t.building WHERE t.community = {}"
        " ORDER BY t.due_at",
        community_id,
    ):
        if str(t["status"]) not in OPEN_STATUSES:
            closed += 1
            continue
        due = t["due_at"]
        overdue = _moment(due) < at
        place = " ".join(
            p
            for p in (str(t["building"] or "小区公共区域"), PART_NAMES.get(str(t["part"]), ""))
            if p
        )
        open_tickets.append(
            Ticket(
                reported_on=_local_date(t["reported_at"]).isoformat(),
                place=place,
                category=CATEGORY_NAMES.get(str(t["category"]), str(t["category"])),
                status=STATUS_NAMES.get(str(t["status"]), str(t["status"])),
                responsible=RESPONSIBLE_NAMES.get(
                    str(t["responsible_kind"]), str(t["responsible_kind"])
                ),
                due_on=_local_date(due).isoformat(),
                overdue=bool(overdue),
            )
        )
    opened = Counter(t.responsible for t in open_tickets)
    late = Counter(t.responsible for t in open_tickets if t.overdue)
    return WarrantyReport(
        community=header,
        as_of=day,
        works=works,
        components=components,
        open_tickets=open_tickets,
        by_payer=[(payer, count, late[payer]) for payer, count in sorted(opened.items())],
        closed_count=closed,
        chain_seq=seq,
        chain_head=head,
        issuer=f"{header['district_name']}住房和城乡建设局",
    )


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def warranty_workbook(r: WarrantyReport) -> bytes:
    footer = [f"{r.community['name']} 截至 {r.as_of}", f"发布单位：{r.issuer}"]
    return excel.workbook(
        [
            excel.Sheet(
                "改造工程",
                ["工程", "施工单位", "竣工验收日期", "结算金额（元）", "质量保证金（元）"],
                [
                    [
                        w["title"],
                        w["contractor"],
                        w["accepted_on"],
                        excel.Money(w["settlement"]),
                        excel.Money(w["retention"]),
                    ]
                    for w in r.works
                ],
                footer,
            ),
            excel.Sheet(
                "保修部位",
                ["工程", "部位", "保修期至", "是否在保修期内"],
                [[c.work, c.category, c.warranty_until, c.in_warranty] for c in r.components],
                footer,
            ),
            excel.Sheet(
                "未完成报修",
                ["报修日期", "位置", "类别", "状态", "责任方（谁付费）", "应完成日期", "是否超期"],
                [
                    [
                        t.reported_on,
                        t.place,
                        t.category,
                        t.status,
                        t.responsible,
                        t.due_on,
                        t.overdue,
                    ]
                    for t in r.open_tickets
                ],
                footer,
            ),
        ]
    )
