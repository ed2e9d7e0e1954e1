"""Maintenance fund API (API.md "Maintenance fund"): postings by the bureau, each with an
``Idempotency-Key``; reads within the caller's scope."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED
from msgspec import Meta

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, OWNER, allow
from service.auth.scope import as_uuid
from service.errors import InputError
from service.funds import batches, ledger, reads, schemas, service, witness
from service.http import PROBLEMS, CallerDep, PagingDep, ScopeDep
from service.idempotency import IdempotencyKey, idempotent
from service.pagination import Page
from service.units import parse_fen

FUND_READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, OWNER)
VERIFIERS = (BUREAU, AUDITOR, COMMITTEE)


class FundPostingController(Controller):
    path = "/fund"
    tags = ("维修资金",)

    @post("/deposits", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def deposit(
        self,
        caller: CallerDep,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.DepositIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.DepositOut]:
        """首期交存（kind=first，每户一次）或续交（kind=replenish）。需 Idempotency-Key。"""
        # The community's journal lock goes out in one statement with the key's claim.
        lead = ledger.household_lock_lead(caller.district_id, data.household_id)
        return await idempotent(
            key=idempotency_key,
            caller=caller,
            request=request,
            body=data,
            operation=lambda key: service.deposit(caller, data, key=key, lead=lead),
            lead=lead,
        )

    @post("/interest", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def interest(
        self,
        caller: CallerDep,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.InterestIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.InterestOut]:
        """把银行计入小区的一期利息按各户在计息期内的余额积数（每日余额之和，每笔按其起息日
        paid_on 起算）比例分到户，精确到分、最大余数法，合计相等。每小区每期一次。"""
        return await idempotent(
            key=idempotency_key,
            caller=caller,
            request=request,
            body=data,
            operation=lambda key: batches.allocate_interest(caller, data, key=key),
        )

    @post("/interest/district", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def district_interest(
        self,
        caller: CallerDep,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.DistrictInterestIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[list[schemas.InterestOut]]:
        """全区一期利息：每个小区的银行入账金额按各户余额积数分到户，全部成功或全部不记。"""
        amounts: dict[UUID, int] = {}
        for index, item in enumerate(data.items):
            if item.community_id in amounts:
                raise InputError(f"items[{index}].community_id", "同一小区只能出现一次")
            amounts[item.community_id] = parse_fen(item.amount, f"items[{index}].amount")
        return await idempotent(
            key=idempotency_key,
            caller=caller,
            request=request,
            body=data,
            operation=lambda key: batches.allocate_interest_for_district(
                caller, data.period, amounts
            ),
        )

    @post("/income", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def income(
        self,
        caller: CallerDep,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.IncomeIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.IncomeOut]:
        """公共收益转入维修资金，按建筑面积分到户（精确到分，合计相等）。"""
        return await idempotent(
            key=idempotency_key,
            caller=caller,
            request=request,
            body=data,
            operation=lambda key: batches.allocate_income(caller, data, key=key),
        )

    @post("/refunds", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def refund(
        self,
        caller: CallerDep,
        request: Request[Any, Any, Any],
        data: JSONBody[schemas.RefundIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.RefundOut]:
        """房屋灭失（拆迁）时退还该户全部余额（本金与利息）。"""
        return await idempotent(
            key=idempotency_key,
            caller=caller,
            request=request,
            body=data,
            operation=lambda key: service.refund(caller, data, key=key),
        )

    @post(
        "/entries/{entry_id:str}/reverse",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def reverse(
        self,
        caller: CallerDep,
        request: Request[Any, Any, Any],
        entry_id: FromPath[str],
        data: JSONBody[schemas.ReverseIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.ReverseOut]:
        """冲正一笔分录：追加一笔指向原分录的反向分录（每笔只能冲正一次）。"""
        target = as_uuid(entry_id)
        return await idempotent(
            key=idempotency_key,
            caller=caller,
            request=request,
            body=data,
            operation=lambda key: service.reverse(caller, target, data, key=key),
        )


class HouseholdFundController(Controller):
    path = "/households"
    tags = ("维修资金",)

    @get("/{household_id:str}/fund", opt=allow(*FUND_READERS), responses=PROBLEMS)
    async def summary(
        self, caller: CallerDep, household_id: FromPath[str]
    ) -> schemas.HouseholdFundOut:
        """分户账：本金、利息、余额、首期金额、续交线（首期的 30%）与是否需续交。"""
        # One statement: the caller's scope is part of its predicate (no scope query).
        found = await reads.household_fund_in_scope(caller, as_uuid(household_id))
        if found is None:
            raise NotFoundException("房屋不存在，或不在您的权限范围内。")
        return found

    @get("/{household_id:str}/fund/entries", opt=allow(*FUND_READERS), responses=PROBLEMS)
    async def entries(
        self, caller: CallerDep, paging: PagingDep, household_id: FromPath[str]
    ) -> Page[schemas.FundEntryOut]:
        """分户账明细（按记账顺序），每行注明记账时的业主。"""
        # One statement: the caller's scope is part of its predicate (no scope query).
        found = await reads.household_entries_in_scope(caller, as_uuid(household_id), paging)
        if found is None:
            raise NotFoundException("房屋不存在，或不在您的权限范围内。")
        items, cursor = found
        return Page(items=items, next_cursor=cursor)


class CommunityFundController(Controller):
    path = "/communities"
    tags = ("维修资金",)

    @get("/{community_id:str}/fund", opt=allow(*FUND_READERS), responses=PROBLEMS)
    async def summary(
        self, caller: CallerDep, community_id: FromPath[str]
    ) -> schemas.CommunityFundOut:
        """小区维修资金汇总、需续交户数、按年收支与哈希链头。"""
        # One statement: the caller's scope is part of its predicate (no scope query).
        found = await reads.community_fund_in_scope(caller, as_uuid(community_id))
        if found is None:
            raise NotFoundException("小区不存在，或不在您的权限范围内。")
        return found

    @get(
        "/{community_id:str}/fund/replenishment",
        opt=allow(BUREAU, AUDITOR, COMPANY, COMMITTEE),
        responses=PROBLEMS,
    )
    async def replenishment(
        self, caller: CallerDep, paging: PagingDep, community_id: FromPath[str]
    ) -> Page[schemas.ReplenishmentOut]:
        """余额不足首期 30% 的房屋及补足到续交线所需金额。"""
        # One statement: the caller's scope is part of its predicate (no scope query).
        found = await reads.replenishment_list_in_scope(caller, as_uuid(community_id), paging)
        if found is None:
            raise NotFoundException("小区不存在，或不在您的权限范围内。")
        items, cursor = found
        return Page(items=items, next_cursor=cursor)

    @get("/{community_id:str}/fund/verify", opt=allow(*VERIFIERS), responses=PROBLEMS)
    async def verify(
        self,
        access: ScopeDep,
        community_id: FromPath[str],
        head: FromQuery[Annotated[str, Meta(pattern="^[0-9a-f]{64}$")] | None] = None,
    ) -> schemas.VerifyOut:
        """从分录重算哈希链与每个账户余额，并与缓存余额核对；给出 head 时，核对链在
        见证日志记录的位置与时间仍含有该链头。校验所见链头记入见证日志。"""
        community = await access.community(community_id)
        result = await witness.verify_with_witness(community["id"])
        checked = None
        if head is not None:
            found = await witness.check_head(community["id"], head)
            checked = schemas.HeadCheckOut(
                head=found.head,
                ok=found.ok,
                witnessed=found.witnessed,
                contained=found.contained,
                seq=found.seq,
                recorded_at=found.recorded_at,
                problems=found.problems,
            )
        if result.ok:
            await witness.record_seen_head(
                community["id"], result.entries, result.chain_head, "verification"
            )
        return schemas.VerifyOut(
            community_id=community["id"],
            ok=result.ok and (checked is None or checked.ok),
            entries=result.entries,
            chain_head=result.chain_head,
            problems=result.problems,
            head=checked,
        )

    @get("/{community_id:str}/fund/heads", opt=allow(*VERIFIERS), responses=PROBLEMS)
    async def heads(
        self, access: ScopeDep, paging: PagingDep, community_id: FromPath[str]
    ) -> Page[schemas.WitnessedHeadOut]:
        """链头见证日志（导出），按记录先后：每次公布的链头、其分录序号、时间与密钥签名。"""
        community = await access.community(community_id)
        rows, cursor = await witness.head_log(community["id"], paging)
        items = [
            schemas.WitnessedHeadOut(
                seq=int(r["seq"]),
                head_hash=str(r["head_hash"]),
                tag=str(r["tag"]),
                reason=str(r["reason"]),
                recorded_at=r["recorded_at"],
            )
            for r in rows
        ]
        return Page(items=items, next_cursor=cursor)


class BuildingFundController(Controller):
    path = "/buildings"
    tags = ("维修资金",)

    @get("/{building_id:str}/fund", opt=allow(*FUND_READERS), responses=PROBLEMS)
    async def summary(
        self, caller: CallerDep, building_id: FromPath[str]
    ) -> schemas.BuildingFundOut:
        """楼栋维修资金汇总（其各户分户账之和）。"""
        # One statement: the caller's scope is part of its predicate (no scope query).
        found = await reads.building_fund_in_scope(caller, as_uuid(building_id))
        if found is None:
            raise NotFoundException("楼栋不存在，或不在您的权限范围内。")
        return found


ROUTE_HANDLERS = [
    FundPostingController,
    HouseholdFundController,
    CommunityFundController,
    BuildingFundController,
]
