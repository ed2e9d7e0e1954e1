"""Subsidies of a finalised period and a company's credit record.

Money leaves only after approval and release by two different bureau users
(DOMAIN.md "Quality rating and subsidy"); a released subsidy never changes (a database
trigger refuses it too).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException
from piccolo.query.functions.aggregate import Sum

from service.audit.service import record
from service.auth.roles import COMPANY, Caller, require_another_user
from service.auth.scope import as_uuid
from service.clock import now
from service.contracts.tables import Contract
from service.db import is_postgres, transaction
from service.errors import Conflict
from service.ratings import rules
from service.ratings.service import load_period
from service.ratings.tables import Rating, RatingPeriod
from service.registry.tables import Household, Organization
from service.subsidies.tables import Subsidy

SUBSIDY_NOT_FOUND = "补贴不存在，或不在您的权限范围内。"

# A subsidy's states as people read them (error details; the rating report has its own).
SUBSIDY_STATUS_NAMES = {"computed": "已计算待审批", "approved": "已审批", "released": "已拨付"}


async def served_area(community_id: UUID) -> int:
    """Served floor area: the sum of the community's household floor areas (hundredths)."""
    row = await Household.select(Sum(Household.floor_area, alias="area")).where(
        Household.community == community_id
    )
    return int((row[0]["area"] if row else 0) or 0)


async def compute_subsidies(caller: Caller, period_id: str) -> list[dict[str, Any]]:
    """For a finalised period, a subsidy per rated contract: base = standard × served
    area × months served (each calendar month of the period counts the days served over
    that month's days, ``rules.months_served``); amount = that base × the band's ratio;
    each rounded half up to the fen once. Running it again computes only what is missing."""
    async with transaction():
        period = await load_period(caller, period_id, lock=True)
        if period["status"] != "finalized":
            raise Conflict("评价期定稿后才能计算补贴。")
        months = rules.months_in_period(period["starts_on"], period["ends_on"])
        assert months is not None  # periods are whole months by construction
        days = rules.period_days(period["starts_on"], period["ends_on"])
        done = {
            r["contract"]
            for r in await Subsidy.select(Subsidy.contract).where(Subsidy.period == period["id"])
        }
        ratings = await Rating.select().where(Rating.period == period["id"])
        for rating in ratings:
            if rating["contract"] in done:
                continue
            contract = await Contract.select().where(Contract.id == rating["contract"]).first()
            assert contract is not None
            span = (
                contract["starts_on"],
                contract["ends_on"],
                period["starts_on"],
                period["ends_on"],
            )
            served = rules.served_days(*span)
            served_months = rules.months_served(*span)
            area = await served_area(contract["community"])
            rate = int(contract["subsidy_fen_per_m2_month"])
            subsidy = Subsidy(
                district=caller.district_id,
                period=period["id"],
                contract=contract["id"],
                rating=rating["id"],
                company=contract["company"],
                community=contract["community"],
                rate_fen_per_m2_month=rate,
                served_area=area,
                served_days=served,
                period_days=days,
                months_in_period=months,
                months_served=str(served_months),
                base=rules.subsidy_base(rate, area, served_months),
                ratio=rating["ratio"],
                amount=rules.subsidy_amount(rate, area, served_months, rating["ratio"]),
                status="computed",
                computed_by=caller.id,
                computed_at=now(),
            )
            await subsidy.save()
            await record(caller, "subsidy.compute", "subsidy", subsidy.id, after=subsidy.to_dict())
    return list(
        await Subsidy.select().where(Subsidy.period == period["id"]).order_by(Subsidy.computed_at)
    )


async def load_subsidy(
    caller: Caller, subsidy_id: UUID | str, *, lock: bool = False
) -> dict[str, Any]:
    query = Subsidy.select().where(
        (Subsidy.id == as_uuid(subsidy_id)) & (Subsidy.district == caller.district_id)
    )
    if lock and is_postgres():
        query = query.lock_rows()
    row = await query.first()
    if row is None or (caller.role == COMPANY and row["company"] != caller.org_id):
        raise NotFoundException(SUBSIDY_NOT_FOUND)
    return row


async def _move(
    caller: Caller, subsidy_id: str, was: str, changes: dict[Any, Any]
) -> dict[str, Any]:
    """Move a subsidy out of state ``was``: the caller already holds the row's lock and
    checked the state; the UPDATE checks it once more (compare-and-set), so of two
    competing steps exactly one moves the row and the other answers 409."""
    moved = (
        await Subsidy.update(changes)
        .where((Subsidy.id == as_uuid(subsidy_id)) & (Subsidy.status == was))
        .returning(Subsidy.id)
    )
    if not moved:
        raise Conflict("补贴状态已被他人更改，请刷新后重试。")
    return await load_subsidy(caller, subsidy_id)


async def approve_subsidy(caller: Caller, subsidy_id: str) -> dict[str, Any]:
    """A bureau user approves a computed subsidy (the row locked, its state rechecked:
    of two competing approvals one wins, the other answers 409)."""
    async with transaction():
        before = await load_subsidy(caller, subsidy_id, lock=True)
        if before["status"] != "computed":
            raise Conflict(
                f"补贴当前状态为{SUBSIDY_STATUS_NAMES.get(before['status'], before['status'])}"
                f"（{before['status']}），只有待审批（computed）的补贴可以审批。"
            )
        after = await _move(
            caller,
            subsidy_id,
            "computed",
            {
                Subsidy.status: "approved",
                Subsidy.approved_by: caller.id,
                Subsidy.approved_at: now(),
            },
        )
        await record(caller, "subsidy.approve", "subsidy", before["id"], before=before, after=after)
    return after


async def release_subsidy(caller: Caller, subsidy_id: str) -> dict[str, Any]:
    """A second bureau user, not the approver, releases an approved subsidy; from then
    on it is an unchangeable record."""
    async with transaction():
        before = await load_subsidy(caller, subsidy_id, lock=True)
        if before["status"] == "released":
            raise Conflict("该补贴已发放，不能再次发放或修改。")
        if before["status"] != "approved":
            raise Conflict("补贴须先审批，才能发放。")
        require_another_user(
            before["approved_by"],
            caller,
            "审批与发放须由两名不同的局方人员完成：请由另一名局方人员发放。",
        )
        after = await _move(
            caller,
            subsidy_id,
            "approved",
            {
                Subsidy.status: "released",
                Subsidy.released_by: caller.id,
                Subsidy.released_at: now(),
            },
        )
        await record(caller, "subsidy.release", "subsidy", before["id"], before=before, after=after)
    return after


async def credit_record(
    caller: Caller, company_id: str
) -> tuple[UUID, list[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]]]:
    """A company's ratings of finalised periods with their subsidies, oldest first."""
    cid = as_uuid(company_id)
    if caller.role == COMPANY and cid != caller.org_id:
        raise NotFoundException("企业不存在，或不在您的权限范围内。")
    company = (
        await Organization.select(Organization.id)
        .where(
            (Organization.id == cid)
            & (Organization.district == caller.district_id)
            & (Organization.kind == "company")
        )
        .first()
    )
    if company is None:
        raise NotFoundException("企业不存在，或不在您的权限范围内。")
    ratings = await Rating.select().where(
        (Rating.company == cid) & (Rating.period.status == "finalized")
    )
    if not ratings:
        return cid, []
    periods = {
        p["id"]: p
        for p in await RatingPeriod.select().where(
            RatingPeriod.id.is_in(list({r["period"] for r in ratings}))
        )
    }
    subsidies = {
        s["rating"]: s
        for s in await Subsidy.select().where(Subsidy.rating.is_in([r["id"] for r in ratings]))
    }
    entries = [(periods[r["period"]], r, subsidies.get(r["id"])) for r in ratings]
    entries.sort(key=lambda e: (e[0]["starts_on"], str(e[1]["contract"])))
    return cid, entries
