"""Fund use API (API.md "Fund use (维修资金使用) and owners' vote")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import (
    FromPath,
    FromQuery,
    JSONBody,
    KwargDefinition,
    MultipartBody,
)
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, OWNER, allow
from service.auth.scope import as_uuid
from service.fund_uses import proposals
from service.fund_uses import service as uses
from service.fund_uses.attachments import (
    KINDS,
    AttachmentOut,
    FundAttachment,
    attach,
    attachment_out,
    attachment_response,
)
from service.fund_uses.schemas import (
    BallotIn,
    BallotOut,
    DisbursementIn,
    DisbursementOut,
    FundUseIn,
    FundUseOut,
    FundUseSubmitIn,
    SelfFundedOut,
    TallyOut,
)
from service.fund_uses.tables import FundSelfFunded, FundUse
from service.http import PROBLEMS, CallerDep, PagingDep, ScopeDep
from service.idempotency import IdempotencyKey, idempotent
from service.pagination import Page, fetch_page, order_key, page_of
from service.units import format_yuan

READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, OWNER)


@dataclass
class AttachmentUpload:
    """The multipart form: ``file`` (PDF, JPEG or PNG) and ``kind``."""

    file: UploadFile
    kind: Annotated[str, KwargDefinition(schema_extra={"enum": list(KINDS)})] = "quote"


class FundUseController(Controller):
    path = "/fund-uses"
    tags = ("维修资金使用",)

    @post("/", opt=allow(*uses.PROPOSERS), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def propose(
        self, caller: CallerDep, access: ScopeDep, data: JSONBody[FundUseIn]
    ) -> FundUseOut:
        """提出维修资金使用申请：须写明维修部位（component，可另列 parts 及其楼栋）；
        按建筑面积分摊到户（精确到分，合计等于预算）。任一部位在所列支或所列楼栋上
        仍在保修期内、或属专业经营单位的管线，均不得使用维修资金（422）。"""
        use_id = await proposals.propose(caller, access, data)
        return await uses.fund_use_out(await uses.visible_use(access, use_id))

    @get("/", opt=allow(*READERS), responses=PROBLEMS)
    async def list_uses(
        self,
        access: ScopeDep,
        paging: PagingDep,
        community_id: FromQuery[UUID | None] = None,
        status: FromQuery[str | None] = None,
    ) -> Page[FundUseOut]:
        """可见小区的维修资金使用申请（不含分摊明细）。"""
        query = FundUse.select().where(access.communities(FundUse.community, FundUse.district))
        if community_id is not None:
            query = query.where(FundUse.community == community_id)
        if status:
            query = query.where(FundUse.status == status)
        rows, cursor = await fetch_page(query, FundUse.id, paging)
        counts = await uses.household_counts([r["id"] for r in rows])
        return Page(
            items=[
                await uses.fund_use_out(r, with_shares=False, households=counts.get(r["id"], 0))
                for r in rows
            ],
            next_cursor=cursor,
        )

    @get("/{use_id:str}", opt=allow(*READERS), responses=PROBLEMS)
    async def read(self, access: ScopeDep, use_id: FromPath[str]) -> FundUseOut:
        """一项申请及其分摊依据（每户面积与应摊金额）。"""
        return await uses.fund_use_out(await uses.visible_use(access, use_id))

    @post(
        "/{use_id:str}/ballots",
        opt=allow(*uses.BALLOT_CASTERS),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def ballot(
        self, caller: CallerDep, access: ScopeDep, use_id: FromPath[str], data: JSONBody[BallotIn]
    ) -> BallotOut:
        """业主为自己的房屋投票；业委会代录纸质选票。表决期内再次投票覆盖前一票。"""
        return await uses.cast_ballot(caller, access, use_id, data)

    @get("/{use_id:str}/tally", opt=allow(*READERS), responses=PROBLEMS)
    async def tally(self, access: ScopeDep, use_id: FromPath[str]) -> TallyOut:
        """按《民法典》第二百七十八条计票：参与人数与面积均须达三分之二，
        同意须超过参与面积与人数的一半；一人多套只计一人。"""
        use = await uses.visible_use(access, use_id)
        return uses.tally_out(await uses.count_votes(use), use["vote_rule"])

    @post(
        "/{use_id:str}/close-vote",
        opt=allow(BUREAU, COMMITTEE, COMPANY),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def close_vote(
        self, caller: CallerDep, access: ScopeDep, use_id: FromPath[str]
    ) -> FundUseOut:
        """结束表决并公布结果：owners_approved 或 rejected。"""
        await uses.close_vote(caller, access, use_id)
        return await uses.fund_use_out(await uses.visible_use(access, use_id), with_shares=False)

    @post(
        "/{use_id:str}/submit",
        opt=allow(*uses.PROPOSERS),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def submit(
        self,
        caller: CallerDep,
        access: ScopeDep,
        use_id: FromPath[str],
        data: JSONBody[FundUseSubmitIn],
    ) -> FundUseOut:
        """提交报修转入的草稿：补全预算与列支范围后进入业主表决（紧急情况直接待审批）；
        提交时对每个部位再次核查保修期。"""
        await proposals.submit(caller, access, use_id, data)
        return await uses.fund_use_out(await uses.visible_use(access, use_id))

    @post("/{use_id:str}/approve", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_200_OK)
    async def approve(
        self, caller: CallerDep, access: ScopeDep, use_id: FromPath[str]
    ) -> FundUseOut:
        """区住建局审核通过（审批人不得为申请人）。紧急情况于此时公示。"""
        await uses.approve(caller, access, use_id)
        return await uses.fund_use_out(await uses.visible_use(access, use_id), with_shares=False)

    @post(
        "/{use_id:str}/cancel",
        opt=allow(BUREAU, COMPANY, COMMITTEE),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def cancel(
        self, caller: CallerDep, access: ScopeDep, use_id: FromPath[str]
    ) -> FundUseOut:
        """撤销申请（付款前，由申请人或区住建局；报修转入的草稿也可由物业或业委会撤销）。"""
        await uses.cancel(caller, access, use_id)
        return await uses.fund_use_out(await uses.visible_use(access, use_id), with_shares=False)

    @post(
        "/{use_id:str}/disbursements",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def disburse(
        self,
        caller: CallerDep,
        access: ScopeDep,
        request: Request[Any, Any, Any],
        use_id: FromPath[str],
        data: JSONBody[DisbursementIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[DisbursementOut]:
        """分阶段拨付（advance 预付 / progress 进度款 / final 结算）：按分摊比例记入各户，
        余额不足部分记为业主自筹，余额不为负；累计不超过批准金额。需 Idempotency-Key。"""
        return await idempotent(
            key=idempotency_key,
            caller=caller,
            request=request,
            body=data,
            operation=lambda key: uses.disburse(caller, access, use_id, data, key=key),
        )

    @post(
        "/{use_id:str}/attachments",
        opt=allow(BUREAU, COMPANY, COMMITTEE),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def attach(
        self,
        caller: CallerDep,
        access: ScopeDep,
        use_id: FromPath[str],
        data: MultipartBody[AttachmentUpload],
    ) -> AttachmentOut:
        """上传报价单、照片、验收记录等附件（PDF/JPEG/PNG，按内容识别，不超过 8 MB）。"""
        use = await uses.visible_use(access, use_id)
        content = await data.file.read()
        return await attach(caller, use, data.kind, data.file.filename, content)

    @get("/{use_id:str}/attachments", opt=allow(*READERS), responses=PROBLEMS)
    async def attachments(
        self, access: ScopeDep, paging: PagingDep, use_id: FromPath[str]
    ) -> Page[AttachmentOut]:
        """申请的附件清单，按上传先后。"""
        use = await uses.visible_use(access, use_id)
        # In the order they were uploaded (a use's attachments are a handful: paged in
        # memory).
        everything = await FundAttachment.select().where(FundAttachment.fund_use == use["id"])
        rows, cursor = page_of(everything, lambda r: order_key(r["uploaded_at"], r["id"]), paging)
        return Page(items=[attachment_out(r) for r in rows], next_cursor=cursor)

    @get(
        "/{use_id:str}/attachments/{attachment_id:str}",
        opt=allow(*READERS),
        responses=PROBLEMS,
        media_type="application/octet-stream",
    )
    async def download(
        self, access: ScopeDep, use_id: FromPath[str], attachment_id: FromPath[str]
    ) -> Response[bytes]:
        """下载附件原件。"""
        use = await uses.visible_use(access, use_id)
        return await attachment_response(use, as_uuid(attachment_id))

    @get("/{use_id:str}/self-funded", opt=allow(BUREAU, AUDITOR, COMMITTEE), responses=PROBLEMS)
    async def self_funded(
        self, access: ScopeDep, paging: PagingDep, use_id: FromPath[str]
    ) -> Page[SelfFundedOut]:
        """各户余额不足、须由业主自筹的金额（每次拨付一行）。"""
        use = await uses.visible_use(access, use_id)
        rows, cursor = await fetch_page(
            FundSelfFunded.select(
                FundSelfFunded.id,
                FundSelfFunded.household,
                FundSelfFunded.owner,
                FundSelfFunded.amount_fen,
            ).where(FundSelfFunded.fund_use == use["id"]),
            FundSelfFunded.id,
            paging,
        )
        items = [
            SelfFundedOut(
                household_id=r["household"],
                owner_id=r["owner"],
                amount=format_yuan(r["amount_fen"]),
            )
            for r in rows
        ]
        return Page(items=items, next_cursor=cursor)


ROUTE_HANDLERS = [FundUseController]
