"""The fund-use publicity notice (维修资金使用公示, 165号令 arts. 22-24; DOMAIN "Procedure"):
the project, its cost, the apportionment by floor area, the owners' vote against the
thresholds of the community's rule, the bureau's approval, and after payment the
settlement: what each household's account paid and what its owner self-funded (自筹).

Published to the community: owners' names masked (张*明), no identity numbers, no phones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from service.db import fetch
from service.fund_uses import service as uses
from service.fund_uses.pages import RULE_NAMES, STAGE_NAMES
from service.fund_uses.rules import EMERGENCY_REASONS, STATUS_NAMES
from service.registry.rules import household_label, mask_name, natural_key
from service.reports import excel
from service.reports.fund_statement import chain_of, community_header
from service.votes.rules import VoteRule, drawn_thresholds
from service.warranty.rules import CATEGORY_NAMES


@dataclass
class NoticeShare:
    label: str
    owner: str  # masked
    floor_area: int
    share: int
    from_fund: int = 0
    self_funded: int = 0


@dataclass
class NoticeBar:
    label: str
    part: int
    whole: int
    measure: str
    rule: str
    met: bool


@dataclass
class Notice:
    community: dict[str, Any]
    use: dict[str, Any]
    category: str
    emergency_reason: str
    status_name: str
    rule_name: str
    tally: Any  # votes.rules.Tally
    bars: list[NoticeBar]
    shares: list[NoticeShare]
    payments: list[dict[str, Any]]
    from_fund: int
    self_funded: int
    chain_seq: int
    chain_head: str
    approved_on: str | None
    issuer: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def paid(self) -> int:
        return self.from_fund + self.self_funded

    @property
    def settled(self) -> bool:
        return bool(self.payments)


async def build_notice(use: dict[str, Any]) -> Notice:
    """The notice of a fund use the caller may see (``uses.visible_use``)."""
    use_id = UUID(str(use["id"]))
    community_id = UUID(str(use["community"]))
    header = await community_header(community_id)
    seq, head = await chain_of(community_id)
    tally = await uses.count_votes(use)
    bars = []
    for bar in drawn_thresholds(VoteRule(use["vote_rule"])):
        part, whole = bar.amounts(tally)
        sign = "≥" if bar.comparison == ">=" else bar.comparison
        bars.append(
            NoticeBar(
                bar.label, part, whole, bar.measure, f"{sign} {bar.num}/{bar.den}", bar.met(tally)
            )
        )
    rows = await fetch(
        "SELECT s.household AS household, b.name AS building, h.unit_no AS unit_no,"
        " h.room_no AS room_no, o.name AS owner_name, s.floor_area AS floor_area,"
        " s.share_fen AS share_fen FROM fund_use_share AS s"
        " JOIN household AS h ON h.id = s.household JOIN building AS b ON b.id = h.building"
        " JOIN owner AS o ON o.id = s.owner WHERE s.fund_use = {}",
        use_id,
    )
    shares: dict[UUID, NoticeShare] = {}
    for r in rows:
        shares[UUID(str(r["household"]))] = NoticeShare(
            label=household_label(str(r["building"]), str(r["unit_no"]), str(r["room_no"])),
            owner=mask_name(str(r["owner_name"])),
            floor_area=int(r["floor_area"]),
            share=int(r["share_fen"]),
        )
    # What each account paid: the journal's lines of this use (net of reversals).
    for r in await fetch(
        "SELECT l.household AS household, SUM(l.principal_delta + l.interest_delta) AS amount"
        " FROM fund_line AS l JOIN fund_entry AS e ON e.id = l.entry"
        " LEFT JOIN fund_entry AS o ON o.id = e.reverses_entry"
        " WHERE e.community = {} AND COALESCE(o.fund_use_id, e.fund_use_id) = {}"
        " AND COALESCE(o.kind, e.kind) = 'use' AND l.household IS NOT NULL GROUP BY 1",
        community_id,
        use_id,
    ):
        share = shares.get(UUID(str(r["household"])))
        if share is not None:
            share.from_fund += -int(r["amount"])
    for r in await fetch(
        "SELECT household, SUM(amount_fen) AS amount FROM fund_self_funded"
        " WHERE fund_use = {} GROUP BY household",
        use_id,
    ):
        share = shares.get(UUID(str(r["household"])))
        if share is not None:
            share.self_funded += int(r["amount"])
    payments = [
        {
            "stage": STAGE_NAMES.get(str(p["stage"]), str(p["stage"])),
            "amount": int(p["amount_fen"]),
            "posted": int(p["posted_fen"]),
            "self_funded": int(p["self_funded_fen"]),
            "on": _local_day(p["created_at"]),
        }
        for p in await fetch(
            "SELECT stage, amount_fen, posted_fen, self_funded_fen, created_at"
            " FROM fund_disbursement WHERE fund_use = {} ORDER BY created_at",
            use_id,
        )
    ]
    ordered = sorted(shares.values(), key=lambda s: natural_key(s.label))
    return Notice(
        community=header,
        use=use,
        category=CATEGORY_NAMES.get(str(use["component"] or ""), str(use["component"] or "—")),
        emergency_reason=EMERGENCY_REASONS.get(str(use["emergency_reason"] or ""), ""),
        status_name=STATUS_NAMES.get(str(use["status"]), str(use["status"])),
        rule_name=RULE_NAMES.get(str(use["vote_rule"]), str(use["vote_rule"])),
        tally=tally,
        bars=bars,
        shares=ordered,
        payments=payments,
        from_fund=sum(s.from_fund for s in ordered),
        self_funded=sum(s.self_funded for s in ordered),
        chain_seq=seq,
        chain_head=head,
        approved_on=None if use["approved_at"] is None else _local_day(use["approved_at"]),
        issuer=f"{header['district_name']}住房和城乡建设局",
    )


def _local_day(value: Any) -> str:
    from service.reports.fund_statement import _local_date

    return _local_date(value).isoformat()


def vote_workbook(n: Notice) -> bytes:
    """The vote result notice as Excel: one sheet, the tally against the thresholds."""
    t = n.tally
    rows: list[list[Any]] = [
        ["列支范围内业主", t.eligible_owners, excel.Area(t.eligible_area)],
        ["参与表决", t.voted_owners, excel.Area(t.voted_area)],
        ["同意", t.yes_owners, excel.Area(t.yes_area)],
        ["反对", t.no_owners, excel.Area(t.no_area)],
    ]
    rows += [[f"门槛：{b.label} {b.rule}", "达到" if b.met else "未达到", None] for b in n.bars]
    return excel.workbook(
        [
            excel.Sheet(
                "表决结果",
                ["项目", "业主人数", "专有部分面积（m²）"],
                rows,
                [n.rule_name, f"表决事项：{n.use['title']}", f"发布单位：{n.issuer}"],
            )
        ]
    )


def notice_workbook(n: Notice) -> bytes:
    """The notice's tables as Excel (概况, 分摊及结算, 表决结果, 拨付记录)."""
    use = n.use
    verification = (
        f"核验：账本第 {n.chain_seq} 笔分录链头 {n.chain_head}；"
        f"业主委员会可调用 GET /api/v1/communities/{n.community['id']}/fund/verify 核对。"
    )
    footer = [f"发布单位：{n.issuer}", verification]
    summary = excel.Sheet(
        "公示概况",
        ["项目", "内容"],
        [
            ["小区", n.community["name"]],
            ["项目名称", use["title"]],
            ["维修部位", n.category],
            ["项目说明", use["description"]],
            ["状态", n.status_name],
            ["预算费用（元）", excel.Money(int(use["estimated_cost_fen"]))],
            ["批准费用（元）", excel.Money(int(use["approved_cost_fen"] or 0))],
            ["已拨付（元）", excel.Money(n.paid)],
            ["其中维修资金列支（元）", excel.Money(n.from_fund)],
            ["其中业主自筹（元）", excel.Money(n.self_funded)],
            ["分摊户数", len(n.shares)],
            ["分摊总面积（m²）", excel.Area(int(use["total_area"]))],
            ["紧急使用", bool(use["emergency"])],
            ["批准日期", n.approved_on or "未批准"],
        ],
        footer,
    )
    shares = excel.Sheet(
        "分摊及结算",
        ["房屋", "业主", "建筑面积（m²）", "应分摊（元）", "维修资金列支（元）", "业主自筹（元）"],
        [
            [
                s.label,
                s.owner,
                excel.Area(s.floor_area),
                excel.Money(s.share),
                excel.Money(s.from_fund),
                excel.Money(s.self_funded),
            ]
            for s in n.shares
        ],
        footer,
    )
    votes = excel.Sheet(
        "表决结果",
        ["门槛", "实际", "基数", "要求", "是否达到"],
        [
            [
                b.label,
                excel.Area(b.part) if b.measure == "area" else b.part,
                excel.Area(b.whole) if b.measure == "area" else b.whole,
                b.rule,
                b.met,
            ]
            for b in n.bars
        ],
        [n.rule_name, *footer],
    )
    payments = excel.Sheet(
        "拨付记录",
        ["日期", "阶段", "拨付金额（元）", "维修资金列支（元）", "业主自筹（元）"],
        [
            [
                p["on"],
                p["stage"],
                excel.Money(p["amount"]),
                excel.Money(p["posted"]),
                excel.Money(p["self_funded"]),
            ]
            for p in n.payments
        ],
        footer,
    )
    return excel.workbook([summary, shares, votes, payments])
