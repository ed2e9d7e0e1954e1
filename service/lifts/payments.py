"""Money of a lift retrofit: each household's payments towards its share, and the yearly
upkeep shared after acceptance.

A payment is direct, a housing provident fund withdrawal (住房公积金, with the centre's
reference), or drawn from the household's maintenance-fund account: that one is a fund
use of the household (``service.fund_uses.proposals.propose``), which then goes its own
way (owner's vote, bureau approval, disbursement through the journal); the payment
counts for what the journal posted (``rules.counted_payment``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from service.audit.service import record
from service.auth.roles import Caller
from service.auth.scope import Scope
from service.clock import now, today
from service.db import transaction
from service.errors import Conflict, InputError
from service.fund_uses.proposals import propose
from service.fund_uses.schemas import FundUseIn
from service.lifts import rules
from service.lifts.schemas import (
    PaymentIn,
    PaymentOut,
    UpkeepIn,
    UpkeepOut,
    UpkeepShareOut,
)
from service.lifts.service import (
    factors_from_json,
    factors_json,
    load_settings,
    locked,
    place_name,
    shared,
    visible_project,
)
from service.lifts.tables import LiftPayment, LiftShare, LiftUpkeep, LiftUpkeepShare
from service.registry.tables import Building
from service.units import PositiveMoney, format_area, format_factor, format_yuan, parse_fen

PAYMENT_COLUMNS = (
    LiftPayment.id,
    LiftPayment.project,
    LiftPayment.household,
    LiftPayment.method,
    LiftPayment.amount_fen,
    LiftPayment.reference,
    LiftPayment.fund_use,
    LiftPayment.paid_on,
    LiftPayment.fund_use.status.as_alias("use_status"),
    LiftPayment.fund_use.paid_fen.as_alias("use_paid_fen"),
    LiftPayment.fund_use.self_funded_fen.as_alias("use_self_funded_fen"),
)


def counted(row: dict[str, Any]) -> rules.Counted:
    """What one payment row (``PAYMENT_COLUMNS``) counts for now."""
    return rules.counted_payment(
        int(row["amount_fen"]),
        row["method"],
        row["use_status"],
        int(row["use_paid_fen"] or 0),
        int(row["use_self_funded_fen"] or 0),
    )


def payment_out(row: dict[str, Any]) -> PaymentOut:
    now_counted = counted(row)
    return PaymentOut(
        id=row["id"],
        project_id=row["project"],
        household_id=row["household"],
        method=row["method"],
        amount=format_yuan(int(row["amount_fen"])),
        reference=row["reference"],
        fund_use_id=row["fund_use"],
        paid_on=row["paid_on"],
        state=now_counted.state,
        counted=format_yuan(now_counted.paid),
    )


async def payments_of(
    project_ids: Iterable[UUID], household_id: UUID | None = None
) -> list[dict[str, Any]]:
    """Payment rows (``PAYMENT_COLUMNS``) of the projects, optionally of one household."""
    ids = list(project_ids)
    if not ids:
        return []
    query = LiftPayment.select(*PAYMENT_COLUMNS).where(LiftPayment.project.is_in(ids))
    if household_id is not None:
        query = query.where(LiftPayment.household == household_id)
    return list(await query.order_by(LiftPayment.created_at))


async def pay(
    caller: Caller, access: Scope, project_id: str, data: PaymentIn, *, key: str | None = None
) -> PaymentOut:
    """Record a household's payment towards its share (after consent), never more than
    it still owes. ``maintenance_fund`` opens a fund use charging that household's
    account the amount (component ``equipment``), where the district allows it and
    before the lift enters the works register."""
    amount = parse_fen(data.amount, "amount")
    if data.method == "provident_fund" and data.reference is None:
        raise InputError("reference", "公积金提取须填写公积金管理中心的业务编号")
    if data.method == "maintenance_fund" and data.reference is not None:
        raise InputError("reference", "维修资金支付以维修资金使用申请为凭证，不填 reference")
    paid_on = data.paid_on or today()
    if paid_on > today():
        raise InputError("paid_on", "不能晚于今天")
    project = await visible_project(access, project_id)
    async with transaction():
        fresh = await locked(project["id"])
        if fresh["status"] not in rules.PAYABLE:
            raise Conflict("业主表决通过后方可缴纳分摊款。")
        share = await (
            LiftShare.select(
                LiftShare.share_fen,
                LiftShare.household.owner.as_alias("owner"),
                LiftShare.household.room_no.as_alias("room_no"),
            )
            .where(
                (LiftShare.project == project["id"]) & (LiftShare.household == data.household_id)
            )
            .first()
        )
        if share is None:
            raise InputError("household_id", "该房屋不在本项目的分摊范围内")
        owed = rules.outstanding(
            int(share["share_fen"]),
            (counted(p) for p in await payments_of([project["id"]], data.household_id)),
        )
        if amount > owed:
            raise Conflict(f"超过该户尚欠的分摊款（尚欠 {format_yuan(owed)} 元）。")
        fund_use_id = None
        if data.method == "maintenance_fund":
            fund_use_id = await _fund_use(caller, access, fresh, data.household_id, amount, share)
        payment = LiftPayment(
            project=project["id"],
            household=data.household_id,
            owner=share["owner"],
            method=data.method,
            amount_fen=amount,
            reference=data.reference,
            fund_use=fund_use_id,
            paid_on=paid_on,
            recorded_by=caller.id,
            recorded_role=caller.role,
            idempotency_key=key,
            created_at=now(),
        )
        await payment.save()
        await record(
            caller,
            "lift.payment",
            "lift_project",
            project["id"],
            after={
                "payment": payment.id,
                "household": data.household_id,
                "method": data.method,
                "amount_fen": amount,
                "reference": data.reference,
                "fund_use": fund_use_id,
            },
        )
        rows = await LiftPayment.select(*PAYMENT_COLUMNS).where(LiftPayment.id == payment.id)
    return payment_out(rows[0])


async def _fund_use(
    caller: Caller,
    access: Scope,
    project: dict[str, Any],
    household_id: UUID,
    amount: int,
    share: dict[str, Any],
) -> UUID:
    if project["status"] not in rules.FUND_PAYABLE:
        raise Conflict("电梯已竣工验收，分摊款请直接缴纳或通过公积金提取。")
    if not (await load_settings(project["district"])).maintenance_fund_allowed:
        raise InputError("method", "本区规定不得使用住宅专项维修资金缴纳加装电梯分摊款")
    building = (
        await Building.select(Building.name).where(Building.id == project["building"]).first()
    )
    assert building is not None
    place = f"{place_name(building['name'], project['unit_no'])}{share['room_no']}室"
    return await propose(
        caller,
        access,
        FundUseIn(
            community_id=project["community"],
            title=f"加装电梯分摊款（{place}）",
            description=(
                f"{place}业主以本户维修资金分户账缴纳既有住宅加装电梯分摊款"
                f" {format_yuan(amount)} 元（加装电梯项目 {project['id']}）。"
            ),
            estimated_cost=PositiveMoney(format_yuan(amount)),
            household_ids=[household_id],
            component="equipment",
        ),
    )


# --- upkeep ------------------------------------------------------------------------


async def add_upkeep(caller: Caller, access: Scope, project_id: str, data: UpkeepIn) -> UpkeepOut:
    """A year's maintenance or inspection cost, shared after acceptance by the upkeep
    coefficients (the cost's when none were given), then area, to the fen; one charge
    per year and kind."""
    amount = parse_fen(data.amount, "amount")
    project = await visible_project(access, project_id)
    async with transaction():
        fresh = await locked(project["id"])
        if fresh["status"] not in rules.UPKEEP:
            raise Conflict("电梯竣工验收后方可分摊年度维护保养、检验费用。")
        clash = await LiftUpkeep.exists().where(
            (LiftUpkeep.project == project["id"])
            & (LiftUpkeep.year == data.year)
            & (LiftUpkeep.kind == data.kind)
        )
        if clash:
            raise Conflict(f"{data.year} 年的该项费用已分摊。")
        coefficients = factors_from_json(fresh["upkeep_coefficients"] or fresh["coefficients"])
        flats = await LiftShare.select(
            LiftShare.household, LiftShare.floor, LiftShare.floor_area
        ).where(LiftShare.project == project["id"])
        shape = {f["household"]: (f["floor"], int(f["floor_area"])) for f in flats}
        shares = shared(amount, shape, coefficients)
        upkeep = LiftUpkeep(
            project=project["id"],
            year=data.year,
            kind=data.kind,
            amount_fen=amount,
            coefficients=factors_json(coefficients),
            recorded_by=caller.id,
            created_at=now(),
        )
        await upkeep.save()
        rows = [
            LiftUpkeepShare(
                upkeep=upkeep.id,
                household=household,
                floor=floor,
                floor_area=area,
                coefficient=coefficients[floor],
                share_fen=shares[household],
            )
            for household, (floor, area) in shape.items()
        ]
        await LiftUpkeepShare.insert(*rows)
        await record(
            caller,
            "lift.upkeep",
            "lift_project",
            project["id"],
            after={"year": data.year, "kind": data.kind, "amount_fen": amount},
        )
    return UpkeepOut(
        id=upkeep.id,
        project_id=project["id"],
        year=data.year,
        kind=data.kind,
        amount=format_yuan(amount),
        shares=sorted(
            (
                UpkeepShareOut(
                    household_id=r.household,
                    floor=r.floor,
                    floor_area=format_area(r.floor_area),
                    coefficient=format_factor(r.coefficient),
                    share=format_yuan(r.share_fen),
                )
                for r in rows
            ),
            key=lambda s: (s.floor, str(s.household_id)),
        ),
    )


async def upkeep_of(project_id: UUID) -> list[UpkeepOut]:
    """Every upkeep charge of the project with its shares."""
    charges = (
        await LiftUpkeep.select()
        .where(LiftUpkeep.project == project_id)
        .order_by(LiftUpkeep.year, LiftUpkeep.created_at)
    )
    if not charges:
        return []
    shares = await LiftUpkeepShare.select().where(
        LiftUpkeepShare.upkeep.is_in([c["id"] for c in charges])
    )
    by_charge: dict[UUID, list[UpkeepShareOut]] = {}
    for s in sorted(shares, key=lambda s: (s["floor"], str(s["household"]))):
        by_charge.setdefault(s["upkeep"], []).append(
            UpkeepShareOut(
                household_id=s["household"],
                floor=s["floor"],
                floor_area=format_area(s["floor_area"]),
                coefficient=format_factor(s["coefficient"]),
                share=format_yuan(s["share_fen"]),
            )
        )
    return [
        UpkeepOut(
            id=c["id"],
            project_id=project_id,
            year=c["year"],
            kind=c["kind"],
            amount=format_yuan(c["amount_fen"]),
            shares=by_charge.get(c["id"], []),
        )
        for c in charges
    ]
