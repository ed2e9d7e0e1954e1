"""The subsidy list of a rating period (DOMAIN "Quality rating and subsidy"): each
contract's company, community, score, grade, subsidy base, ratio, amount and state, as
the bureau publishes it; and the Excel twins of the list and of the rating report."""

from __future__ import annotations

from service.reports import excel
from service.reports.rating_report import Report


def subsidy_rows(report: Report) -> list[list[object]]:
    return [
        [
            i,
            row.company_name,
            row.community_name,
            excel.Area(row.total),
            row.grade,
            excel.Money(row.subsidy_base or 0),
            f"{row.ratio}%",
            excel.Money(row.subsidy_amount or 0),
            row.subsidy_status,
        ]
        for i, row in enumerate((r for r in report.rows if r.subsidy_amount is not None), start=1)
    ]


def footer(report: Report) -> list[str]:
    period = report.period
    return [
        f"评价期：{period['name']}（{period['starts_on']} 至 {period['ends_on']}），"
        f"{report.status_name}",
        "发布单位：区住房和城乡建设局",
    ]


def subsidy_workbook(report: Report) -> bytes:
    """补贴清单 — one sheet."""
    return excel.workbook(
        [
            excel.Sheet(
                "补贴清单",
                [
                    "序号",
                    "物业企业",
                    "小区",
                    "总分",
                    "等级",
                    "补贴基数（元）",
                    "补贴比例",
                    "补贴金额（元）",
                    "状态",
                ],
                subsidy_rows(report),
                footer(report),
            )
        ]
    )


def report_workbook(report: Report) -> bytes:
    """评价结果 — the rating report's table with every item's score."""
    rows = [
        [
            row.community_code,
            row.community_name,
            row.company_name,
            row.mode,
            *[None if s is None else excel.Area(s) for s in row.scores],
            excel.Area(row.total),
            row.grade,
            f"{row.ratio}%",
            None if row.subsidy_base is None else excel.Money(row.subsidy_base),
            None if row.subsidy_amount is None else excel.Money(row.subsidy_amount),
            row.appeal,
        ]
        for row in report.rows
    ]
    headers = [
        "小区编码",
        "小区",
        "物业企业",
        "管理模式",
        *[f"{i['name']}（{i['max_score'] // 100}）" for i in report.items],
        "总分",
        "等级",
        "补贴比例",
        "补贴基数（元）",
        "补贴金额（元）",
        "申诉",
    ]
    return excel.workbook([excel.Sheet("评价结果", headers, rows, footer(report))])
