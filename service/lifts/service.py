"""Lift retrofit use cases: the district's lift data, the project of a unit with its
shares, agreed deviations, and what every step shares (loading in scope, locking,
history).

Rules live in ``service.lifts.rules``. Every state change runs in one ``transaction()``
that locks the project row (``locked``: FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
transaction serialises writers), rechecks its status and writes its audit entry, so of
two competing steps exactly one wins and the other answers 409. Consent is in
``consent.py``, the stages, documents and subsidy in ``stages.py``, payments and upkeep
in ``payments.py``, what people read in ``views.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException

from service.audit.service import record
from service.auth.roles import Caller
from service.auth.scope import Scope, as_uuid
from service.clock import now, today
from service.db import fetch, is_postgres, read_json, transaction
from service.errors import Conflict, InputError
from service.lifts import rules
from service.lifts.rules import LiftAction, LiftStatus
from service.lifts.schemas import (
    AgreedShareIn,
    LiftProjectIn,
    LiftSettingsIn,
)
from service.lifts.tables import (
    LiftEvent,
    LiftProject,
    LiftSettings,
    LiftShare,
)
from service.registry.tables import Building, Community, Household
from service.units import parse_factor, parse_fen

NOT_FOUND = "加装电梯项目不存在，或不在您的权限范围内。"
SHARING_REFUSALS = {
    "missing": "有楼层没有分摊系数",
    "exceeds": "约定金额合计超过业主应分摊的总额",
    "nobody": "其余各户楼层系数均为 0，无人承担剩余费用",
    "invalid": "约定金额不能为负数，且须为本项目的住户",
}
MAX_FLOOR = 120


# --- settings (data) ---------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    coefficients: dict[int, int]
    subsidy_fen: int
    maintenance_fund_allowed: bool
    defaults: bool


async def load_settings(district_id: UUID) -> Settings:
    """The district's lift data, or DOMAIN.md's defaults while none is recorded."""
    row = await LiftSettings.select().where(LiftSettings.district == district_id).first()
    if row is None:
        return Settings(dict(rules.DEFAULT_COEFFICIENTS), rules.DEFAULT_SUBSIDY_FEN, True, True)
    return Settings(
        factors_from_json(row["coefficients"]),
        int(row["subsidy_fen"]),
        bool(row["maintenance_fund_allowed"]),
        False,
    )


async def save_settings(caller: Caller, data: LiftSettingsIn) -> Settings:
    """Replace the district's lift data; projects already created keep their own copy."""
    coefficients = parse_coefficients(data.coefficients, "coefficients")
    assert coefficients is not None
    subsidy = parse_fen(data.subsidy_per_lift, "subsidy_per_lift", allow_zero=True)
    async with transaction():
        before = await load_settings(caller.district_id)
        values: dict[str, Any] = {
            "coefficients": factors_json(coefficients),
            "subsidy_fen": subsidy,
            "maintenance_fund_allowed": data.maintenance_fund_allowed,
            "updated_by": caller.id,
            "updated_at": now(),
        }
        if before.defaults:
            await LiftSettings.insert(LiftSettings(district=caller.district_id, **values))
        else:
            await LiftSettings.update(**values).where(LiftSettings.district == caller.district_id)
        await record(
            caller,
            "lift.settings",
            "lift_settings",
            caller.district_id,
            before=None if before.defaults else dataclasses.asdict(before),
            after={"coefficients": coefficients, "subsidy_fen": subsidy},
        )
    return await load_settings(caller.district_id)


def parse_coefficients(raw: Mapping[str, Decimal] | None, field: str) -> dict[int, int] | None:
    """``{"1": "0", "2": "0.5"}`` → ``{1: 0, 2: 50}`` (hundredths), or a 422 naming the
    entry; None stays None (the district's data applies)."""
    if raw is None:
        return None
    if not raw:
        raise InputError(field, "至少给出一个楼层的系数")
    parsed: dict[int, int] = {}
    for key, value in raw.items():
        name = f"{field}.{key}"
        if not key.isdigit() or not 1 <= int(key) <= MAX_FLOOR:
            raise InputError(name, f"楼层应为 1 到 {MAX_FLOOR} 的整数（1 为首层）")
        parsed[int(key)] = parse_factor(value, name)
    return dict(sorted(parsed.items()))


def factors_json(factors: Mapping[int, int]) -> dict[str, int]:
    return {str(floor): value for floor, value in sorted(factors.items())}


def factors_from_json(raw: Any) -> dict[int, int]:
    """Floor coefficients from their JSON column (``service.db.read_json``)."""
    return {int(floor): int(value) for floor, value in (read_json(raw) or {}).items()}


def place_name(building_name: str, unit_no: str | None) -> str:
    """Where the lift goes: ``3号楼2单元`` (the building alone when it is the unit)."""
    return building_name + ("" if unit_no is None else f"{unit_no}单元")


# --- loading and locking -----------------------------------------------------------


async def visible_project(access: Scope, project_id: UUID | str) -> dict[str, Any]:
    """The project if the caller may see it, else 404: its community in scope, and for
    an owner a flat of the unit that they own now."""
    row = await (
        LiftProject.select()
        .where(
            (LiftProject.id == as_uuid(project_id)) & (LiftProject.district == access.district_id)
        )
        .first()
    )
    if row is None:
        raise NotFoundException(NOT_FOUND)
    try:
        await access.community(row["community"], Community.id)
    except NotFoundException:
        raise NotFoundException(NOT_FOUND) from None
    if access.owner_id is not None:
        owns = await LiftShare.exists().where(
            (LiftShare.project == row["id"]) & (LiftShare.household.owner == access.owner_id)
        )
        if not owns:
            raise NotFoundException(NOT_FOUND)
    return row


async def locked(project_id: UUID) -> dict[str, Any]:
    """The project row, locked until the transaction ends (call inside one)."""
    query = LiftProject.select().where(LiftProject.id == project_id)
    if is_postgres():
        query = query.lock_rows()
    row = await query.first()
    if row is None:  # pragma: no cover - loaded through visible_project first
        raise NotFoundException(NOT_FOUND)
    return row


def step(status: str, action: LiftAction) -> LiftStatus:
    try:
        return rules.next_status(status, action)
    except rules.IllegalStep:
        stage = rules.STAGE_NAMES.get(LiftStatus(status), status)
        raise Conflict(f"项目当前处于“{stage}”阶段，不能执行该操作。") from None


async def log_step(
    caller: Caller,
    project_id: UUID,
    action: str,
    before: str | None,
    after: str,
    on_date: Any,
    note: str | None = None,
    audit: dict[str, Any] | None = None,
) -> None:
    """The project's own history row and the audit entry of one step."""
    await LiftEvent.insert(
        LiftEvent(
            project=project_id,
            action=action,
            from_status=before,
            to_status=after,
            on_date=on_date,
            note=note,
            actor_id=caller.id,
            actor_role=caller.role,
            at=now(),
        )
    )
    await record(
        caller,
        f"lift.{action}",
        "lift_project",
        project_id,
        before=None if before is None else {"status": before},
        after={"status": after, **(audit or {})},
    )


# --- the project -------------------------------------------------------------------


async def unit_households(building_id: UUID, unit_no: str | None) -> list[dict[str, Any]]:
    """The registered flats of the unit (the whole building when ``unit_no`` is None)."""
    query = Household.select(
        Household.id, Household.owner, Household.floor, Household.floor_area, Household.room_no
    ).where(Household.building == building_id)
    if unit_no is not None:
        query = query.where(Household.unit_no == unit_no)
    return list(await query)


def shared(
    total: int,
    flats: Mapping[UUID, tuple[int, int]],
    coefficients: Mapping[int, int],
    agreed: Mapping[UUID, int] | None = None,
    field: str = "coefficients",
) -> dict[UUID, int]:
    """``rules.share_by_floor``, its refusals said to the caller as a 422 on ``field``."""
    try:
        return rules.share_by_floor(total, flats, coefficients, agreed)
    except rules.SharingError as exc:
        raise InputError(field, SHARING_REFUSALS[exc.reason]) from None


async def create_project(caller: Caller, access: Scope, data: LiftProjectIn) -> UUID:
    """A retrofit project of one unit: its flats and floors from the registry, the
    subsidy per lift, and each household's share of the cost less the subsidy, by floor
    coefficient then area, to the fen (DOMAIN "Lift retrofits")."""
    cost = parse_fen(data.estimated_cost, "estimated_cost")
    given = parse_coefficients(data.coefficients, "coefficients")
    upkeep = parse_coefficients(data.upkeep_coefficients, "upkeep_coefficients")
    building = await (
        Building.select(Building.id, Building.community, Building.name)
        .where(
            (Building.id == data.building_id) & (Building.community.district == caller.district_id)
        )
        .first()
    )
    if building is None:
        raise InputError("building_id", "楼栋不存在")
    await access.community(building["community"], Community.id)
    settings = await load_settings(caller.district_id)
    coefficients = given or settings.coefficients
    unit_no = None if data.unit_no is None else data.unit_no.strip()
    if unit_no == "":
        raise InputError("unit_no", "不能为空")
    async with transaction():
        if is_postgres():
            # One active project per unit: creations for one building queue here.
            await fetch("SELECT id FROM building WHERE id = {} FOR UPDATE", building["id"])
        active = await LiftProject.select(LiftProject.id, LiftProject.unit_no).where(
            (LiftProject.building == building["id"])
            & LiftProject.status.is_in(sorted(rules.ACTIVE))
        )
        if any(unit_no is None or p["unit_no"] in (None, unit_no) for p in active):
            raise Conflict("该单元已有进行中的加装电梯项目。")
        flats = await unit_households(building["id"], unit_no)
        if not flats:
            raise InputError("unit_no", "该单元没有登记房屋")
        unfloored = sorted(f["room_no"] for f in flats if f["floor"] is None)
        if unfloored:
            raise InputError(
                "unit_no",
                "以下房屋尚未登记所在楼层：" + "、".join(unfloored[:20]) + "；请先登记楼层",
            )
        floors = [f["floor"] for f in flats]
        for name, factors in (("coefficients", coefficients), ("upkeep_coefficients", upkeep)):
            missing = rules.missing_coefficients(floors, factors or coefficients)
            if missing:
                raise InputError(name, f"第 {'、'.join(map(str, missing))} 层没有分摊系数")
        ids = {f["id"] for f in flats}
        if data.applicant_household_id is not None and data.applicant_household_id not in ids:
            raise InputError("applicant_household_id", "申请人应为本单元业主（填写其房屋）")
        subsidy = rules.subsidy_applied(cost, settings.subsidy_fen)
        shape = {f["id"]: (f["floor"], int(f["floor_area"])) for f in flats}
        shares = shared(rules.owners_cost(cost, subsidy), shape, coefficients)
        moment = now()
        project = LiftProject(
            district=caller.district_id,
            community=building["community"],
            building=building["id"],
            unit_no=unit_no,
            status=LiftStatus.CONSENT.value,
            applicant_household=data.applicant_household_id,
            estimated_cost_fen=cost,
            subsidy_fen=subsidy,
            coefficients=factors_json(coefficients),
            upkeep_coefficients=None if upkeep is None else factors_json(upkeep),
            total_area=sum(area for _, area in shape.values()),
            created_by=caller.id,
            created_role=caller.role,
            created_at=moment,
            updated_at=moment,
        )
        await project.save()
        await LiftShare.insert(
            *(
                LiftShare(
                    project=project.id,
                    household=f["id"],
                    floor=f["floor"],
                    floor_area=int(f["floor_area"]),
                    coefficient=coefficients[f["floor"]],
                    share_fen=shares[f["id"]],
                )
                for f in flats
            )
        )
        await log_step(
            caller,
            project.id,
            "create",
            None,
            LiftStatus.CONSENT.value,
            today(),
            audit={
                "estimated_cost_fen": cost,
                "subsidy_fen": subsidy,
                "households": len(flats),
                "coefficients": factors_json(coefficients),
            },
        )
    return UUID(str(project.id))


async def agree_share(
    caller: Caller, access: Scope, project_id: str, data: AgreedShareIn
) -> dict[str, Any]:
    """Record a household's agreed deviation (the share it agreed to pay, and why); the
    others' shares are computed again by floor and area so the total stays exact. Only
    while consent is open: the shares are published with the consent result."""
    amount = parse_fen(data.share, "share", allow_zero=True)
    agreed_on = data.agreed_on or today()
    if agreed_on > today():
        raise InputError("agreed_on", "不能晚于今天")
    project = await visible_project(access, project_id)
    async with transaction():
        fresh = await locked(project["id"])
        if fresh["status"] != LiftStatus.CONSENT:
            raise Conflict("分摊方案已随表决结果公示，不能再调整。")
        rows = await LiftShare.select().where(LiftShare.project == project["id"])
        by_household = {r["household"]: r for r in rows}
        if data.household_id not in by_household:
            raise InputError("household_id", "该房屋不在本项目的分摊范围内")
        agreed = {r["household"]: int(r["agreed_fen"]) for r in rows if r["agreed_fen"] is not None}
        agreed[data.household_id] = amount
        total = rules.owners_cost(int(fresh["estimated_cost_fen"]), int(fresh["subsidy_fen"]))
        shape = {r["household"]: (r["floor"], int(r["floor_area"])) for r in rows}
        coefficients = {r["floor"]: int(r["coefficient"]) for r in rows}
        shares = shared(total, shape, coefficients, agreed, field="share")
        for household, share in shares.items():
            changes: dict[Any, Any] = {LiftShare.share_fen: share}
            if household == data.household_id:
                changes |= {
                    LiftShare.agreed_fen: amount,
                    LiftShare.agreed_reason: data.reason.strip(),
                    LiftShare.agreed_on: agreed_on,
                }
            if share != by_household[household]["share_fen"] or household == data.household_id:
                await LiftShare.update(changes).where(LiftShare.id == by_household[household]["id"])
        await record(
            caller,
            "lift.agree_share",
            "lift_project",
            project["id"],
            before={
                "household": data.household_id,
                "share_fen": by_household[data.household_id]["share_fen"],
            },
            after={"household": data.household_id, "share_fen": amount, "reason": data.reason},
        )
        await LiftProject.update({LiftProject.updated_at: now()}).where(
            LiftProject.id == project["id"]
        )
    return project
