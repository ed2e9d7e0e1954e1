"""The owners' common decision on who manages the community (Civil Code art. 278 para 1
item 4: choosing, renewing or dismissing a property company, or managing it themselves),
its ballots and published tally (service.votes.rules, matter ``management``); and the
bureau's placement under 社区保障性物业 where the owners cannot decide.

A ballot and the close both lock the decision row first, so a ballot racing the close is
either counted in the published tally or refused with 409.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar.exceptions import NotFoundException, PermissionDeniedException

from service.audit.service import record
from service.auth.roles import BUREAU, COMMITTEE, OWNER, Caller
from service.auth.scope import Scope, as_uuid
from service.clock import now
from service.contracts import rules, schemas
from service.contracts.tables import Contract, ManagementBallot, ManagementDecision
from service.db import is_postgres, read_json, transaction
from service.errors import Conflict, InputError
from service.registry.tables import Community, Household, Organization
from service.units import format_area
from service.votes.rules import Choice, Flat, Matter, Tally, tally_owner_vote

NOT_FOUND = "业主共同决定不存在，或不在您的权限范围内。"
KIND_NAMES = {
    "choose": "选聘物业服务企业（或业主自治）",
    "renew": "续聘物业服务企业",
    "dismiss": "解聘物业服务企业",
    "placement": "社区保障性物业安排",
}


async def committee_of(district_id: UUID, community_id: UUID) -> UUID | None:
    """The owners' committee organisation of a community, if one is registered."""
    row = (
        await Organization.select(Organization.id)
        .where(
            (Organization.district == district_id)
            & (Organization.kind == "committee")
            & (Organization.community == community_id)
        )
        .first()
    )
    return row["id"] if row else None


async def passed_decision(
    district_id: UUID, decision_id: UUID, community_id: UUID, kinds: tuple[str, ...], what: str
) -> dict[str, Any]:
    """The decision behind a contract step: of this community, of one of ``kinds``, and
    passed by the owners (or placed by the bureau). 422 naming ``decision_id`` when it is
    not such a decision; 409 while it is still being voted on or was rejected."""
    row = (
        await ManagementDecision.select()
        .where(
            (ManagementDecision.id == decision_id) & (ManagementDecision.district == district_id)
        )
        .first()
    )
    if row is None or row["community"] != community_id:
        raise InputError("decision_id", "业主共同决定不存在，或不属于本小区")
    if row["kind"] not in kinds:
        names = "、".join(KIND_NAMES[k] for k in kinds)
        raise InputError("decision_id", f"须引用{names}的决定")
    if row["status"] not in ("passed", "placed"):
        state = {"voting": "仍在表决中", "rejected": "未获通过"}.get(row["status"], row["status"])
        raise Conflict(f"引用的业主共同决定（{what}）{state}，须经业主表决通过后方可办理。")
    return row


def _access_condition(access: Scope) -> Any:
    return access.communities(ManagementDecision.community, ManagementDecision.district)


async def visible_decision(access: Scope, decision_id: UUID | str) -> dict[str, Any]:
    row = (
        await ManagementDecision.select()
        .where((ManagementDecision.id == as_uuid(decision_id)) & _access_condition(access))
        .first()
    )
    if row is None:
        raise NotFoundException(NOT_FOUND)
    return row


async def _locked(decision_id: UUID) -> dict[str, Any]:
    query = ManagementDecision.select().where(ManagementDecision.id == decision_id)
    if is_postgres():
        query = query.lock_rows()
    row = await query.first()
    assert row is not None
    return row


async def open_decision(caller: Caller, access: Scope, data: schemas.DecisionIn) -> dict[str, Any]:
    """Open a vote of the community's owners (committee of the community, or bureau), or
    record the bureau's placement (社区保障性物业, bureau only, in force at once)."""
    if caller.role == COMMITTEE and data.community_id != caller.committee_community_id:
        raise InputError("community_id", "小区不存在，或不是本业委会所在小区")
    community = (
        await Community.select(Community.id)
        .where((Community.id == data.community_id) & (Community.district == caller.district_id))
        .first()
    )
    if community is None:
        raise InputError("community_id", "小区不存在")
    if data.kind == "placement" and caller.role != BUREAU:
        raise PermissionDeniedException("社区保障性物业由区住建局安排。")
    company: UUID | None = data.company_id
    mode = data.mode or ""
    contract_id: UUID | None = None
    if data.kind in ("renew", "dismiss"):
        if data.contract_id is None:
            raise InputError("contract_id", "续聘或解聘须指明合同")
        contract = (
            await Contract.select()
            .where(
                (Contract.id == data.contract_id)
                & (Contract.community == data.community_id)
                & Contract.status.is_in(list(rules.SERVING))
            )
            .first()
        )
        if contract is None:
            raise InputError("contract_id", "本小区没有这份生效中的合同")
        if data.company_id is not None and data.company_id != contract["company"]:
            raise InputError("company_id", "与合同的物业服务企业不一致")
        contract_id, mode = contract["id"], contract["mode"]
        company = None if contract["mode"] == "self" else contract["company"]
    elif data.kind == "choose":
        if mode not in ("market", "self"):
            raise InputError("mode", "选聘应为 market（物业服务企业）或 self（业主自治）")
    else:  # placement
        mode = "guaranteed"
        if not data.note.strip():
            raise InputError("note", "须写明业主无法作出决定的情况")
    if mode == "self":
        if data.company_id is not None:
            raise InputError("company_id", "业主自治不委托物业服务企业")
        company = None
    elif company is None:
        raise InputError("company_id", "须指明物业服务企业")
    else:
        org = (
            await Organization.select(Organization.kind)
            .where((Organization.id == company) & (Organization.district == caller.district_id))
            .first()
        )
        if org is None or org["kind"] != "company":
            raise InputError("company_id", "物业服务企业不存在")
    moment = now()
    decision = ManagementDecision(
        district=caller.district_id,
        community=data.community_id,
        kind=data.kind,
        status="placed" if data.kind == "placement" else "voting",
        company=company,
        mode=mode,
        contract=contract_id,
        title=data.title.strip() or KIND_NAMES[data.kind],
        note=data.note.strip(),
        opened_by=caller.id,
        opened_role=caller.role,
        opened_at=moment,
        closed_by=caller.id if data.kind == "placement" else None,
        closed_at=moment if data.kind == "placement" else None,
    )
    async with transaction():
        await decision.save()
        await record(
            caller,
            f"decision.{data.kind}",
            "management_decision",
            decision.id,
            after=decision.to_dict(),
        )
    return await visible_decision(access, decision.id)


async def cast_ballot(
    caller: Caller, access: Scope, decision_id: str, data: schemas.DecisionBallotIn
) -> schemas.DecisionBallotOut:
    """An owner's ballot for their own flat, or a paper ballot the committee records; a
    later ballot for the flat replaces the earlier one while voting is open."""
    decision = await visible_decision(access, decision_id)
    if caller.role == OWNER:
        await access.household(data.household_id, Household.id)
    async with transaction():
        fresh = await _locked(decision["id"])
        if fresh["status"] != "voting":
            raise Conflict("表决已结束，结果已公布，不能再投票。")
        flat = await (
            Household.select(Household.id)
            .where(
                (Household.id == data.household_id) & (Household.community == fresh["community"])
            )
            .first()
        )
        if flat is None:
            raise InputError("household_id", "该房屋不在本小区，不参加本次表决")
        previous = await (
            ManagementBallot.select(ManagementBallot.id, ManagementBallot.choice)
            .where(
                (ManagementBallot.decision == fresh["id"])
                & (ManagementBallot.household == data.household_id)
            )
            .first()
        )
        moment = now()
        values: dict[str, Any] = {
            "choice": data.choice,
            "cast_by": caller.id,
            "cast_role": caller.role,
            "cast_at": moment,
        }
        if previous is None:
            await ManagementBallot.insert(
                ManagementBallot(decision=fresh["id"], household=data.household_id, **values)
            )
        else:
            await ManagementBallot.update(**values).where(ManagementBallot.id == previous["id"])
        await record(
            caller,
            "decision.ballot",
            "management_decision",
            fresh["id"],
            before=None if previous is None else {"choice": previous["choice"]},
            after={"household": data.household_id, "choice": data.choice},
        )
    return schemas.DecisionBallotOut(
        decision_id=fresh["id"],
        household_id=data.household_id,
        choice=data.choice,
        cast_at=moment,
        replaced=previous is not None,
    )


def tally_out(tally: Tally) -> schemas.DecisionTallyOut:
    """The tally as published (areas as two-decimal strings)."""
    return schemas.DecisionTallyOut(
        eligible_area=format_area(tally.eligible_area),
        eligible_owners=tally.eligible_owners,
        voted_area=format_area(tally.voted_area),
        voted_owners=tally.voted_owners,
        yes_area=format_area(tally.yes_area),
        yes_owners=tally.yes_owners,
        no_area=format_area(tally.no_area),
        no_owners=tally.no_owners,
        quorum_met=tally.quorum_met,
        approved=tally.approved,
        matter=Matter.MANAGEMENT.value,
    )


async def count(decision: dict[str, Any]) -> Tally:
    """Civil Code art. 278 over every flat of the community, each by its current owner
    (matter ``management``: 2/3 take part, more than half of them agree)."""
    flats = await Household.select(Household.id, Household.owner, Household.floor_area).where(
        Household.community == decision["community"]
    )
    ballots = await ManagementBallot.select(
        ManagementBallot.household, ManagementBallot.choice
    ).where(ManagementBallot.decision == decision["id"])
    return tally_owner_vote(
        [Flat(f["id"], f["owner"], int(f["floor_area"])) for f in flats],
        {b["household"]: Choice(b["choice"]) for b in ballots},
        matter=Matter.MANAGEMENT,
    )


async def close(caller: Caller, access: Scope, decision_id: str) -> dict[str, Any]:
    """Close the vote and publish its result (passed or rejected): every ballot taken
    before this step is counted, none after it."""
    decision = await visible_decision(access, decision_id)
    if caller.role not in (BUREAU, COMMITTEE):  # pragma: no cover - the route's guard
        raise PermissionDeniedException("只有业委会或区住建局可以结束表决。")
    async with transaction():
        fresh = await _locked(decision["id"])
        if fresh["status"] != "voting":
            raise Conflict("表决已结束。")
        tally = await count(fresh)
        status = "passed" if tally.approved else "rejected"
        result = msgspec.to_builtins(tally_out(tally))
        moment = now()
        await ManagementDecision.update(
            {
                ManagementDecision.status: status,
                ManagementDecision.tally: result,
                ManagementDecision.closed_by: caller.id,
                ManagementDecision.closed_at: moment,
            }
        ).where(ManagementDecision.id == fresh["id"])
        await record(
            caller,
            "decision.close",
            "management_decision",
            fresh["id"],
            before={"status": "voting"},
            after={"status": status, "tally": result},
        )
    return await visible_decision(access, decision["id"])


async def decision_out(row: dict[str, Any]) -> schemas.DecisionOut:
    stored = read_json(row["tally"])
    if stored is not None:
        tally = msgspec.convert(stored, schemas.DecisionTallyOut, strict=False)
    elif row["status"] == "voting":
        tally = tally_out(await count(row))
    else:
        tally = None
    return schemas.DecisionOut(
        id=row["id"],
        community_id=row["community"],
        kind=row["kind"],
        status=row["status"],
        company_id=row["company"],
        mode=row["mode"],
        contract_id=row["contract"],
        title=row["title"],
        note=row["note"],
        tally=tally,
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
    )
