"""Contracts API: contracts and their service records (API.md "Contracts, service
records, ratings, subsidies")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, OWNER, allow
from service.contracts import decisions, handover, records, schemas, service, upload
from service.contracts.tables import Contract, ManagementDecision, ServiceRecord
from service.db import read_json
from service.http import PROBLEMS, CallerDep, PagingDep, ScopeDep
from service.pagination import Page, fetch_page
from service.registry.import_routes import UPLOAD_PROBLEMS
from service.units import format_yuan

READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE)


def json_list(value: Any) -> list[Any]:
    """A JSON column's list (Piccolo returns JSON columns as text unless asked)."""
    return list(read_json(value) or [])


def contract_out(row: dict[str, Any]) -> schemas.ContractOut:
    return schemas.ContractOut(
        id=row["id"],
        community_id=row["community"],
        company_id=None if row["mode"] == "self" else row["company"],
        mode=row["mode"],
        status=row["status"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        fee_per_m2_month=format_yuan(row["fee_fen_per_m2_month"]),
        subsidy_per_m2_month=format_yuan(row["subsidy_fen_per_m2_month"]),
        services=json_list(row["services"]),
        attachments=json_list(row["attachments"]),
        no_fixed_term=row["ends_on"] is None and row["status"] == "live",
        fixed_term_ended_on=row["fixed_term_ended_on"],
        notice_given_on=row["notice_given_on"],
        end_reason=row["end_reason"],
        created_at=row["created_at"],
        manager_id=row["company"],
        decision_id=row["decision_id"],
        dismissal_id=row["dismissal_id"],
        notice_by=row["notice_by"],
        handover_since=row["handover_since"],
    )


def record_out(row: dict[str, Any]) -> schemas.ServiceRecordOut:
    return schemas.ServiceRecordOut(
        id=row["id"],
        contract_id=row["contract"],
        community_id=row["community"],
        performed_on=row["performed_on"],
        category=row["category"],
        description=row["description"],
        place=row["place"],
        photos=json_list(row["photos"]),
        batch_id=row["from_batch"],
        created_at=row["created_at"],
    )


@dataclass
class RecordUpload:
    """The multipart form: one file field named ``file`` (.csv or .xlsx)."""

    file: UploadFile


class ContractController(Controller):
    path = "/contracts"
    tags = ("物业服务合同",)

    @post("/", opt=allow(BUREAU, COMMITTEE), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def create(
        self, caller: CallerDep, data: JSONBody[schemas.ContractIn]
    ) -> schemas.ContractOut:
        """登记物业服务合同。局方登记即备案生效（live）；业委会登记为草稿（draft），须引用
        已通过的选聘/续聘业主共同决定或社区保障性物业安排（decision_id），由局方 activate
        备案后生效。业主自治（mode self）不填 company_id，由本小区业委会管理。
        与该小区其他生效合同期限重叠 → 409。"""
        return contract_out(await service.create_contract(caller, data))

    @get("/", opt=allow(*READERS), responses=PROBLEMS)
    async def list_all(
        self,
        caller: CallerDep,
        paging: PagingDep,
        community_id: FromQuery[UUID | None] = None,
        company_id: FromQuery[UUID | None] = None,
        status: FromQuery[str | None] = None,
    ) -> Page[schemas.ContractOut]:
        """可见的合同（局方、审计全区；企业本企业的；业委会本小区的），可按小区、企业、状态过滤。"""
        query = Contract.select().where(service.contract_condition(caller))
        if company_id is not None:
            query = query.where(Contract.company == company_id)
        if community_id is not None:
            query = query.where(Contract.community == community_id)
        if status:
            query = query.where(Contract.status == status)
        rows, cursor = await fetch_page(query, Contract.id, paging)
        return Page(items=[contract_out(r) for r in rows], next_cursor=cursor)

    @get("/{contract_id:str}", opt=allow(*READERS), responses=PROBLEMS)
    async def read(self, caller: CallerDep, contract_id: FromPath[str]) -> schemas.ContractOut:
        """一份合同。"""
        return contract_out(await service.load_contract(caller, contract_id))

    @post(
        "/{contract_id:str}/activate",
        opt=allow(BUREAU),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def activate(self, caller: CallerDep, contract_id: FromPath[str]) -> schemas.ContractOut:
        """局方备案草稿合同，使其生效；期限与其他生效合同重叠 → 409。"""
        return contract_out(await service.activate_contract(caller, contract_id))

    @post(
        "/{contract_id:str}/terminate",
        opt=allow(BUREAU, COMMITTEE, COMPANY),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def terminate(
        self, caller: CallerDep, contract_id: FromPath[str], data: JSONBody[schemas.TerminateIn]
    ) -> schemas.ContractOut:
        """书面通知解除合同：不定期合同任何一方（含物业服务企业）均可，于通知日后满通知期
        （可配置，不少于 60 天）终止（民法典第九百四十八条）；固定期限合同由业主一方提前解除
        （第九百四十六条）。业主一方须引用已通过的解聘决定（decision_id）。
        终止日已过则进入交接。"""
        return contract_out(await service.terminate_contract(caller, contract_id, data))

    @post(
        "/{contract_id:str}/non-renewal",
        opt=allow(COMPANY),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def non_renewal(
        self, caller: CallerDep, contract_id: FromPath[str], data: JSONBody[schemas.NonRenewalIn]
    ) -> schemas.ContractOut:
        """物业服务企业不再续约：须在期限届满前 90 日书面通知（民法典第九百四十七条）；
        此后合同随期限届满而结束，不转为不定期合同。"""
        return contract_out(await service.give_non_renewal_notice(caller, contract_id, data))

    @post("/{contract_id:str}/end", opt=allow(BUREAU), responses=PROBLEMS, status_code=HTTP_200_OK)
    async def end(self, caller: CallerDep, contract_id: FromPath[str]) -> schemas.ContractOut:
        """最后服务日已过的合同：未通知且无后续合同的转为不定期合同，其余进入交接
        （原企业继续服务至后续合同开始，民法典第九百五十条）。"""
        return contract_out(await service.end_contract(caller, contract_id))

    @post(
        "/{contract_id:str}/continue",
        opt=allow(BUREAU, COMMITTEE),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def continue_(self, caller: CallerDep, contract_id: FromPath[str]) -> schemas.ContractOut:
        """期限届满后业主未作决定、企业继续服务：转为不定期合同（民法典第九百四十八条）。"""
        return contract_out(await service.continue_contract(caller, contract_id))

    @post(
        "/{contract_id:str}/service-records",
        opt=allow(COMPANY),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def add_record(
        self,
        caller: CallerDep,
        contract_id: FromPath[str],
        data: JSONBody[schemas.ServiceRecordIn],
    ) -> schemas.ServiceRecordOut:
        """合同所属企业提交一条服务记录（保洁、巡查、绿化、设施检查、维修）。"""
        return record_out(await records.add_record(caller, contract_id, data))

    @post(
        "/{contract_id:str}/service-records/batch",
        opt=allow(COMPANY),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def add_batch(
        self,
        caller: CallerDep,
        contract_id: FromPath[str],
        data: JSONBody[schemas.ServiceRecordBatchIn],
    ) -> schemas.ServiceRecordBatchOut:
        """批量提交服务记录（每批至多 1000 条，全部成功或全部不导入，422 按序号列出错误）。
        同一 batch_key 同样内容重发返回首次结果；内容不同 → 409。"""
        return await records.add_batch(caller, contract_id, data)

    @post(
        "/{contract_id:str}/service-records/import",
        opt=allow(COMPANY),
        responses=UPLOAD_PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def import_records(
        self,
        caller: CallerDep,
        contract_id: FromPath[str],
        data: MultipartBody[RecordUpload],
    ) -> schemas.ServiceRecordBatchOut:
        """上传服务记录文件（CSV 或 XLSX，表头 日期、类别、内容、地点，至多 1000 行）。
        全部成功或全部不导入，422 按表格行号列出错误；同一文件重复上传只记录一次。"""
        content = await data.file.read()
        return await upload.import_records(
            caller, contract_id, data.file.filename, data.file.content_type, content
        )

    @get("/{contract_id:str}/service-records", opt=allow(*READERS), responses=PROBLEMS)
    async def list_records(
        self,
        caller: CallerDep,
        paging: PagingDep,
        contract_id: FromPath[str],
        category: FromQuery[str | None] = None,
        performed_from: FromQuery[date | None] = None,
        performed_to: FromQuery[date | None] = None,
    ) -> Page[schemas.ServiceRecordOut]:
        """合同的服务记录，可按类别、日期过滤。"""
        contract = await service.load_contract(caller, contract_id)
        query = ServiceRecord.select().where(ServiceRecord.contract == contract["id"])
        if category:
            query = query.where(ServiceRecord.category == category)
        if performed_from is not None:
            query = query.where(ServiceRecord.performed_on >= performed_from)
        if performed_to is not None:
            query = query.where(ServiceRecord.performed_on <= performed_to)
        rows, cursor = await fetch_page(query, ServiceRecord.id, paging)
        return Page(items=[record_out(r) for r in rows], next_cursor=cursor)

    @get("/{contract_id:str}/handover", opt=allow(*READERS), responses=PROBLEMS)
    async def read_handover(
        self, caller: CallerDep, contract_id: FromPath[str]
    ) -> schemas.HandoverOut:
        """合同的交接记录（资料、钥匙、设施设备、物业服务用房、维修资金账户信息）及双方确认。"""
        return await handover.read_record(caller, contract_id)

    @put(
        "/{contract_id:str}/handover",
        opt=allow(BUREAU, COMMITTEE, COMPANY),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def write_handover(
        self, caller: CallerDep, contract_id: FromPath[str], data: JSONBody[schemas.HandoverIn]
    ) -> schemas.HandoverOut:
        """登记（或在任何一方确认前修改）交接记录（民法典第九百四十九条）。"""
        return await handover.put_record(caller, contract_id, data)

    @post(
        "/{contract_id:str}/handover/confirm",
        opt=allow(COMMITTEE, COMPANY),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def confirm_handover(
        self, caller: CallerDep, contract_id: FromPath[str], data: JSONBody[schemas.ConfirmIn]
    ) -> schemas.HandoverOut:
        """移交方（outgoing：原企业）或接收方（incoming：业委会或接管企业）确认交接记录，
        每方一次；后续合同已开始且双方确认后，原合同结束（民法典第九百五十条）。"""
        return await handover.confirm(caller, contract_id, data)


class DecisionController(Controller):
    path = "/management-decisions"
    tags = ("物业服务合同",)

    @post("/", opt=allow(BUREAU, COMMITTEE), responses=PROBLEMS, status_code=HTTP_201_CREATED)
    async def open(
        self, caller: CallerDep, access: ScopeDep, data: JSONBody[schemas.DecisionIn]
    ) -> schemas.DecisionOut:
        """业主共同决定选聘（或业主自治）、续聘、解聘物业服务企业（民法典第二百七十八条
        第一款第四项），开始表决；或区住建局在业主无法作出决定时安排社区保障性物业
        （kind placement，即时生效）。"""
        return await decisions.decision_out(await decisions.open_decision(caller, access, data))

    @get("/", opt=allow(BUREAU, AUDITOR, COMPANY, COMMITTEE, OWNER), responses=PROBLEMS)
    async def list_decisions(
        self,
        access: ScopeDep,
        paging: PagingDep,
        community_id: FromQuery[UUID | None] = None,
    ) -> Page[schemas.DecisionOut]:
        """可见小区的业主共同决定（物业服务企业的选聘、续聘、解聘与社区保障性物业安排）。"""
        query = ManagementDecision.select().where(
            access.communities(ManagementDecision.community, ManagementDecision.district)
        )
        if community_id is not None:
            query = query.where(ManagementDecision.community == community_id)
        rows, cursor = await fetch_page(query, ManagementDecision.id, paging)
        return Page(items=[await decisions.decision_out(r) for r in rows], next_cursor=cursor)

    @get(
        "/{decision_id:str}",
        opt=allow(BUREAU, AUDITOR, COMPANY, COMMITTEE, OWNER),
        responses=PROBLEMS,
    )
    async def read(self, access: ScopeDep, decision_id: FromPath[str]) -> schemas.DecisionOut:
        """一项决定及其计票（表决中为实时计票，结束后为公布结果）。"""
        return await decisions.decision_out(await decisions.visible_decision(access, decision_id))

    @post(
        "/{decision_id:str}/ballots",
        opt=allow(OWNER, COMMITTEE),
        responses=PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def ballot(
        self,
        caller: CallerDep,
        access: ScopeDep,
        decision_id: FromPath[str],
        data: JSONBody[schemas.DecisionBallotIn],
    ) -> schemas.DecisionBallotOut:
        """业主为本人房屋投票，或业委会录入纸质选票；表决结束前同一房屋以最后一票为准。"""
        return await decisions.cast_ballot(caller, access, decision_id, data)

    @post(
        "/{decision_id:str}/close",
        opt=allow(BUREAU, COMMITTEE),
        responses=PROBLEMS,
        status_code=HTTP_200_OK,
    )
    async def close(
        self, caller: CallerDep, access: ScopeDep, decision_id: FromPath[str]
    ) -> schemas.DecisionOut:
        """结束表决并公布结果：参与表决的专有部分面积和人数均达三分之二以上，且同意的
        均过参与表决者的半数（民法典第二百七十八条第二款），为 passed，否则 rejected。"""
        return await decisions.decision_out(await decisions.close(caller, access, decision_id))


ROUTE_HANDLERS = [ContractController, DecisionController]
