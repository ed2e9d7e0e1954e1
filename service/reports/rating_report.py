"""The rating period report: every rated contract of a period with its item scores,
total, grade, subsidy ratio, the subsidy computed from it and any appeal (DOMAIN.md
"Quality rating and subsidy"). Read from the ratings context's tables in two queries.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException

from service.auth.roles import AUDITOR, BUREAU, COMPANY, Caller
from service.auth.scope import as_uuid
from service.db import fetch, read_json

STATUS_NAMES = {"open": "评分中", "finalized": "已定稿"}
SUBSIDY_STATUS_NAMES = {"computed": "已计算", "approved": "已审批", "released": "已拨付"}
DECISION_NAMES = {"upheld": "申诉成立", "dismissed": "申诉驳回", None: "待答复"}
MODE_NAMES = {"market": "市场化", "guaranteed": "社区保障", "self": "业主自治"}


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"([0-9]+)", text))


@dataclass
class ReportRow:
    community_name: str
    community_code: str
    company_name: str
    mode: str
    scores: list[int | None]
    total: int
    grade: str
    ratio: int
    review_flag: bool
    subsidy_base: int | None
    subsidy_amount: int | None
    subsidy_status: str
    appeal: str


@dataclass
class Report:
    period: dict[str, Any]
    status_name: str
    scheme_version: int
    items: list[dict[str, Any]]
    rows: list[ReportRow]
    grades: list[tuple[str, int]]
    subsidy_total: int
    subsidies_computed: int
    company_view: bool
    bands: list[dict[str, Any]] = field(default_factory=list)


async def _period(caller: Caller, period_id: str) -> dict[str, Any]:
    rows = await fetch(
        "SELECT p.id AS id, p.name AS name, p.starts_on AS starts_on, p.ends_on AS ends_on,"
        " p.status AS status, s.version AS version, s.items AS items, s.bands AS bands"
        " FROM rating_period AS p JOIN rating_scheme AS s ON s.id = p.scheme"
        " WHERE p.id = {} AND p.district = {}",
        as_uuid(period_id),
        caller.district_id,
    )
    if not rows:
        raise NotFoundException("评价期不存在，或不在您的权限范围内。")
    return dict(rows[0])


async def _ratings(period_id: UUID, company_id: UUID | None) -> list[dict[str, Any]]:
    sql = (
        "SELECT r.id AS id, r.items AS items, r.total AS total, r.grade AS grade,"
        " r.ratio AS ratio, r.review_flag AS review_flag, c.name AS community_name,"
        " c.code AS community_code, o.name AS company_name, k.mode AS mode,"
        " s.base AS subsidy_base, s.amount AS subsidy_amount, s.status AS subsidy_status,"
        " a.reason AS appeal_reason, a.decision AS appeal_decision, a.note AS appeal_note,"
        " a.id AS appeal_id"
        " FROM contract_rating AS r JOIN community AS c ON c.id = r.community"
        " JOIN organization AS o ON o.id = r.company JOIN contract AS k ON k.id = r.contract"
        " LEFT JOIN subsidy AS s ON s.rating = r.id"
        " LEFT JOIN rating_appeal AS a ON a.rating = r.id"
        " WHERE r.period = {}"
    )
    if company_id is None:
        return await fetch(sql, period_id)
    return await fetch(sql + " AND r.company = {}", period_id, company_id)


def _appeal_text(row: dict[str, Any]) -> str:
    if row["appeal_id"] is None:
        return ""
    text = f"{DECISION_NAMES.get(row['appeal_decision'], '')}：{row['appeal_reason']}"
    if row["appeal_note"]:
        text += f"（答复：{row['appeal_note']}）"
    return text


async def build_report(caller: Caller, period_id: str) -> Report:
    """The report of a period of the caller's district; a company sees only the rows of
    its own contracts (bureau and auditor see all)."""
    if caller.role not in (BUREAU, AUDITOR, COMPANY):  # pragma: no cover - route policy
        raise NotFoundException("评价期不存在，或不在您的权限范围内。")
    period = await _period(caller, period_id)
    items = [
        {"code": i["code"], "name": i["name"], "max_score": int(i["max_score"])}
        for i in read_json(period["items"])
    ]
    company = caller.org_id if caller.role == COMPANY else None
    seen: set[str] = set()
    rows: list[ReportRow] = []
    for row in await _ratings(UUID(str(period["id"])), company):
        if str(row["id"]) in seen:  # a rating has at most one subsidy and one appeal
            continue
        seen.add(str(row["id"]))
        scores = {i["code"]: int(i["score"]) for i in read_json(row["items"])}
        amount = row["subsidy_amount"]
        rows.append(
            ReportRow(
                community_name=str(row["community_name"]),
                community_code=str(row["community_code"]),
                company_name=str(row["company_name"]),
                mode=MODE_NAMES.get(str(row["mode"]), str(row["mode"])),
                scores=[scores.get(i["code"]) for i in items],
                total=int(row["total"]),
                grade=str(row["grade"]),
                ratio=int(row["ratio"]),
                review_flag=bool(row["review_flag"]),
                subsidy_base=None if row["subsidy_base"] is None else int(row["subsidy_base"]),
                subsidy_amount=None if amount is None else int(amount),
                subsidy_status=SUBSIDY_STATUS_NAMES.get(str(row["subsidy_status"]), ""),
                appeal=_appeal_text(row),
            )
        )
    rows.sort(key=lambda r: (_natural(r.community_code), r.company_name))
    grades = Counter(r.grade for r in rows)
    computed = [r.subsidy_amount for r in rows if r.subsidy_amount is not None]
    return Report(
        period=period,
        status_name=STATUS_NAMES.get(str(period["status"]), str(period["status"])),
        scheme_version=int(period["version"]),
        items=items,
        rows=rows,
        grades=sorted(grades.items(), key=lambda g: -g[1]),
        subsidy_total=sum(computed),
        subsidies_computed=len(computed),
        company_view=company is not None,
        bands=[
            {"min_score": int(b["min_score"]), "grade": b["grade"], "ratio": int(b["ratio"])}
            for b in read_json(period["bands"])
        ],
    )
