"""Ratings API: schemes, periods, ratings, appeals, owner satisfaction (API.md
"Contracts, service records, ratings, subsidies"); subsidies are in service/subsidies/."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, OWNER, allow
from service.contracts.service import load_contract
from service.http import PROBLEMS, CallerDep, PagingDep, ScopeDep
from service.pagination import Page, fetch_page
from service.ratings import appeals, satisfaction, schemas, service
from service.ratings.evidence import contract_evidence
from service.ratings.tables import Rating, RatingPeriod, RatingScheme
from service.units import format_hundredths

READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE)


def scheme_out(row: dict[str, Any]) -> schemas.SchemeOut:
    return schemas.SchemeOut(
        id=row["id"],
        version=row["version"],
        items=[
            schemas.SchemeItemOut(
                code=i["code"], name=i["name"], max_score=format_hundredths(int(i["max_score"]))
            )
            for i in service.loads(row["items"])
        ],
        bands=[
            schemas.BandOut(
                min_score=format_hundredths(int(b["min_score"])),
                grade=b["grade"],
                ratio=format_hundredths(int(b["ratio"])),
            )
            for b in service.loads(row["bands"])
        ],
        created_at=row["created_at"],
    )


def period_out(row: dict[str, Any]) -> schemas.PeriodOut:
    return schemas.PeriodOut(
        id=row["id"],
        name=row["name"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        status=row["status"],
        scheme_id=row["scheme"],
        finalized_at=row["finalized_at"],
    )


def appeal_out(row: dict[str, Any]) -> schemas.AppealOut:
    return schemas.AppealOut(
        appeal_id=row["id"],
        rating_id=row["rating"],
        reason=row["reason"],
        filed_at=row["filed_at"],
        decision=row["decision"],
        note=row["note"],
        answered_at=row["answered_at"],
    )


async def rating_out(row: dict[str, Any]) -> schemas.RatingOut:
    period = await RatingPeriod.select().where(RatingPeriod.id == row["period"]).first()
    assert period is not None
    scheme = {i["code"]: i for i in service.loads((await service.scheme_of(period))["items"])}
    appeal = await appeals.appeal_of(row["id"])
    return schemas.RatingOut(
        rating_id=row["id"],
        period_id=row["period"],
        contract_id=row["contract"],
        community_id=row["community"],
        company_id=row["company"],
        total=format_hundredths(row["total"]),
        grade=row["grade"],
        subsidy_ratio=format_hundredths(row["ratio"]),
        items=[
            schemas.ScoreOut(
                code=i["code"],
                name=scheme[i["code"]]["name"],
                max_score=format_hundredths(int(scheme[i["code"]]["max_score"])),
                score=format_hundredths(int(i["score"])),
                note=i["note"],
            )
            for i in service.loads(row["items"])
        ],
        review_flag=bool(row["review_flag"]),
        appeal=appeal_out(appeal) if appeal is not None else None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class RatingSchemeController(Controller):
    path = "/rating-schemes"
    tags = ("质量评价",)

    @get("/current", opt=allow(*READERS), responses=PROBLEMS)
    async def current(self, caller: CallerDep) -> schemas.SchemeOut:
        """当前评分表（版本化）：各评分项满分与等级区间、补贴比例。"""
        return scheme_out(await service.current_scheme(caller.district_id))

    @post("/", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(
        self, caller: CallerDep, data: JSONBody[schemas.SchemeIn]
    ) -> schemas.SchemeOut:
        """修订评分表：生成新版本（各项满分之和须为 100，须有从 0 分起的等级）；
        已开设的评价期沿用其开设时的版本。"""
        return scheme_out(await service.create_scheme(caller, data))

    @get("/{scheme_id:uuid}", opt=allow(*READERS), responses=PROBLEMS)
    async def read(self, caller: CallerDep, scheme_id: FromPath[UUID]) -> schemas.SchemeOut:
        """某一版本的评分表。"""
        row = (
            await RatingScheme.select()
            .where((RatingScheme.id == scheme_id) & (RatingScheme.district == caller.district_id))
            .first()
        )
        if row is None:
            raise NotFoundException("评分表不存在。")
        return scheme_out(row)


class RatingPeriodController(Controller):
    path = "/rating-periods"
    tags = ("质量评价",)

    @post("/", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(
        self, caller: CallerDep, data: JSONBody[schemas.PeriodIn]
    ) -> schemas.PeriodOut:
        """开设评价期（整月，默认按季度），采用当前评分表版本。"""
        return period_out(await service.create_period(caller, data))

    @get("/", opt=allow(*READERS, OWNER), responses=PROBLEMS)
    async def list_all(self, caller: CallerDep, paging: PagingDep) -> Page[schemas.PeriodOut]:
        """本区的评价期。"""
        query = RatingPeriod.select().where(RatingPeriod.district == caller.district_id)
        rows, cursor = await fetch_page(query, RatingPeriod.id, paging)
        return Page(items=[period_out(r) for r in rows], next_cursor=cursor)

    @get("/{period_id:str}", opt=allow(*READERS, OWNER), responses=PROBLEMS)
    async def read(self, caller: CallerDep, period_id: FromPath[str]) -> schemas.PeriodOut:
        """一个评价期。"""
        return period_out(await service.load_period(caller, period_id))

    @post(
        "/{period_id:str}/ratings",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def rate(
        self, caller: CallerDep, period_id: FromPath[str], data: JSONBody[schemas.RatingIn]
    ) -> schemas.RatingOut:
        """逐项为一份合同评分（每项必填，不超过该项满分，至多两位小数），返回总分、等级与补贴比例。"""
        return await rating_out(await service.rate_contract(caller, period_id, data))

    @get("/{period_id:str}/ratings", opt=allow(*READERS), responses=PROBLEMS)
    async def list_ratings(
        self,
        caller: CallerDep,
        paging: PagingDep,
        period_id: FromPath[str],
        review_flag: FromQuery[bool | None] = None,
    ) -> Page[schemas.RatingOut]:
        """本期可见的评分；review_flag=true 只列出连续两期不足 60 分、需复核的合同。"""
        period = await service.load_period(caller, period_id)
        query = Rating.select().where(
            (Rating.period == period["id"]) & service.rating_condition(caller)
        )
        if review_flag is not None:
            query = query.where(Rating.review_flag == review_flag)
        rows, cursor = await fetch_page(query, Rating.id, paging)
        return Page(items=[await rating_out(r) for r in rows], next_cursor=cursor)

    @get("/{period_id:str}/evidence", opt=allow(*READERS), responses=PROBLEMS)
    async def evidence(
        self, caller: CallerDep, period_id: FromPath[str], contract_id: FromQuery[UUID]
    ) -> schemas.EvidenceOut:
        """评分依据：本期各类服务记录的天数、按时办结的报修单、业主满意度。"""
        period = await service.load_period(caller, period_id)
        contract = await load_contract(caller, contract_id)
        return await contract_evidence(period, contract)

    @post(
        "/{period_id:str}/finalize",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def finalize(self, caller: CallerDep, period_id: FromPath[str]) -> schemas.PeriodOut:
        """定稿：冻结本期评分（仍有未答复的申诉 → 409）；连续两期不足 60 分的合同标记复核。"""
        return period_out(await service.finalize_period(caller, period_id))

    @post(
        "/{period_id:str}/satisfaction",
        opt=allow(OWNER, COMMITTEE),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def satisfaction(
        self,
        caller: CallerDep,
        access: ScopeDep,
        period_id: FromPath[str],
        data: JSONBody[schemas.SatisfactionIn],
    ) -> schemas.SatisfactionOut:
        """业主（或业委会代为）填写本期满意度（1-5 分）；再次填写覆盖此前的答案。"""
        row = await satisfaction.answer_satisfaction(caller, access, period_id, data)
        return schemas.SatisfactionOut(
            id=row["id"],
            period_id=row["period"],
            household_id=row["household"],
            score=row["score"],
            comment=row["comment"],
            answered_at=row["answered_at"],
        )


class RatingController(Controller):
    path = "/ratings"
    tags = ("质量评价",)

    @get("/{rating_id:str}", opt=allow(*READERS), responses=PROBLEMS)
    async def read(self, caller: CallerDep, rating_id: FromPath[str]) -> schemas.RatingOut:
        """一项评分及其申诉。"""
        return await rating_out(await service.load_rating(caller, rating_id))

    @put("/{rating_id:str}", opt=allow(BUREAU), responses=PROBLEMS)
    async def update(
        self, caller: CallerDep, rating_id: FromPath[str], data: JSONBody[schemas.RescoreIn]
    ) -> schemas.RatingOut:
        """定稿前重新评分（全部评分项）；定稿后 → 409。"""
        return await rating_out(await service.update_rating(caller, rating_id, data))

    @post(
        "/{rating_id:str}/appeals",
        opt=allow(COMPANY),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def appeal(
        self, caller: CallerDep, rating_id: FromPath[str], data: JSONBody[schemas.AppealIn]
    ) -> schemas.AppealOut:
        """被评企业在申诉期内对评分申诉（每项评分一次）。"""
        return appeal_out(await appeals.file_appeal(caller, rating_id, data))


class AppealController(Controller):
    path = "/appeals"
    tags = ("质量评价",)

    @post("/{appeal_id:str}/answer", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_200_OK)
    async def answer(
        self, caller: CallerDep, appeal_id: FromPath[str], data: JSONBody[schemas.AnswerIn]
    ) -> schemas.AppealOut:
        """答复申诉：upheld（支持，可附 items 重新评分）或 dismissed（驳回）。"""
        return appeal_out(await appeals.answer_appeal(caller, appeal_id, data))


ROUTE_HANDLERS = [
    RatingSchemeController,
    RatingPeriodController,
    RatingController,
    AppealController,
]
