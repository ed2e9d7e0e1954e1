"""Fund uses (维修资金使用): proposal → owners' vote → bureau approval → staged payment.

Rules: 建设部令第165号 arts. 18-25 (what the fund pays, shares by floor area), Civil
Code art. 278 (the vote, ``service.votes.rules``), Henan regulation art. 70
(emergencies skip the vote and are published afterwards). Every step runs in one
``transaction()`` with its audit entry; payments move money only through the journal.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar.exceptions import NotFoundException, PermissionDeniedException
from piccolo.query.functions.aggregate import Count

from service.audit.service import record
from service.auth.roles import BUREAU, COMMITTEE, COMPANY, OWNER, Caller, require_another_user
from service.auth.scope import Scope, as_uuid
from service.clock import now, today
from service.db import INSERT_CHUNK, fetch, is_postgres, transaction
from service.errors import Conflict, InputError
from service.fund_uses.rules import (
    IllegalTransition,
    UseAction,
    UseStatus,
    draw_from_account,
    next_status,
    payable,
    status_named,
)
from service.fund_uses.schemas import (
    BallotIn,
    BallotOut,
    DisbursementIn,
    DisbursementOut,
    FundUseOut,
    PartOut,
    ShareOut,
    TallyOut,
)
from service.fund_uses.tables import (
    FundBallot,
    FundDisbursement,
    FundSelfFunded,
    FundUse,
    FundUsePart,
    FundUseShare,
)
from service.funds import ledger
from service.funds.ledger import LineDraft
from service.funds.rules import allocate_by_weight
from service.registry.tables import Community, Household
from service.units import format_area, format_yuan, parse_fen
from service.votes.rules import Choice, Flat, Tally, VoteRule, tally_owner_vote


def transition(status: str, action: UseAction) -> UseStatus:
    try:
        return next_status(status, action)
    except IllegalTransition:
        raise Conflict(f"当前状态为{status_named(status)}，不能执行该操作。") from None


async def visible_use(access: Scope, use_id: UUID | str) -> dict[str, Any]:
    """The fund use if its community is in the caller's scope, else 404."""
    row = await FundUse.select().where(FundUse.id == as_uuid(use_id)).first()
    if row is None or row["district"] != access.district_id:
        raise NotFoundException("维修资金使用申请不存在，或不在您的权限范围内。")
    try:
        await access.community(row["community"], Community.id)
    except NotFoundException:
        raise NotFoundException("维修资金使用申请不存在，或不在您的权限范围内。") from None
    return row


async def locked_use(use_id: UUID) -> dict[str, Any]:
    """The fund use's row, locked until the transaction ends (PostgreSQL; SQLite's
    IMMEDIATE transaction already holds the write lock)."""
    query = FundUse.select().where(FundUse.id == use_id)
    if is_postgres():
        query = query.lock_rows()
    row = await query.first()
    assert row is not None
    return row


async def household_counts(use_ids: list[UUID]) -> dict[UUID, int]:
    """How many households each fund use charges, for a page of uses in one query."""
    if not use_ids:
        return {}
    rows = await (
        FundUseShare.select(FundUseShare.fund_use, Count(FundUseShare.id, alias="n"))
        .where(FundUseShare.fund_use.is_in(use_ids))
        .group_by(FundUseShare.fund_use)
    )
    return {r["fund_use"]: int(r["n"]) for r in rows}


async def fund_use_out(
    row: dict[str, Any], *, with_shares: bool = True, households: int | None = None
) -> FundUseOut:
    shares: list[ShareOut] = []
    count = (
        households
        if households is not None
        else (await household_counts([row["id"]])).get(row["id"], 0)
    )
    if with_shares:
        found = await (
            FundUseShare.select(
                FundUseShare.household, FundUseShare.floor_area, FundUseShare.share_fen
            )
            .where(FundUseShare.fund_use == row["id"])
            .order_by(FundUseShare.household)
        )
        shares = [
            ShareOut(
                household_id=s["household"],
                floor_area=format_area(s["floor_area"]),
                share=format_yuan(s["share_fen"]),
            )
            for s in found
        ]
    approved = row["approved_cost_fen"]
    parts: dict[str, list[UUID]] = {}
    for part in await FundUsePart.select(FundUsePart.category, FundUsePart.building).where(
        FundUsePart.fund_use == row["id"]
    ):
        named = parts.setdefault(part["category"], [])
        if part["building"] is not None:
            named.append(part["building"])
    return FundUseOut(
        id=row["id"],
        community_id=row["community"],
        title=row["title"],
        description=row["description"],
        component=row["component"],
        parts=[
            PartOut(category=category, building_ids=sorted(buildings, key=str))
            for category, buildings in parts.items()
        ],
        repair_ticket_id=row["repair_ticket_id"],
        status=row["status"],
        estimated_cost=format_yuan(row["estimated_cost_fen"]),
        approved_cost=None if approved is None else format_yuan(approved),
        paid=format_yuan(row["paid_fen"]),
        self_funded=format_yuan(row["self_funded_fen"]),
        emergency=bool(row["emergency"]),
        emergency_reason=row["emergency_reason"],
        vote_rule=row["vote_rule"],
        vote_closes_on=row["vote_closes_on"],
        total_area=format_area(row["total_area"]),
        households=int(count),
        proposer_id=row["proposer_id"],
        created_at=row["created_at"],
        published_at=row["published_at"],
        apportionment=shares,
    )


async def cast_ballot(caller: Caller, access: Scope, use_id: str, data: BallotIn) -> BallotOut:
    """An owner votes for their own households; a committee records paper ballots.

    A later ballot for the same household replaces the earlier one while voting is open,
    except that a paper ballot never replaces the one the owner cast in person (the
    owner's own word stands; only the owner may change it): 409.
    """
    use = await visible_use(access, use_id)
    if caller.role == OWNER:
        # Out of the owner's scope reads as "no such household".
        await access.household(data.household_id, Household.id)
    share = (
        await FundUseShare.select(FundUseShare.id)
        .where((FundUseShare.fund_use == use["id"]) & (FundUseShare.household == data.household_id))
        .first()
    )
    if share is None:
        raise InputError("household_id", "该房屋不在本次使用的列支范围内")
    async with transaction():
        fresh = await locked_use(use["id"])
        if fresh["status"] != UseStatus.VOTING:
            raise Conflict("表决已结束或不需表决，不能再投票。")
        if fresh["vote_closes_on"] is not None and today() > fresh["vote_closes_on"]:
            raise Conflict(f"表决已于 {fresh['vote_closes_on']} 截止。")
        owner = (
            await Household.select(Household.owner).where(Household.id == data.household_id).first()
        )
        assert owner is not None
        previous = (
            await FundBallot.select(
                FundBallot.id, FundBallot.choice, FundBallot.cast_role, FundBallot.owner
            )
            .where((FundBallot.fund_use == use["id"]) & (FundBallot.household == data.household_id))
            .first()
        )
        if (
            previous is not None
            and previous["cast_role"] == OWNER
            and previous["owner"] == owner["owner"]
            and caller.role != OWNER
        ):
            raise Conflict("该户业主已本人投票，纸质选票不能覆盖业主本人的选择。")
        moment = now()
        if previous is None:
            await FundBallot.insert(
                FundBallot(
                    fund_use=use["id"],
                    household=data.household_id,
                    owner=owner["owner"],
                    choice=data.choice,
                    cast_by=caller.id,
                    cast_role=caller.role,
                    cast_at=moment,
                )
            )
        else:
            await FundBallot.update(
                {
                    FundBallot.choice: data.choice,
                    FundBallot.owner: owner["owner"],
                    FundBallot.cast_by: caller.id,
                    FundBallot.cast_role: caller.role,
                    FundBallot.cast_at: moment,
                }
            ).where(FundBallot.id == previous["id"])
        await record(
            caller,
            "fund_use.ballot",
            "fund_use",
            use["id"],
            before=None
            if previous is None
            else {"household": data.household_id, "choice": previous["choice"]},
            after={"household": data.household_id, "choice": data.choice},
        )
    return BallotOut(
        fund_use_id=use["id"],
        household_id=data.household_id,
        choice=data.choice,
        cast_at=moment,
        replaced=previous is not None,
    )


async def count_votes(use: dict[str, Any]) -> Tally:
    """The tally over the households charged, each counted by its current owner.

    The decision is the owners' at the time it is taken (Civil Code 278; DOMAIN.md "the
    population is the owners whose accounts the use would charge"): a flat sold while the
    vote is open is the buyer's to vote, so a ballot the seller cast for it no longer
    counts (the flat counts as not having voted until its new owner votes)."""
    flats = await FundUseShare.select(
        FundUseShare.household,
        FundUseShare.floor_area,
        FundUseShare.household.owner.as_alias("owner"),
    ).where(FundUseShare.fund_use == use["id"])
    ballots = await FundBallot.select(
        FundBallot.household, FundBallot.owner, FundBallot.choice
    ).where(FundBallot.fund_use == use["id"])
    owner_now = {f["household"]: f["owner"] for f in flats}
    return tally_owner_vote(
        [
            Flat(household_id=f["household"], owner_id=f["owner"], area=int(f["floor_area"]))
            for f in flats
        ],
        {
            b["household"]: Choice(b["choice"])
            for b in ballots
            if owner_now.get(b["household"]) == b["owner"]
        },
        rule=VoteRule(use["vote_rule"]),
    )


def tally_out(tally: Tally, rule: str) -> TallyOut:
    return TallyOut(
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
        rule=rule,
    )


async def close_vote(caller: Caller, access: Scope, use_id: str) -> dict[str, Any]:
    """Close the vote and publish its result: owners_approved or rejected."""
    use = await visible_use(access, use_id)
    async with transaction():
        fresh = await locked_use(use["id"])
        closes_on = fresh["vote_closes_on"]
        if fresh["status"] == UseStatus.VOTING and closes_on is not None and today() <= closes_on:
            raise Conflict(f"表决期至 {fresh['vote_closes_on']}，尚未结束。")
        tally = await count_votes(fresh)
        if (
            fresh["status"] == UseStatus.VOTING
            and closes_on is None
            and caller.role != BUREAU
            and tally.voted_owners < tally.eligible_owners
        ):
            # Without a published window, only the bureau may close before every owner voted.
            raise Conflict("未设表决截止日期且尚有业主未投票，只有区住建局可以提前结束表决。")
        action = UseAction.CLOSE_VOTE_APPROVED if tally.approved else UseAction.CLOSE_VOTE_REJECTED
        status = transition(fresh["status"], action)
        published = msgspec.to_builtins(tally_out(tally, fresh["vote_rule"]))
        moment = now()
        await FundUse.update(
            {
                FundUse.status: status.value,
                FundUse.tally: published,
                FundUse.published_at: moment,
                FundUse.updated_at: moment,
            }
        ).where(FundUse.id == use["id"])
        await record(
            caller,
            "fund_use.close_vote",
            "fund_use",
            use["id"],
            before={"status": fresh["status"]},
            after={"status": status.value, "tally": published},
        )
    return {**fresh, "status": status.value, "published_at": moment}


async def approve(caller: Caller, access: Scope, use_id: str) -> dict[str, Any]:
    """Bureau approval by a user other than the proposer; emergencies are published now."""
    use = await visible_use(access, use_id)
    require_another_user(
        use["proposer_id"], caller, "不能审批自己提出的维修资金使用申请，请由另一位局方用户审批。"
    )
    async with transaction():
        fresh = await locked_use(use["id"])
        status = transition(fresh["status"], UseAction.APPROVE)
        moment = now()
        await FundUse.update(
            {
                FundUse.status: status.value,
                FundUse.approved_cost_fen: fresh["estimated_cost_fen"],
                FundUse.approver_id: caller.id,
                FundUse.approved_at: moment,
                FundUse.published_at: fresh["published_at"] or moment,
                FundUse.updated_at: moment,
            }
        ).where(FundUse.id == use["id"])
        await record(
            caller,
            "fund_use.approve",
            "fund_use",
            use["id"],
            before={"status": fresh["status"]},
            after={"status": status.value, "approved_cost_fen": fresh["estimated_cost_fen"]},
        )
    return use


async def cancel(caller: Caller, access: Scope, use_id: str) -> dict[str, Any]:
    """Withdraw a use before any payment (the proposer or the bureau; a draft opened by
    a repair ticket also by the company or committee in scope, who would submit it)."""
    use = await visible_use(access, use_id)
    if (
        caller.role != BUREAU
        and use["proposer_id"] != caller.id
        and use["status"] != UseStatus.DRAFT
    ):
        raise PermissionDeniedException("只有提出人或区住建局可以撤销申请。")
    async with transaction():
        fresh = await locked_use(use["id"])
        status = transition(fresh["status"], UseAction.CANCEL)
        await FundUse.update({FundUse.status: status.value, FundUse.updated_at: now()}).where(
            FundUse.id == use["id"]
        )
        await record(
            caller,
            "fund_use.cancel",
            "fund_use",
            use["id"],
            before={"status": fresh["status"]},
            after={"status": status.value},
        )
    return use


async def disburse(
    caller: Caller, access: Scope, use_id: str, data: DisbursementIn, *, key: str | None = None
) -> DisbursementOut:
    """Pay one stage: split by the stored shares, post to every household (interest or
    principal first by the community's policy), never below zero; the rest is owed by
    the owner (自筹). The total paid never exceeds the approved cost."""
    amount = parse_fen(data.amount, "amount")
    use = await visible_use(access, use_id)
    community = (
        await Community.select(Community.fund_draw_order)
        .where(Community.id == use["community"])
        .first()
    )
    assert community is not None
    interest_first = community["fund_draw_order"] != "principal_first"
    async with transaction():
        # The community lock serialises every posting that could touch these accounts,
        # so the balances read below cannot change before this entry lands.
        chain = await ledger.lock_community(use["community"])
        # Locked like every other step on the use: a cancel racing this payment waits
        # and then finds it paid (or this payment finds it cancelled), never both.
        fresh = await locked_use(use["id"])
        # Money leaves only after approval and release by two different bureau users.
        require_another_user(
            fresh["approver_id"], caller, "审批人不能同时办理拨付，请由另一位局方用户拨付。"
        )
        action = UseAction.PAY_FINAL if data.stage == "final" else UseAction.PAY
        status = transition(fresh["status"], action)
        if not payable(int(fresh["approved_cost_fen"] or 0), int(fresh["paid_fen"]), amount):
            left = int(fresh["approved_cost_fen"] or 0) - int(fresh["paid_fen"])
            raise Conflict(
                f"付款合计将超过批准金额（尚可支付 {format_yuan(left)} 元）；超出部分须重新表决。"
            )
        shares = await FundUseShare.select(FundUseShare.household, FundUseShare.share_fen).where(
            FundUseShare.fund_use == use["id"]
        )
        weights = {s["household"]: int(s["share_fen"]) for s in shares}
        wanted = allocate_by_weight(amount, weights)
        await ledger.household_accounts(use["district"], use["community"], sorted(weights, key=str))
        custody = await ledger.custody_account(use["district"], use["community"])
        # Balances and current owners of exactly the households this use charges.
        charged = {
            r["household"]: r
            for r in await fetch(
                "SELECT s.household, a.id AS account, a.principal_fen, a.interest_fen, h.owner"
                " FROM fund_use_share AS s JOIN household AS h ON h.id = s.household"
                " JOIN fund_account AS a ON a.household = s.household AND a.kind = 'household'"
                " AND a.community = {} WHERE s.fund_use = {}",
                use["community"],
                use["id"],
            )
        }
        if len(charged) != len(weights):
            raise Conflict("列支范围内有房屋已不属于该小区，请撤销后重新提出申请。")
        lines: list[LineDraft] = []
        owed: list[tuple[UUID, UUID, int]] = []
        for household_id in sorted(weights, key=str):
            account = charged[household_id]
            draw = draw_from_account(
                wanted[household_id],
                int(account["principal_fen"]),
                int(account["interest_fen"]),
                interest_first,
            )
            if draw.principal or draw.interest:
                lines.append(
                    LineDraft(
                        account["account"],
                        household_id,
                        account["owner"],
                        -draw.principal,
                        -draw.interest,
                    )
                )
            if draw.self_funded:
                owed.append((household_id, account["owner"], draw.self_funded))
        posted_principal = -sum(line.principal_delta for line in lines)
        posted_interest = -sum(line.interest_delta for line in lines)
        entry_id = None
        if lines:
            lines.append(LineDraft(custody, None, None, posted_principal, posted_interest))
            posted = await ledger.post_entry(
                ledger.EntryDraft(
                    chain=chain,
                    district_id=use["district"],
                    kind="use",
                    lines=lines,
                    custody=custody,
                    value_date=today(),
                    memo=f"{fresh['title']}（{data.stage}）",
                    actor_id=caller.id,
                    idempotency_key=key,
                    fund_use_id=use["id"],
                )
            )
            entry_id = posted.entry_id
        self_funded = sum(amount_owed for _, _, amount_owed in owed)
        disbursement = FundDisbursement(
            fund_use=use["id"],
            stage=data.stage,
            amount_fen=amount,
            posted_fen=posted_principal + posted_interest,
            self_funded_fen=self_funded,
            entry_id=entry_id,
            created_by=caller.id,
            created_at=now(),
        )
        await disbursement.save()
        rows = [
            FundSelfFunded(
                disbursement=disbursement.id,
                fund_use=use["id"],
                household=household_id,
                owner=owner_id,
                amount_fen=amount_owed,
            )
            for household_id, owner_id, amount_owed in owed
        ]
        for start in range(0, len(rows), INSERT_CHUNK):
            await FundSelfFunded.insert(*rows[start : start + INSERT_CHUNK])
        await fetch(
            "UPDATE fund_use SET paid_fen = paid_fen + {}, self_funded_fen = self_funded_fen + {},"
            " status = {}, updated_at = {} WHERE id = {}",
            amount,
            self_funded,
            status.value,
            now(),
            use["id"],
        )
        await record(
            caller,
            "fund_use.disburse",
            "fund_use",
            use["id"],
            before={"status": fresh["status"], "paid_fen": fresh["paid_fen"]},
            after={
                "status": status.value,
                "stage": data.stage,
                "amount_fen": amount,
                "posted_fen": posted_principal + posted_interest,
                "self_funded_fen": self_funded,
                "entry_id": entry_id,
            },
        )
    return DisbursementOut(
        disbursement_id=UUID(str(disbursement.id)),
        fund_use_id=use["id"],
        stage=data.stage,
        amount=format_yuan(amount),
        posted=format_yuan(posted_principal + posted_interest),
        self_funded=format_yuan(self_funded),
        entry_id=entry_id,
        status=status.value,
    )


PROPOSERS = (BUREAU, COMPANY, COMMITTEE)
BALLOT_CASTERS = (OWNER, COMMITTEE)
