"""Subsidy and credit-record routes (API.md "Contracts, service records, ratings, subsidies")."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from service.auth.roles import AUDITOR, BUREAU, COMPANY, allow
from service.http import PROBLEMS, CallerDep, PagingDep
from service.idempotency import IdempotencyKey, idempotent
from service.pagination import Page, fetch_page
from service.ratings.rules import round_half_up
from service.ratings.service import load_period
from service.subsidies import schemas
from service.subsidies import service as subsidies
from service.subsidies.tables import Subsidy
from service.units import format_area, format_hundredths, format_yuan


def months_text(exact: str) -> str | None:
    """An exact fraction of months ("46/31") as four decimals ("1.4839"), half up."""
    if not exact:
        return None
    ten_thousandths = round_half_up(Fraction(exact) * 10_000)
    return f"{ten_thousandths // 10_000}.{ten_thousandths % 10_000:04d}"


def subsidy_out(row: dict[str, Any]) -> schemas.SubsidyOut:
    return schemas.SubsidyOut(
        subsidy_id=row["id"],
        period_id=row["period"],
        contract_id=row["contract"],
        company_id=row["company"],
        community_id=row["community"],
        rate_per_m2_month=format_yuan(row["rate_fen_per_m2_month"]),
        served_area=format_area(row["served_area"]),
        served_days=row["served_days"],
        period_days=row["period_days"],
        months_in_period=row["months_in_period"],
        months_served=months_text(row.get("months_served") or ""),
        base=format_yuan(row["base"]),
        ratio=format_hundredths(row["ratio"]),
        amount=format_yuan(row["amount"]),
        status=row["status"],
        approved_by=row["approved_by"],
        approved_at=row["approved_at"],
        released_by=row["released_by"],
        released_at=row["released_at"],
    )


class SubsidyController(Controller):
    path = "/"
    tags = ("补贴",)

    @post(
        "/rating-periods/{period_id:str}/subsidies",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def compute(
        self, caller: CallerDep, period_id: FromPath[str]
    ) -> list[schemas.SubsidyOut]:
        """为已定稿评价期的每份已评分合同计算补贴：基数 = 补贴标准 × 服务面积 × 服务月数
        （整月服务计 1 个月，不足整月按当月服务天数 / 当月天数计），金额 = 基数 × 等级比例，
        均在最后一次四舍五入到分。重复调用只补算缺少的。"""
        return [subsidy_out(r) for r in await subsidies.compute_subsidies(caller, period_id)]

    @get(
        "/rating-periods/{period_id:str}/subsidies",
        opt=allow(BUREAU, AUDITOR, COMPANY),
        responses=PROBLEMS,
    )
    async def list_for_period(
        self, caller: CallerDep, paging: PagingDep, period_id: FromPath[str]
    ) -> Page[schemas.SubsidyOut]:
        """本期的补贴（企业只看到自己的）。"""
        period = await load_period(caller, period_id)
        query = Subsidy.select().where(Subsidy.period == period["id"])
        if caller.role == COMPANY:
            query = query.where(Subsidy.company == caller.org_id)
        rows, cursor = await fetch_page(query, Subsidy.id, paging)
        return Page(items=[subsidy_out(r) for r in rows], next_cursor=cursor)

    @get("/subsidies/{subsidy_id:str}", opt=allow(BUREAU, AUDITOR, COMPANY), responses=PROBLEMS)
    async def read(self, caller: CallerDep, subsidy_id: FromPath[str]) -> schemas.SubsidyOut:
        """一笔补贴。"""
        return subsidy_out(await subsidies.load_subsidy(caller, subsidy_id))

    @post(
        "/subsidies/{subsidy_id:str}/approve",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def approve(self, caller: CallerDep, subsidy_id: FromPath[str]) -> schemas.SubsidyOut:
        """审批补贴。"""
        return subsidy_out(await subsidies.approve_subsidy(caller, subsidy_id))

    @post(
        "/subsidies/{subsidy_id:str}/release",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def release(
        self,
        caller: CallerDep,
        request: Request[Any, Any, Any],
        subsidy_id: FromPath[str],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.SubsidyOut]:
        """发放补贴：须由审批人以外的另一名局方人员操作（同一人 → 409）；发放后不可更改。
        资金业务，需 Idempotency-Key。"""

        async def release_once(_: str) -> schemas.SubsidyOut:
            return subsidy_out(await subsidies.release_subsidy(caller, subsidy_id))

        return await idempotent(
            key=idempotency_key,
            caller=caller,
            request=request,
            body={},
            operation=release_once,
            status_code=HTTP_200_OK,
        )


class CreditController(Controller):
    path = "/companies"
    tags = ("补贴",)

    @get("/{company_id:str}/credit", opt=allow(BUREAU, AUDITOR, COMPANY), responses=PROBLEMS)
    async def credit(self, caller: CallerDep, company_id: FromPath[str]) -> schemas.CreditOut:
        """企业信用记录：历期（已定稿）评分与补贴。"""
        cid, entries = await subsidies.credit_record(caller, company_id)
        return schemas.CreditOut(
            company_id=cid,
            periods_rated=len(entries),
            review_flags=sum(1 for _, r, _ in entries if r["review_flag"]),
            released_total=format_yuan(
                sum(s["amount"] for _, _, s in entries if s and s["status"] == "released")
            ),
            entries=[
                schemas.CreditEntry(
                    period_id=p["id"],
                    period_name=p["name"],
                    starts_on=p["starts_on"],
                    ends_on=p["ends_on"],
                    contract_id=r["contract"],
                    community_id=r["community"],
                    rating_id=r["id"],
                    total=format_hundredths(r["total"]),
                    grade=r["grade"],
                    subsidy_ratio=format_hundredths(r["ratio"]),
                    review_flag=bool(r["review_flag"]),
                    subsidy=subsidy_out(s) if s else None,
                )
                for p, r, s in entries
            ],
        )


ROUTE_HANDLERS = [SubsidyController, CreditController]
