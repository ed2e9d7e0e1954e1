"""The yearly fund statement's Excel twin: the same four tables as the PDF."""

from __future__ import annotations

from service.registry.rules import mask_name
from service.reports import excel
from service.reports.fund_statement import Statement


def statement_workbook(s: Statement) -> bytes:
    """资金总额, 使用项目, 分摊明细, 分户账 — names masked unless it is an owner's view."""
    c = s.community
    t = s.totals

    def name(owner: str) -> str:
        return owner if s.owner_view else mask_name(owner)

    footer = [
        f"{c['district_name']} · {c['name']}（{c['code']}）· {s.year} 年度",
        f"核验：账本第 {s.chain_seq} 笔分录链头 {s.chain_head}；"
        f"GET /api/v1/communities/{c['id']}/fund/verify 可重算核对。",
    ]
    money = excel.Money
    totals = excel.Sheet(
        "资金总额",
        [
            "年初余额",
            "本年交存",
            "本年利息",
            "本年收益",
            "本年使用",
            "本年退还",
            "其他调整",
            "年末结存",
        ],
        [
            [
                money(t.opening),
                money(t.deposited),
                money(t.interest),
                money(t.income),
                money(t.used),
                money(t.refunded),
                money(t.other),
                money(t.closing),
            ]
        ],
        footer,
    )
    projects = excel.Sheet(
        "使用项目",
        [
            "序号",
            "项目",
            "列支起始日",
            "列支截止日",
            "分摊户数",
            "本年项目费用",
            "维修资金列支",
            "业主自筹",
        ],
        [
            [
                i,
                p.title,
                p.first_date,
                p.last_date,
                p.households,
                money(p.cost),
                money(p.from_fund),
                money(p.self_funded),
            ]
            for i, p in enumerate(s.projects, start=1)
        ],
        footer,
    )
    shares = excel.Sheet(
        "分摊明细",
        ["序号", "项目", "房屋", "业主", "本年分摊金额", "维修资金列支", "业主自筹"],
        [
            [
                i,
                p.title,
                share.label,
                name(share.owner_name),
                money(share.cost),
                money(share.from_fund),
                money(share.self_funded),
            ]
            for i, p in enumerate(s.projects, start=1)
            for share in p.shares
        ],
        footer,
    )
    lines = excel.Sheet(
        "分户账",
        [
            "房屋",
            "业主",
            "面积（m²）",
            "年初余额",
            "本年交存",
            "本年收益",
            "本年使用",
            "本年退还",
            "年末余额",
        ],
        [
            [
                line.label,
                name(line.owner_name),
                excel.Area(line.floor_area),
                money(line.flows.opening),
                money(line.flows.deposited),
                money(line.flows.earned),
                money(line.flows.used),
                money(line.flows.refunded),
                money(line.flows.closing),
            ]
            for line in s.lines
        ],
        footer,
    )
    return excel.workbook([totals, projects, shares, lines])
