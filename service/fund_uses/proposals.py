"""Fund-use proposals: what a proposal names (the households charged, the parts repaired),
the warranty guard on every part (165号令 art. 18), the apportionment by floor area
(art. 19), and the drafts repair tickets open (DOMAIN "Repairs") until submitted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from service.audit.service import record
from service.auth.roles import Caller
from service.auth.scope import Scope
from service.clock import now, today
from service.db import INSERT_CHUNK, transaction
from service.errors import Conflict, InputError
from service.fund_uses.rules import (
    EMERGENCY_REASONS,
    OPERATOR_COMPONENT,
    Part,
    UseAction,
    UseStatus,
    places_to_guard,
    status_named,
)
from service.fund_uses.schemas import FundUseIn, FundUseSubmitIn, PartIn
from service.fund_uses.service import locked_use, transition, visible_use
from service.fund_uses.tables import FundUse, FundUsePart, FundUseShare
from service.funds.rules import allocate_by_weight
from service.registry.tables import Building, Community, Household
from service.units import parse_fen
from service.warranty.rules import CATEGORIES, CATEGORY_NAMES
from service.warranty.service import covering_component

MAX_HOUSEHOLDS = 20_000


Proposal = FundUseIn | FundUseSubmitIn


async def _households_in_scope(community_id: UUID, data: Proposal) -> list[dict[str, Any]]:
    """The households whose accounts the use would charge (列支范围)."""
    if bool(data.household_ids) == bool(data.building_ids):
        raise InputError(
            "household_ids", "请给出 household_ids 或 building_ids 之一（不可同时给出）"
        )
    query = Household.select(
        Household.id, Household.owner, Household.floor_area, Household.building
    ).where(Household.community == community_id)
    if data.household_ids:
        wanted = set(data.household_ids)
        if len(wanted) > MAX_HOUSEHOLDS:
            raise InputError("household_ids", f"一次最多 {MAX_HOUSEHOLDS} 户")
        rows = await query.where(Household.id.is_in(list(wanted)))
        if len(rows) != len(wanted):
            raise InputError("household_ids", "有房屋不存在或不属于该小区")
        return list(rows)
    buildings = set(data.building_ids or [])
    await _buildings_of(community_id, buildings, "building_ids")
    rows = await query.where(Household.building.is_in(list(buildings)))
    if not rows:
        raise InputError("building_ids", "这些楼栋没有登记房屋")
    return list(rows)


async def _buildings_of(community_id: UUID, buildings: set[UUID], field: str) -> None:
    """422 naming ``field`` unless every building is one of the community's."""
    if not buildings:
        return
    found = await Building.select(Building.id).where(
        Building.id.is_in(list(buildings)) & (Building.community == community_id)
    )
    if len(found) != len(buildings):
        raise InputError(field, "有楼栋不存在或不属于该小区")


def _category(category: str, field: str) -> str:
    if category == OPERATOR_COMPONENT:
        raise InputError(field, "专业经营单位的管线设施由其自行负责维修，不得使用维修资金")
    if category not in CATEGORIES:
        raise InputError(field, "应为 " + " | ".join(CATEGORIES) + " 之一")
    return category


async def _parts(community_id: UUID, component: str, named: list[PartIn] | None) -> list[Part]:
    """The parts the use repairs, checked: known categories, never an operator's line,
    buildings of the community. The component comes first."""
    parts = [Part(_category(component, "component"))]
    for index, part in enumerate(named or []):
        buildings = set(part.building_ids or [])
        await _buildings_of(community_id, buildings, f"parts[{index}].building_ids")
        parts.append(
            Part(_category(part.category, f"parts[{index}].category"), frozenset(buildings))
        )
    return parts


async def _refuse_under_warranty(
    community_id: UUID, parts: list[Part], charged_buildings: set[UUID]
) -> None:
    """The fund never pays what the construction side owes under warranty (art. 18): the
    guard runs on every part named, over every building charged or named."""
    fields = {parts[0].category: "component"}
    for index, part in enumerate(parts[1:]):
        fields.setdefault(part.category, f"parts[{index}].category")
    for category, places in places_to_guard(parts[0].category, parts[1:], charged_buildings):
        hit = await covering_component(community_id, category, today(), building_ids=places)
        if hit is not None:
            raise InputError(
                fields[category],
                f"{CATEGORY_NAMES[category]}仍在保修期内（{hit['work_title']}，"
                f"保修至 {hit['warranty_until']}），应由施工单位 {hit['contractor_name']} "
                "负责维修，不得使用维修资金",
            )


@dataclass(frozen=True)
class Prepared:
    """A proposal checked and apportioned, ready to be written."""

    cost: int
    households: list[dict[str, Any]]
    areas: dict[UUID, int]
    shares: dict[UUID, int]
    parts: list[Part]

    def summary(self, status: str, emergency: bool) -> dict[str, Any]:
        """What the audit entry of a proposal or a submission records."""
        return {
            "status": status,
            "estimated_cost_fen": self.cost,
            "households": len(self.households),
            "emergency": emergency,
            "parts": [p.category for p in self.parts],
        }


async def _prepare(
    community_id: UUID, data: Proposal, component: str, kept: Sequence[PartIn] = ()
) -> Prepared:
    """Check a proposal (cost, emergency, vote window, households, parts — those named
    and those ``kept`` from a draft —, warranty) and apportion its cost by floor area
    (art. 19)."""
    cost = parse_fen(data.estimated_cost, "estimated_cost")
    if data.emergency:
        if data.emergency_reason not in EMERGENCY_REASONS:
            raise InputError(
                "emergency_reason", "紧急情况应为 " + " | ".join(EMERGENCY_REASONS) + " 之一"
            )
    elif data.emergency_reason is not None:
        raise InputError("emergency_reason", "只有紧急情况（emergency=true）才填写")
    if data.vote_closes_on is not None and data.vote_closes_on < today():
        raise InputError("vote_closes_on", "投票截止日期不能早于今天")
    households = await _households_in_scope(community_id, data)
    parts = await _parts(community_id, component, [*(data.parts or []), *kept])
    await _refuse_under_warranty(community_id, parts, {h["building"] for h in households})
    areas = {h["id"]: int(h["floor_area"]) for h in households}
    return Prepared(cost, households, areas, allocate_by_weight(cost, areas), parts)


def _share_rows(use_id: UUID, prepared: Prepared) -> list[FundUseShare]:
    return [
        FundUseShare(
            fund_use=use_id,
            household=h["id"],
            owner=h["owner"],
            floor_area=prepared.areas[h["id"]],
            share_fen=prepared.shares[h["id"]],
        )
        for h in prepared.households
    ]


def _part_rows(use_id: UUID, parts: list[Part]) -> list[FundUsePart]:
    """A row per part and building; a part naming no building has one row without."""
    rows: list[FundUsePart] = []
    for part in parts:
        buildings: list[UUID | None] = [*sorted(part.building_ids, key=str)] or [None]
        rows.extend(
            FundUsePart(fund_use=use_id, category=part.category, building=building)
            for building in buildings
        )
    return rows


async def _insert(rows: list[FundUseShare] | list[FundUsePart]) -> None:
    if not rows:
        return
    for start in range(0, len(rows), INSERT_CHUNK):
        await type(rows[0]).insert(*rows[start : start + INSERT_CHUNK])


async def propose(caller: Caller, access: Scope, data: FundUseIn) -> UUID:
    """Record a proposal with its apportionment by floor area (art. 19)."""
    community = await access.community(data.community_id, Community.id, Community.vote_rule)
    prepared = await _prepare(community["id"], data, data.component)
    moment = now()
    use = FundUse(
        district=caller.district_id,
        community=community["id"],
        title=data.title.strip(),
        description=data.description,
        component=data.component,
        estimated_cost_fen=prepared.cost,
        total_area=sum(prepared.areas.values()),
        emergency=data.emergency,
        emergency_reason=data.emergency_reason,
        status=(UseStatus.PENDING_APPROVAL if data.emergency else UseStatus.VOTING).value,
        vote_rule=community["vote_rule"],
        vote_closes_on=None if data.emergency else data.vote_closes_on,
        proposer_id=caller.id,
        proposer_role=caller.role,
        proposer_org=caller.org_id,
        created_at=moment,
        updated_at=moment,
    )
    rows = _share_rows(use.id, prepared)
    async with transaction():
        await use.save()
        await _insert(rows)
        await _insert(_part_rows(use.id, prepared.parts))
        await record(
            caller,
            "fund_use.propose",
            "fund_use",
            use.id,
            after=prepared.summary(use.status, data.emergency),
        )
    return UUID(str(use.id))


async def open_draft(
    caller: Caller,
    *,
    community_id: UUID,
    ticket_id: UUID,
    category: str,
    building_id: UUID | None,
    description: str,
) -> UUID:
    """Open a draft fund use for a repair ticket routed to the fund (DOMAIN "Repairs"):
    no cost or households yet; the company, committee or bureau completes and submits it.
    Runs inside the ticket's transaction."""
    community = (
        await Community.select(Community.vote_rule).where(Community.id == community_id).first()
    )
    assert community is not None
    moment = now()
    use = FundUse(
        district=caller.district_id,
        community=community_id,
        title=f"{CATEGORY_NAMES[category]}大修（报修转入）",
        description=description,
        component=category,
        estimated_cost_fen=0,
        total_area=0,
        status=UseStatus.DRAFT.value,
        vote_rule=community["vote_rule"],
        proposer_id=caller.id,
        proposer_role=caller.role,
        proposer_org=caller.org_id,
        repair_ticket_id=ticket_id,
        created_at=moment,
        updated_at=moment,
    )
    part = Part(category, frozenset({building_id}) if building_id else frozenset())
    async with transaction():
        await use.save()
        await _insert(_part_rows(use.id, [part]))
        await record(
            caller,
            "fund_use.draft",
            "fund_use",
            use.id,
            after={"status": use.status, "repair_ticket_id": ticket_id, "component": category},
        )
    return UUID(str(use.id))


async def submit(caller: Caller, access: Scope, use_id: str, data: FundUseSubmitIn) -> None:
    """Complete a draft with cost and households and submit it: to the owners' vote, or
    straight to the bureau in an emergency. The warranty guard runs again now, on every
    part; the submitter becomes the proposer (the bureau's approver must be another)."""
    use = await visible_use(access, use_id)
    if use["status"] != UseStatus.DRAFT:
        raise Conflict(f"当前状态为{status_named(use['status'])}，不能提交，只有草稿可以提交。")
    component = data.component or use["component"]
    # The place the ticket reported stays guarded whatever the submitter names.
    kept = [
        PartIn(category=p["category"], building_ids=[p["building"]])
        for p in await FundUsePart.select().where(FundUsePart.fund_use == use["id"])
        if p["building"] is not None
    ]
    prepared = await _prepare(use["community"], data, component, kept)
    community = (
        await Community.select(Community.vote_rule).where(Community.id == use["community"]).first()
    )
    assert community is not None
    async with transaction():
        fresh = await locked_use(use["id"])
        action = UseAction.SUBMIT_EMERGENCY if data.emergency else UseAction.SUBMIT
        status = transition(fresh["status"], action)
        moment = now()
        await FundUse.update(
            {
                FundUse.status: status.value,
                FundUse.title: (data.title or fresh["title"]).strip(),
                FundUse.description: fresh["description"]
                if data.description is None
                else data.description,
                FundUse.component: component,
                FundUse.estimated_cost_fen: prepared.cost,
                FundUse.total_area: sum(prepared.areas.values()),
                FundUse.emergency: data.emergency,
                FundUse.emergency_reason: data.emergency_reason,
                FundUse.vote_rule: community["vote_rule"],
                FundUse.vote_closes_on: None if data.emergency else data.vote_closes_on,
                FundUse.proposer_id: caller.id,
                FundUse.proposer_role: caller.role,
                FundUse.proposer_org: caller.org_id,
                FundUse.updated_at: moment,
            }
        ).where(FundUse.id == use["id"])
        await FundUsePart.delete().where(FundUsePart.fund_use == use["id"])
        await _insert(_part_rows(use["id"], prepared.parts))
        await _insert(_share_rows(use["id"], prepared))
        await record(
            caller,
            "fund_use.submit",
            "fund_use",
            use["id"],
            before={"status": fresh["status"]},
            after=prepared.summary(status.value, data.emergency),
        )
