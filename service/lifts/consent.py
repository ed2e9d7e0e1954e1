"""The owners' consent to a lift retrofit (Civil Code art. 278 para 1 item 7, para 2):
forms per flat, objections with reasons, and the published result.

A form and the close both lock the project row first (``service.locked``), so a form
racing the close is either counted in the published tally or refused with 409.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from service.audit.service import record
from service.auth.roles import BUREAU, OWNER, Caller
from service.auth.scope import Scope
from service.clock import now, today
from service.db import read_json, transaction
from service.errors import Conflict, InputError
from service.fund_uses.service import tally_out
from service.lifts import rules
from service.lifts.rules import LiftAction, LiftStatus
from service.lifts.schemas import ConsentIn, ConsentOut, ConsentResultOut, ObjectionOut
from service.lifts.service import locked, log_step, step, visible_project
from service.lifts.tables import LiftConsent, LiftProject, LiftShare
from service.registry.rules import mask_name
from service.registry.tables import Household
from service.votes.rules import Choice, Flat, Tally


async def cast_consent(
    caller: Caller, access: Scope, project_id: str, data: ConsentIn
) -> ConsentOut:
    """An owner's consent form for their own flat, or a paper form the committee records.
    An objection states its reason (published with the result). A later form for the
    same flat replaces the earlier one while consent is open; once the result is
    published, nothing more is taken (409)."""
    project = await visible_project(access, project_id)
    if caller.role == OWNER:
        await access.household(data.household_id, Household.id)
    reason = (data.reason or "").strip() or None
    if data.choice == "no" and reason is None:
        raise InputError("reason", "反对意见须写明理由（将与表决结果一并公示）")
    async with transaction():
        fresh = await locked(project["id"])
        if fresh["status"] != LiftStatus.CONSENT:
            raise Conflict("表决已结束，结果已公示，不能再提交意见。")
        member = await LiftShare.exists().where(
            (LiftShare.project == project["id"]) & (LiftShare.household == data.household_id)
        )
        if not member:
            raise InputError("household_id", "该房屋不在本单元，不参加本项目表决")
        owner = (
            await Household.select(Household.owner).where(Household.id == data.household_id).first()
        )
        assert owner is not None
        previous = await (
            LiftConsent.select(LiftConsent.id, LiftConsent.choice)
            .where(
                (LiftConsent.project == project["id"])
                & (LiftConsent.household == data.household_id)
            )
            .first()
        )
        moment = now()
        values: dict[str, Any] = {
            "owner": owner["owner"],
            "choice": data.choice,
            "reason": reason,
            "cast_by": caller.id,
            "cast_role": caller.role,
            "cast_at": moment,
        }
        if previous is None:
            await LiftConsent.insert(
                LiftConsent(project=project["id"], household=data.household_id, **values)
            )
        else:
            await LiftConsent.update(**values).where(LiftConsent.id == previous["id"])
        await record(
            caller,
            "lift.consent",
            "lift_project",
            project["id"],
            before=None
            if previous is None
            else {"household": data.household_id, "choice": previous["choice"]},
            after={"household": data.household_id, "choice": data.choice, "reason": reason},
        )
    return ConsentOut(
        project_id=project["id"],
        household_id=data.household_id,
        choice=data.choice,
        reason=reason,
        cast_at=moment,
        replaced=previous is not None,
    )


async def count_consent(project_id: UUID) -> Tally:
    """The tally over the unit's flats, each counted by its current owner."""
    flats = await LiftShare.select(
        LiftShare.household,
        LiftShare.floor_area,
        LiftShare.household.owner.as_alias("owner"),
    ).where(LiftShare.project == project_id)
    forms = await LiftConsent.select(LiftConsent.household, LiftConsent.choice).where(
        LiftConsent.project == project_id
    )
    return rules.tally_consent(
        [Flat(f["household"], f["owner"], int(f["floor_area"])) for f in flats],
        {f["household"]: Choice(f["choice"]) for f in forms},
    )


async def objections(project_id: UUID) -> list[ObjectionOut]:
    """The objections with their reasons, owners' names masked (they are published)."""
    rows = await LiftConsent.select(
        LiftConsent.household,
        LiftConsent.household.room_no.as_alias("room_no"),
        LiftConsent.owner.name.as_alias("owner_name"),
        LiftConsent.reason,
    ).where((LiftConsent.project == project_id) & (LiftConsent.choice == Choice.NO.value))
    floors = {
        s["household"]: s["floor"]
        for s in await LiftShare.select(LiftShare.household, LiftShare.floor).where(
            LiftShare.project == project_id
        )
    }
    out = [
        ObjectionOut(
            household_id=r["household"],
            room_no=r["room_no"],
            floor=floors[r["household"]],
            owner_name=mask_name(r["owner_name"]),
            reason=r["reason"],
        )
        for r in rows
    ]
    return sorted(out, key=lambda o: (o.floor, o.room_no))


async def consent_result(project: dict[str, Any]) -> ConsentResultOut:
    """The published result once consent closed; until then the live count."""
    if project["tally"] is not None:
        return msgspec.convert(read_json(project["tally"]), ConsentResultOut, strict=False)
    tally = await count_consent(project["id"])
    return ConsentResultOut(
        **msgspec.structs.asdict(tally_out(tally, "civil_code")),
        matter="alter",
        status=project["status"],
        objections=await objections(project["id"]),
        published_at=None,
    )


async def close_consent(caller: Caller, access: Scope, project_id: str) -> ConsentResultOut:
    """Close consent and publish the result: every form taken before this step is in the
    tally, and none is taken after it (the project row is locked by both)."""
    project = await visible_project(access, project_id)
    async with transaction():
        fresh = await locked(project["id"])
        tally = await count_consent(project["id"])
        if (
            fresh["status"] == LiftStatus.CONSENT
            and caller.role != BUREAU
            and tally.voted_owners < tally.eligible_owners
        ):
            # No published window: as for fund-use votes, only the bureau may close before
            # every owner of the unit has answered (the others must be given their say).
            raise Conflict(
                "尚有业主未表态：未公布征询期限的，只有区住建局可以提前结束征询"
                f"（已表态 {tally.voted_owners} / {tally.eligible_owners} 户）。"
            )
        action = LiftAction.CONSENT_GIVEN if tally.approved else LiftAction.CONSENT_REFUSED
        status = step(fresh["status"], action)
        moment = now()
        result = ConsentResultOut(
            **msgspec.structs.asdict(tally_out(tally, "civil_code")),
            matter="alter",
            status=status.value,
            objections=await objections(project["id"]),
            published_at=moment,
        )
        await LiftProject.update(
            {
                LiftProject.status: status.value,
                LiftProject.tally: msgspec.to_builtins(result),
                LiftProject.published_at: moment,
                LiftProject.updated_at: moment,
            }
        ).where(LiftProject.id == project["id"])
        await log_step(
            caller,
            project["id"],
            action.value,
            fresh["status"],
            status.value,
            today(),
            audit={"tally": msgspec.to_builtins(tally_out(tally, "civil_code"))},
        )
    return result


def _hundredths(value: str) -> int:
    """``"123.45"`` (a non-negative figure of the API) → 12345."""
    whole, _, cents = value.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def tally_of(result: ConsentResultOut) -> Tally:
    """The tally the API shows (published or live), as the votes rules' numbers."""
    return Tally(
        eligible_area=_hundredths(result.eligible_area),
        eligible_owners=result.eligible_owners,
        voted_area=_hundredths(result.voted_area),
        voted_owners=result.voted_owners,
        yes_area=_hundredths(result.yes_area),
        yes_owners=result.yes_owners,
        no_area=_hundredths(result.no_area),
        no_owners=result.no_owners,
        quorum_met=result.quorum_met,
        approved=result.approved,
    )
