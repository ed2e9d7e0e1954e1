"""What people read of a lift retrofit: the project with its shares, consent, documents
and history; the list; one household's part with every payment towards it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from piccolo.query import Select

from service.auth.scope import Scope
from service.lifts import rules
from service.lifts.consent import consent_result
from service.lifts.payments import counted, payment_out, payments_of, upkeep_of
from service.lifts.rules import LiftStatus
from service.lifts.schemas import (
    AgreedOut,
    EventOut,
    HouseholdLiftOut,
    HouseholdUpkeepOut,
    LiftProjectOut,
    ShareOut,
)
from service.lifts.service import factors_from_json
from service.lifts.stages import document_out
from service.lifts.tables import (
    LiftDocument,
    LiftEvent,
    LiftProject,
    LiftShare,
    LiftUpkeepShare,
)
from service.pagination import Paging, fetch_page
from service.registry.tables import Building, Household
from service.units import format_area, format_factor, format_yuan
from service.warranty.tables import WorkComponent


def factors_out(raw: Any) -> dict[str, str]:
    return {str(k): format_factor(v) for k, v in factors_from_json(raw).items()}


def standing_out(share_fen: int, payments: list[rules.Counted]) -> tuple[str, str, str]:
    """(paid, pending, outstanding) of a share, as money strings."""
    paid, pending, owed = rules.standing(share_fen, payments)
    return format_yuan(paid), format_yuan(pending), format_yuan(owed)


def agreed_out(row: dict[str, Any]) -> AgreedOut | None:
    if row["agreed_fen"] is None:
        return None
    return AgreedOut(
        share=format_yuan(int(row["agreed_fen"])),
        reason=row["agreed_reason"],
        agreed_on=row["agreed_on"],
    )


async def project_out(row: dict[str, Any], access: Scope, *, full: bool = True) -> LiftProjectOut:
    """The project; ``full`` adds shares (an owner sees payment figures of their own
    flats only), the consent tally (published, or live while open), documents, history
    and upkeep."""
    building = await Building.select(Building.name).where(Building.id == row["building"]).first()
    assert building is not None
    applicant = None
    if row["applicant_household"] is not None:
        found = (
            await Household.select(Household.owner.name.as_alias("name"))
            .where(Household.id == row["applicant_household"])
            .first()
        )
        applicant = None if found is None else found["name"]
    warranty_until = None
    if row["work"] is not None:
        component = (
            await WorkComponent.select(WorkComponent.warranty_until)
            .where((WorkComponent.work == row["work"]) & (WorkComponent.category == "equipment"))
            .first()
        )
        warranty_until = None if component is None else component["warranty_until"]
    count = await LiftShare.count().where(LiftShare.project == row["id"])
    out = LiftProjectOut(
        id=row["id"],
        community_id=row["community"],
        building_id=row["building"],
        building_name=building["name"],
        unit_no=row["unit_no"],
        status=row["status"],
        stage_name=rules.STAGE_NAMES[LiftStatus(row["status"])],
        applicant_household_id=row["applicant_household"],
        applicant_name=applicant,
        estimated_cost=format_yuan(int(row["estimated_cost_fen"])),
        subsidy=format_yuan(int(row["subsidy_fen"])),
        owners_cost=format_yuan(
            rules.owners_cost(int(row["estimated_cost_fen"]), int(row["subsidy_fen"]))
        ),
        coefficients=factors_out(row["coefficients"]),
        upkeep_coefficients=factors_out(row["upkeep_coefficients"] or row["coefficients"]),
        households=count,
        total_area=format_area(int(row["total_area"])),
        subsidy_status=row["subsidy_status"],
        subsidy_claimed_on=row["subsidy_claimed_on"],
        subsidy_paid_on=row["subsidy_paid_on"],
        subsidy_reference=row["subsidy_reference"],
        work_id=row["work"],
        accepted_on=row["accepted_on"],
        warranty_until=warranty_until,
        registration_no=row["registration_no"],
        registered_on=row["registered_on"],
        created_at=row["created_at"],
        shares=[],
        consent=None,
        documents=[],
        events=[],
        upkeep=[],
    )
    if not full:
        return out
    out.shares = await _shares(row["id"], access)
    out.consent = await consent_result(row)
    out.documents = [
        document_out(d)
        for d in await LiftDocument.select()
        .where(LiftDocument.project == row["id"])
        .order_by(LiftDocument.recorded_at)
    ]
    out.events = [
        EventOut(
            action=e["action"],
            from_status=e["from_status"],
            to_status=e["to_status"],
            on_date=e["on_date"],
            note=e["note"],
            actor_role=e["actor_role"],
            at=e["at"],
        )
        for e in await LiftEvent.select()
        .where(LiftEvent.project == row["id"])
        .order_by(LiftEvent.at)
    ]
    out.upkeep = await upkeep_of(row["id"])
    return out


async def _shares(project_id: UUID, access: Scope) -> list[ShareOut]:
    rows = await LiftShare.select(
        *LiftShare.all_columns(),
        LiftShare.household.room_no.as_alias("room_no"),
        LiftShare.household.owner.as_alias("owner"),
    ).where(LiftShare.project == project_id)
    by_household: dict[UUID, list[rules.Counted]] = defaultdict(list)
    for payment in await payments_of([project_id]):
        by_household[payment["household"]].append(counted(payment))
    shares = []
    for r in sorted(rows, key=lambda r: (r["floor"], r["room_no"])):
        mine = access.owner_id is None or r["owner"] == access.owner_id
        figures = standing_out(int(r["share_fen"]), by_household.get(r["household"], []))
        paid, pending, owed = figures if mine else (None, None, None)
        shares.append(
            ShareOut(
                household_id=r["household"],
                room_no=r["room_no"],
                floor=r["floor"],
                floor_area=format_area(int(r["floor_area"])),
                coefficient=format_factor(int(r["coefficient"])),
                share=format_yuan(int(r["share_fen"])),
                agreed=agreed_out(r),
                paid=paid,
                pending=pending,
                outstanding=owed,
            )
        )
    return shares


def _household_shares(household_id: UUID) -> Select[Any]:
    return LiftShare.select(
        *LiftShare.all_columns(), LiftShare.project.status.as_alias("status")
    ).where(LiftShare.household == household_id)


async def household_lift(household_id: UUID) -> list[HouseholdLiftOut]:
    """A household's part in every lift project of its unit (its share, what it agreed,
    paid, has pending and still owes, each payment, its upkeep shares). The caller has
    checked the household is in scope."""
    return await _household_lift_out(household_id, await _household_shares(household_id))


async def household_lift_page(
    household_id: UUID, paging: Paging
) -> tuple[list[HouseholdLiftOut], str | None]:
    """One page of ``household_lift`` (by share) and the next cursor."""
    shares, cursor = await fetch_page(_household_shares(household_id), LiftShare.id, paging)
    return await _household_lift_out(household_id, shares), cursor


async def _household_lift_out(
    household_id: UUID, shares: list[dict[str, Any]]
) -> list[HouseholdLiftOut]:
    if not shares:
        return []
    project_ids = [s["project"] for s in shares]
    payments: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for p in await payments_of(project_ids, household_id):
        payments[p["project"]].append(p)
    upkeep: dict[UUID, list[HouseholdUpkeepOut]] = defaultdict(list)
    for u in await LiftUpkeepShare.select(
        LiftUpkeepShare.share_fen,
        LiftUpkeepShare.upkeep.project.as_alias("project"),
        LiftUpkeepShare.upkeep.year.as_alias("year"),
        LiftUpkeepShare.upkeep.kind.as_alias("kind"),
    ).where(
        (LiftUpkeepShare.household == household_id)
        & LiftUpkeepShare.upkeep.project.is_in(project_ids)
    ):
        upkeep[u["project"]].append(
            HouseholdUpkeepOut(year=u["year"], kind=u["kind"], share=format_yuan(u["share_fen"]))
        )
    out = []
    for s in shares:
        mine = payments.get(s["project"], [])
        paid, pending, owed = standing_out(int(s["share_fen"]), [counted(p) for p in mine])
        out.append(
            HouseholdLiftOut(
                project_id=s["project"],
                status=s["status"],
                floor=s["floor"],
                floor_area=format_area(int(s["floor_area"])),
                coefficient=format_factor(int(s["coefficient"])),
                share=format_yuan(int(s["share_fen"])),
                agreed=agreed_out(s),
                paid=paid,
                pending=pending,
                outstanding=owed,
                payments=[payment_out(p) for p in mine],
                upkeep=sorted(upkeep.get(s["project"], []), key=lambda u: (u.year, u.kind)),
            )
        )
    return out


def visible_projects(access: Scope) -> Any:
    """Condition on ``LiftProject`` for the caller's communities (owners are narrowed to
    their units by the caller)."""
    return access.communities(LiftProject.community, LiftProject.district)


async def listed_projects(
    access: Scope, community_id: UUID | None = None, status: str | None = None
) -> Select[Any]:
    """The select of the projects the caller sees (API list and pages): in scope, and
    for an owner only the projects of units where they own a flat now."""
    query = LiftProject.select().where(visible_projects(access))
    if community_id is not None:
        query = query.where(LiftProject.community == community_id)
    if status:
        query = query.where(LiftProject.status == status)
    if access.owner_id is not None:
        mine = await LiftShare.select(LiftShare.project).where(
            LiftShare.household.is_in(
                [
                    h["id"]
                    for h in await Household.select(Household.id).where(
                        Household.owner == access.owner_id
                    )
                ]
                or [None]
            )
        )
        query = query.where(LiftProject.id.is_in([m["project"] for m in mine] or [None]))
    return query
