"""Contract use cases (Civil Code arts. 937-950), each in one transaction with its audit
entry; service records are in records.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import msgspec
from litestar.exceptions import NotFoundException

from service.audit.service import record
from service.auth.roles import BUREAU, COMMITTEE, COMPANY, Caller
from service.auth.scope import as_uuid, contract_party_condition, contract_party_visible
from service.clock import now, today
from service.contracts import rules, schemas
from service.contracts.decisions import committee_of, passed_decision
from service.contracts.tables import Contract, HandoverRecord
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


async def locked_contract(caller: Caller, contract_id: UUID | str) -> dict[str, Any]:
    """The visible contract, locked until the transaction ends and read again after the
    lock (PostgreSQL; SQLite's IMMEDIATE transaction already holds the write lock), so a
    state change rechecks the state another step may just have changed."""
    row = await load_contract(caller, contract_id)
    if is_postgres():
        await Contract.select(Contract.id).where(Contract.id == row["id"]).lock_rows()
        row = await load_contract(caller, row["id"])
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
    manager_id = await _manager(caller, data)
    status = "live" if caller.role == BUREAU else "draft"
    if caller.role == COMMITTEE and data.decision_id is None:
        raise InputError(
            "decision_id",
            "业委会登记合同须引用已通过的业主共同决定（选聘或续聘，民法典第二百七十八条）"
            "或区住建局的社区保障性物业安排",
        )
    async with transaction():
        await _lock_community(data.community_id)
        if data.decision_id is not None:
            await _check_decision_for(caller, data, manager_id)
        await _refuse_overlap(data.community_id, data.starts_on, data.ends_on, None)
        contract = Contract(
            district=caller.district_id,
            community=data.community_id,
            company=manager_id,
            decision_id=data.decision_id,
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
        if status == "live":
            await settle_handovers(caller, data.community_id, today())
    return await load_contract(caller, contract.id)


async def _manager(caller: Caller, data: schemas.ContractIn) -> UUID:
    """The organisation that manages under the contract: the property company, or for
    owners' self-management (业主自治, ``mode: self``) the community's owners' committee."""
    if data.mode == "self":
        if data.company_id is not None:
            raise InputError(
                "company_id", "业主自治（self）不委托物业服务企业，不应填写 company_id"
            )
        committee = await committee_of(caller.district_id, data.community_id)
        if committee is None:
            raise InputError("mode", "业主自治由本小区业主委员会管理，该小区尚未登记业主委员会")
        return committee
    if data.company_id is None:
        raise InputError("company_id", "须填写物业服务企业（业主自治 self 除外）")
    company = (
        await Organization.select(Organization.kind)
        .where((Organization.id == data.company_id) & (Organization.district == caller.district_id))
        .first()
    )
    if company is None or company["kind"] != "company":
        raise InputError("company_id", "物业服务企业不存在")
    return data.company_id


async def _check_decision_for(caller: Caller, data: schemas.ContractIn, manager_id: UUID) -> None:
    """The decision behind a new contract: a passed choice or renewal of this company (or
    of self-management), or the bureau's placement for a guaranteed contract, of this
    community, not already behind another contract."""
    assert data.decision_id is not None
    kinds = ("placement",) if data.mode == "guaranteed" else ("choose", "renew")
    decision = await passed_decision(
        caller.district_id, data.decision_id, data.community_id, kinds, "选聘（续聘）物业服务企业"
    )
    expected = None if data.mode == "self" else manager_id
    if decision["company"] != expected or (decision["mode"] and decision["mode"] != data.mode):
        raise InputError("decision_id", "业主共同决定所定的物业服务企业或管理方式与本合同不一致")
    used = await Contract.exists().where(
        (Contract.decision_id == data.decision_id) & (Contract.status != "ended")
    )
    if used:
        raise Conflict("该业主共同决定已用于另一份合同。")


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
        row = await locked_contract(caller, contract_id)
        if row["status"] != "draft":
            raise Conflict("只有草稿状态的合同可以备案生效。")
        if row["created_by_role"] == COMMITTEE:
            if row["decision_id"] is None:
                raise Conflict("该草稿未引用业主共同决定，不能备案生效（民法典第二百七十八条）。")
            kinds = ("placement",) if row["mode"] == "guaranteed" else ("choose", "renew")
            await passed_decision(
                caller.district_id, row["decision_id"], row["community"], kinds, "选聘物业服务企业"
            )
        await _refuse_overlap(row["community"], row["starts_on"], row["ends_on"], row["id"])
        after = await _update(
            caller,
            row,
            "contract.activate",
            {
                Contract.status: "live",
                Contract.activated_by: caller.id,
                Contract.activated_at: now(),
            },
        )
        await settle_handovers(caller, row["community"], today())
        return after


def _party(caller: Caller, row: dict[str, Any]) -> str:
    """Who gives notice: the managing organisation (company), the owners (their committee)
    or the bureau."""
    if caller.role == COMPANY:
        return "company"
    if caller.role == COMMITTEE:
        return "company" if row["company"] == caller.org_id and row["mode"] == "self" else "owners"
    return "bureau"


async def terminate_contract(
    caller: Caller, contract_id: str, data: schemas.TerminateIn
) -> dict[str, Any]:
    """Written notice ending a live contract (Civil Code arts. 946, 948; floor 60 days).

    A no-fixed-term contract: either side gives notice and it ends on the notice day +
    the notice period (``rules.notice_end``; a later ``ends_on`` may be named). A fixed
    term: the owners end it early with notice; the company cannot (art. 947 gives it
    non-renewal). The owners' side (committee, or the bureau for a contract it did not
    place) names the passed dismissal decision (art. 278 para 1 item 4). A last day in
    the past starts hand-over at once (art. 950)."""
    days = rules.notice_days()
    async with transaction():
        row = await locked_contract(caller, contract_id)
        if row["status"] != "live":
            raise Conflict("只有生效中的合同可以解除。")
        party = _party(caller, row)
        no_fixed_term = row["ends_on"] is None
        problem = rules.termination_problem(
            "company" if party == "company" else "owners",
            no_fixed_term,
            row["end_reason"] == "terminated",
        )
        if problem:
            raise Conflict(problem)
        if data.notice_given_on > today():
            raise InputError("notice_given_on", "书面通知日期不能晚于今天")
        if data.notice_given_on < row["starts_on"]:
            raise InputError("notice_given_on", "书面通知日期不能早于合同开始日期")
        dismissal = None
        needs_decision = party == "owners" or (party == "bureau" and row["mode"] != "guaranteed")
        if needs_decision:
            if data.decision_id is None:
                raise InputError(
                    "decision_id",
                    "业主一方解除合同须引用已通过的解聘业主共同决定（民法典第二百七十八条）",
                )
            decision = await passed_decision(
                caller.district_id, data.decision_id, row["community"], ("dismiss",), "解聘"
            )
            if decision["contract"] != row["id"]:
                raise InputError("decision_id", "该解聘决定针对的不是本合同")
            dismissal = data.decision_id
        elif data.decision_id is not None:
            raise InputError("decision_id", "物业服务企业通知解除不需要业主共同决定")
        ends_on = data.ends_on
        if no_fixed_term:
            earliest = rules.notice_end(data.notice_given_on, days)
            ends_on = ends_on or earliest
        elif ends_on is None:
            raise InputError("ends_on", "提前解除固定期限合同须写明终止日期")
        if ends_on < row["starts_on"] or ends_on < data.notice_given_on:
            raise InputError("ends_on", "终止日期不能早于合同开始日期或通知日期")
        if row["ends_on"] is not None and ends_on > row["ends_on"]:
            raise InputError("ends_on", f"晚于合同到期日 {row['ends_on']}，到期自然终止，无需解除")
        if not rules.notice_is_sufficient(data.notice_given_on, ends_on, days):
            raise InputError(
                "ends_on", f"须至少提前 {days} 天书面通知（民法典第九百四十六、九百四十八条）"
            )
        after = await _update(
            caller,
            row,
            "contract.terminate",
            {
                Contract.ends_on: ends_on,
                Contract.notice_given_on: data.notice_given_on,
                Contract.notice_by: party,
                Contract.dismissal_id: dismissal,
                Contract.end_reason: "terminated",
            },
        )
        if ends_on < today():
            after = await advance(caller, after, today())
        return after


async def give_non_renewal_notice(
    caller: Caller, contract_id: str, data: schemas.NonRenewalIn
) -> dict[str, Any]:
    """The company will not renew: written notice at least 90 days before the fixed term
    ends (Civil Code art. 947). The contract then ends with its term, without art. 948
    continuation."""
    async with transaction():
        row = await locked_contract(caller, contract_id)
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
            caller,
            row,
            "contract.non_renewal",
            {Contract.notice_given_on: data.notice_given_on, Contract.notice_by: "company"},
        )


async def end_contract(caller: Caller, contract_id: str) -> dict[str, Any]:
    """A live contract whose last day has passed: what the daily sweep does, now (art.
    948 continuation, or hand-over until the successor takes over, arts. 949-950)."""
    async with transaction():
        row = await locked_contract(caller, contract_id)
        if row["status"] != "live" or row["ends_on"] is None or row["ends_on"] >= today():
            raise Conflict("只有最后服务日已过的生效合同可以结束。")
        return await advance(caller, row, today())


async def continue_contract(caller: Caller, contract_id: str) -> dict[str, Any]:
    """Civil Code art. 948: after the term, the company keeps serving and the owners
    decided nothing, so the contract continues with no fixed term."""
    async with transaction():
        row = await load_contract(caller, contract_id)
        await _lock_community(row["community"])
        row = await locked_contract(caller, contract_id)
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


async def _successor(row: dict[str, Any]) -> dict[str, Any] | None:
    """The live contract of the same community that follows ``row`` (one at a time)."""
    found: dict[str, Any] | None = (
        await Contract.select(Contract.id, Contract.starts_on)
        .where(
            (Contract.community == row["community"])
            & (Contract.id != row["id"])
            & (Contract.status == "live")
        )
        .order_by(Contract.starts_on)
        .first()
    )
    return found


async def handover_confirmed(contract_id: UUID) -> tuple[bool, bool]:
    """(outgoing, incoming) confirmations of the contract's hand-over record."""
    row = (
        await HandoverRecord.select(
            HandoverRecord.outgoing_confirmed_at, HandoverRecord.incoming_confirmed_at
        )
        .where(HandoverRecord.contract == contract_id)
        .first()
    )
    if row is None:
        return False, False
    return row["outgoing_confirmed_at"] is not None, row["incoming_confirmed_at"] is not None


async def advance(caller: Caller | None, row: dict[str, Any], on: date) -> dict[str, Any]:
    """Move one contract on after its last day (inside the caller's transaction, the row
    locked): the changed row, or ``row`` when nothing is due.

    - live, term over, no notice and no successor: continues with no fixed term (art. 948);
    - live, term over otherwise (notice of non-renewal or termination, or a successor
      filed): hand-over (交接) — the company keeps serving, is routed to and paid, with
      no fixed end, until its successor's contract starts (arts. 949-950);
    - in hand-over, the successor's contract started: service ends the day before it;
      the contract ends once both sides also confirmed the hand-over record.
    """
    changes: dict[Any, Any] = {}
    action = ""
    if row["status"] == "live":
        if row["ends_on"] is None or row["ends_on"] >= on:
            return row
        successor = await _successor(row)
        if row["notice_given_on"] is None and successor is None:
            changes = {Contract.fixed_term_ended_on: row["ends_on"], Contract.ends_on: None}
            action = "contract.continue"
        else:
            changes = {
                Contract.status: "handover",
                Contract.handover_since: row["ends_on"] + timedelta(days=1),
                Contract.ends_on: None,
                Contract.end_reason: row["end_reason"]
                or ("expired" if successor is None else "succeeded"),
            }
            action = "contract.handover"
        row = await _change(caller, row, action, changes)
    if row["status"] != "handover":
        return row
    successor = await _successor(row)
    if successor is None or successor["starts_on"] > on:
        return row
    last_day = rules.handover_end(row["handover_since"] - timedelta(days=1), successor["starts_on"])
    outgoing, incoming = await handover_confirmed(row["id"])
    changes = {}
    if row["ends_on"] != last_day:
        changes[Contract.ends_on] = last_day
    if rules.handover_may_close(True, outgoing, incoming):
        changes[Contract.status] = "ended"
    if not changes:
        return row
    return await _change(caller, row, "contract.handed_over", changes)


async def _change(
    caller: Caller | None, before: dict[str, Any], action: str, changes: dict[Any, Any]
) -> dict[str, Any]:
    changes[Contract.updated_at] = now()
    await Contract.update(changes).where(Contract.id == before["id"])
    after = await Contract.select().where(Contract.id == before["id"]).first()
    assert after is not None
    await record(
        caller,
        action,
        "contract",
        before["id"],
        before={"status": before["status"], "ends_on": before["ends_on"]},
        after={"status": after["status"], "ends_on": after["ends_on"]},
        district_id=before["district"],
    )
    return after


async def settle_handovers(caller: Caller | None, community_id: UUID, on: date) -> None:
    """Contracts of the community in hand-over, moved on now that a successor may have
    started (inside the caller's transaction)."""
    query = Contract.select().where(
        (Contract.community == community_id) & (Contract.status == "handover")
    )
    if is_postgres():
        query = query.lock_rows()
    for row in await query:
        await advance(caller, row, on)


async def sweep_expired_terms(on: date) -> tuple[int, int]:
    """The daily sweep; returns (moved into or through hand-over, continued).

    Every live contract whose last day is before ``on``, and every contract in
    hand-over, is moved on by :func:`advance`: no notice and no successor → art. 948
    continuation with no fixed term; otherwise hand-over, the old company still
    serving until its successor's contract starts (art. 950). Each contract in its own
    locked step.
    """
    handed = continued = 0
    due = await Contract.select(Contract.id).where(
        ((Contract.status == "live") & Contract.ends_on.is_not_null() & (Contract.ends_on < on))
        | (Contract.status == "handover")
    )
    for item in due:
        async with transaction():
            query = Contract.select().where(Contract.id == item["id"])
            if is_postgres():
                query = query.lock_rows()
            row = await query.first()
            if row is None:
                continue
            after = await advance(None, row, on)
            if (
                after["status"] == "live"
                and row["ends_on"] is not None
                and after["ends_on"] is None
            ):
                continued += 1
            elif after is not row:
                handed += 1
    return handed, continued
