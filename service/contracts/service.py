"""Contract use cases (Civil Code arts. 937-950), each in one transaction with its audit
entry; service records are in records.py."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import msgspec
from litestar.exceptions import NotFoundException
from piccolo.columns import Column

from service.audit.service import record
from service.auth.roles import BUREAU, COMMITTEE, COMPANY, Caller
from service.auth.scope import as_uuid, contract_party_condition, contract_party_visible
from service.clock import now, today
from service.contracts import rules, schemas
from service.contracts.tables import Contract
from service.db import is_postgres, transaction
from service.errors import Conflict, InputError, InputErrors
from service.registry.tables import Community, Organization
from service.units import parse_fen

NOT_FOUND = "合同不存在，或不在您的权限范围内。"


def contract_visible(caller: Caller, row: dict[str, Any]) -> bool:
    """Bureau and auditor: the district; a company: its own contracts; a committee:
    contracts of its community."""
    return contract_party_visible(caller, row)


def contract_condition(caller: Caller) -> Any:
    """The same rule as :func:`contract_visible`, as a where-condition on ``Contract``."""
    return contract_party_condition(caller, Contract)


async def load_contract(caller: Caller, contract_id: UUID | str) -> dict[str, Any]:
    """The contract if the caller may see it, else 404."""
    row = await Contract.select().where(Contract.id == as_uuid(contract_id)).first()
    if row is None or not contract_visible(caller, row):
        raise NotFoundException(NOT_FOUND)
    return row


async def _lock_community(community_id: UUID) -> None:
    # Serialise contract changes of one community (SQLite's IMMEDIATE already does).
    query = Community.select(Community.id).where(Community.id == community_id)
    if is_postgres():
        query = query.lock_rows()
    await query


async def _refuse_overlap(
    community_id: UUID, starts_on: date, ends_on: date | None, except_id: UUID | None
) -> None:
    live = await Contract.select(Contract.id, Contract.starts_on, Contract.ends_on).where(
        (Contract.community == community_id) & (Contract.status == "live")
    )
    for other in live:
        if other["id"] == except_id:
            continue
        if rules.terms_overlap(starts_on, ends_on, other["starts_on"], other["ends_on"]):
            end = other["ends_on"] or "不定期"
            raise Conflict(
                f"该小区已有生效合同（{other['starts_on']} 至 {end}），期限重叠；"
                "同一小区同一时间只能有一份生效合同。"
            )


async def create_contract(caller: Caller, data: schemas.ContractIn) -> dict[str, Any]:
    """Bureau: a live (filed) contract. Committee: a draft for its own community, live
    once the bureau files it with ``activate``."""
    errors: list[dict[str, str]] = []
    if data.mode not in rules.MODES:
        errors.append({"field": "mode", "message": "应为 market、guaranteed、self 之一"})
    if data.ends_on is not None and data.ends_on < data.starts_on:
        errors.append({"field": "ends_on", "message": "合同终止日期不能早于开始日期"})
    if errors:
        raise InputErrors("；".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    fee = parse_fen(data.fee_per_m2_month, "fee_per_m2_month", allow_zero=True)
    subsidy = parse_fen(data.subsidy_per_m2_month, "subsidy_per_m2_month", allow_zero=True)
    services = [s.strip() for s in data.services if s.strip()]
    community = (
        await Community.select(Community.id)
        .where((Community.id == data.community_id) & (Community.district == caller.district_id))
        .first()
    )
    if community is None or (
        caller.role == COMMITTEE and data.community_id != caller.committee_community_id
    ):
        raise InputError("community_id", "小区不存在，或不是本业委会所在小区")
    company = (
        await Organization.select(Organization.kind)
        .where((Organization.id == data.company_id) & (Organization.district == caller.district_id))
        .first()
    )
    if company is None or company["kind"] != "company":
        raise InputError("company_id", "物业服务企业不存在")
    status = "live" if caller.role == BUREAU else "draft"
    async with transaction():
        await _lock_community(data.community_id)
        await _refuse_overlap(data.community_id, data.starts_on, data.ends_on, None)
        contract = Contract(
            district=caller.district_id,
            community=data.community_id,
            company=data.company_id,
            mode=data.mode,
            status=status,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            fee_fen_per_m2_month=fee,
            subsidy_fen_per_m2_month=subsidy,
            services=services,
            attachments=[msgspec.to_builtins(a) for a in data.attachments],
            created_by=caller.id,
            created_by_role=caller.role,
            activated_by=caller.id if status == "live" else None,
            activated_at=now() if status == "live" else None,
            created_at=now(),
            updated_at=now(),
        )
        await contract.save()
        await record(caller, "contract.create", "contract", contract.id, after=contract.to_dict())
    return await load_contract(caller, contract.id)


async def _update(
    caller: Caller, before: dict[str, Any], action: str, changes: dict[Any, Any]
) -> dict[str, Any]:
    changes[Contract.updated_at] = now()
    await Contract.update(changes).where(Contract.id == before["id"])
    after = await Contract.select().where(Contract.id == before["id"]).first()
    assert after is not None
    await record(caller, action, "contract", before["id"], before=before, after=after)
    return after


async def activate_contract(caller: Caller, contract_id: str) -> dict[str, Any]:
    """The bureau files a draft: it becomes live (refused when its term overlaps)."""
    row = await load_contract(caller, contract_id)
    async with transaction():
        await _lock_community(row["community"])
        row = await load_contract(caller, contract_id)
        if row["status"] != "draft":
            raise Conflict("只有草稿状态的合同可以备案生效。")
        await _refuse_overlap(row["community"], row["starts_on"], row["ends_on"], row["id"])
        return await _update(
            caller,
            row,
            "contract.activate",
            {
                Contract.status: "live",
                Contract.activated_by: caller.id,
                Contract.activated_at: now(),
            },
        )


async def terminate_contract(
    caller: Caller, contract_id: str, data: schemas.TerminateIn
) -> dict[str, Any]:
    """End a live contract early, or end a no-fixed-term one, after written notice of at
    least the configured notice period (Civil Code arts. 946, 948; floor 60 days)."""
    days = rules.notice_days()
    async with transaction():
        row = await load_contract(caller, contract_id)
        if row["status"] != "live":
            raise Conflict("只有生效中的合同可以解除。")
        if data.notice_given_on > today():
            raise InputError("notice_given_on", "书面通知日期不能晚于今天")
        if data.ends_on < row["starts_on"] or data.ends_on < data.notice_given_on:
            raise InputError("ends_on", "终止日期不能早于合同开始日期或通知日期")
        if row["ends_on"] is not None and data.ends_on > row["ends_on"]:
            raise InputError("ends_on", f"晚于合同到期日 {row['ends_on']}，到期自然终止，无需解除")
        if not rules.notice_is_sufficient(data.notice_given_on, data.ends_on, days):
            raise InputError(
                "ends_on", f"须至少提前 {days} 天书面通知（民法典第九百四十六、九百四十八条）"
            )
        changes: dict[Any, Any] = {
            Contract.ends_on: data.ends_on,
            Contract.notice_given_on: data.notice_given_on,
            Contract.end_reason: "terminated",
        }
        if data.ends_on < today():
            changes[Contract.status] = "ended"
        return await _update(caller, row, "contract.terminate", changes)


async def give_non_renewal_notice(
    caller: Caller, contract_id: str, data: schemas.NonRenewalIn
) -> dict[str, Any]:
    """The company will not renew: written notice at least 90 days before the fixed term
    ends (Civil Code art. 947). The contract then ends with its term, without art. 948
    continuation."""
    async with transaction():
        row = await load_contract(caller, contract_id)
        if caller.role != COMPANY or row["company"] != caller.org_id:
            raise NotFoundException(NOT_FOUND)
        if row["status"] != "live" or row["ends_on"] is None:
            raise Conflict("只有生效中、有固定期限的合同可以发出不续约通知。")
        if row["notice_given_on"] is not None:
            raise Conflict(f"已于 {row['notice_given_on']} 发出通知。")
        if data.notice_given_on > today():
            raise InputError("notice_given_on", "书面通知日期不能晚于今天")
        days = rules.NON_RENEWAL_NOTICE_DAYS
        if not rules.notice_is_sufficient(data.notice_given_on, row["ends_on"], days):
            raise InputError(
                "notice_given_on",
                f"须在期限届满（{row['ends_on']}）前 {days} 日书面通知（民法典第九百四十七条）",
            )
        return await _update(
            caller, row, "contract.non_renewal", {Contract.notice_given_on: data.notice_given_on}
        )


async def end_contract(caller: Caller, contract_id: str) -> dict[str, Any]:
    """Close a live contract whose last day has passed (expired, or terminated)."""
    async with transaction():
        row = await load_contract(caller, contract_id)
        if row["status"] != "live" or row["ends_on"] is None or row["ends_on"] >= today():
            raise Conflict("只有最后服务日已过的生效合同可以结束。")
        return await _update(
            caller,
            row,
            "contract.end",
            {Contract.status: "ended", Contract.end_reason: row["end_reason"] or "expired"},
        )


async def continue_contract(caller: Caller, contract_id: str) -> dict[str, Any]:
    """Civil Code art. 948: after the term, the company keeps serving and the owners
    decided nothing, so the contract continues with no fixed term."""
    async with transaction():
        row = await load_contract(caller, contract_id)
        await _lock_community(row["community"])
        if not rules.may_continue_without_fixed_term(row["status"], row["ends_on"], today()):
            raise Conflict("只有期限已届满、仍在服务的生效合同可以转为不定期合同。")
        if row["notice_given_on"] is not None:
            raise Conflict("物业服务企业已书面通知不续约（或合同已通知解除），不能转为不定期合同。")
        await _refuse_overlap(row["community"], row["starts_on"], None, row["id"])
        return await _update(
            caller,
            row,
            "contract.continue",
            {Contract.fixed_term_ended_on: row["ends_on"], Contract.ends_on: None},
        )


async def sweep_expired_terms(on: date) -> tuple[int, int]:
    """The daily sweep of live contracts whose last day is before ``on``; returns
    (ended, continued).

    A contract whose end was given notice of (non-renewal, art. 947; termination,
    art. 946) ends, and the company's scope goes with it. One with no notice, whose
    company keeps serving while the owners decided nothing, continues with no fixed term
    (Civil Code art. 948) — either side may then end it on notice. Open-ended contracts
    are never touched.
    """
    ended = continued = 0
    async with transaction():
        due = await Contract.select().where(
            (Contract.status == "live") & Contract.ends_on.is_not_null() & (Contract.ends_on < on)
        )
        for row in due:
            # A successor already filed takes over (art. 950): nothing to continue.
            successor = await Contract.exists().where(
                (Contract.community == row["community"])
                & (Contract.id != row["id"])
                & (Contract.status == "live")
            )
            if row["notice_given_on"] is not None or successor:
                reason = row["end_reason"] or ("succeeded" if successor else "expired")
                change: dict[Column | str, Any] = {
                    Contract.status: "ended",
                    Contract.end_reason: reason,
                }
                after: dict[str, Any] = {"status": "ended", "end_reason": reason}
                action = "contract.end"
                ended += 1
            else:
                change = {Contract.fixed_term_ended_on: row["ends_on"], Contract.ends_on: None}
                after = {"ends_on": None, "fixed_term_ended_on": row["ends_on"]}
                action = "contract.continue"
                continued += 1
            await Contract.update({**change, Contract.updated_at: now()}).where(
                Contract.id == row["id"]
            )
            await record(
                None,
                action,
                "contract",
                row["id"],
                before={"status": "live", "ends_on": row["ends_on"]},
                after=after,
                district_id=row["district"],
            )
    return ended, continued
