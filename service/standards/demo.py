"""One quarter of standards inspections for the demo district, so the matrix, its history
and the late tasks show: every community and area inspected last quarter (a few items
failing, their tasks routed), and this quarter a repeat round of a third of them that
closes most of what it finds fixed. Everything goes through ``record_inspection`` as the
demo's bureau user. Deterministic for one district; resumable: a district that already
has inspections is left as it is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from uuid import UUID

from service.auth.roles import Caller
from service.auth.scope import resolve_scope
from service.clock import today
from service.registry.tables import Area, Community, Organization, StreetArea
from service.standards import rules
from service.standards.schemas import InspectionIn, ResultIn, TransitionIn
from service.standards.service import (
    current_catalogue,
    items_of,
    record_inspection,
    task_list_query,
    transition,
)
from service.standards.tables import Inspection, Rectification


def _on(first: date, last: date, offset: int) -> date:
    return min(first + timedelta(days=offset), last)


def _finding(place: int, item: int, code: str) -> str:
    if code == "tong_heat" and place % 5 == 0:
        return rules.NA  # no district heating reaches this one
    return rules.NOT_MET if (place * 7 + item * 3) % 11 == 0 else rules.MET


async def seed_demo_standards(bureau: Caller, responders: Sequence[Caller] = ()) -> int:
    """Inspect the district's places as described above, then let each of
    ``responders`` (the demo's company and contractor users) answer up to three of the
    open tasks given to it; how many inspections were made (0 when the district
    already had some)."""
    district = bureau.district_id
    if await Inspection.count().where(Inspection.district == district) > 0:
        return 0
    access = await resolve_scope(bureau)
    catalogue = items_of(await current_catalogue(district))
    streets = [
        s["id"]
        for s in await Organization.select(Organization.id)
        .where((Organization.district == district) & (Organization.kind == "street"))
        .order_by(Organization.name)
    ]
    last_quarter = rules.quarter_of(
        rules.quarter_bounds(rules.quarter_of(today()))[0] - timedelta(days=1)
    )
    first, last = rules.quarter_bounds(last_quarter)
    this_first = rules.quarter_bounds(rules.quarter_of(today()))[0]
    places: list[tuple[str, UUID, UUID]] = [
        (rules.COMMUNITY, c["id"], c["area"])
        for c in await Community.select(Community.id, Community.area)
        .where(Community.district == district)
        .order_by(Community.code)
    ] + [
        (rules.AREA, a["id"], a["id"])
        for a in await Area.select(Area.id).where(Area.district == district).order_by(Area.code)
    ]
    # The office covering the place's area inspects it (round the offices when none does).
    covering = {
        r["area"]: r["street"]
        for r in await StreetArea.select(StreetArea.area, StreetArea.street).where(
            StreetArea.street.is_in(streets or [None])
        )
    }
    made = 0
    for number, (level, place, area) in enumerate(places):
        items = [i for i in catalogue if i["level"] == level]
        findings = [
            ResultIn(
                code=item["code"],
                result=_finding(number, k, item["code"]),
                note="现场检查发现问题，已拍照"
                if _finding(number, k, item["code"]) == rules.NOT_MET
                else None,
            )
            for k, item in enumerate(items)
        ]
        street = covering.get(area) or (streets[number % len(streets)] if streets else None)
        await record_inspection(
            bureau,
            access,
            InspectionIn(
                items=findings,
                community_id=place if level == rules.COMMUNITY else None,
                area_id=place if level == rules.AREA else None,
                inspected_on=_on(first, last, (number * 5) % 80),
                street_office_id=street,
                note=f"{last_quarter} 季度例行检查",
            ),
        )
        made += 1
        failed = [f.code for f in findings if f.result == rules.NOT_MET]
        if number % 3 or not failed or today() <= this_first:
            continue
        # The repeat round: the first failed item still not met, the rest fixed.
        await record_inspection(
            bureau,
            access,
            InspectionIn(
                items=[
                    ResultIn(code=code, result=rules.NOT_MET if n == 0 else rules.MET)
                    for n, code in enumerate(failed)
                ],
                community_id=place if level == rules.COMMUNITY else None,
                area_id=place if level == rules.AREA else None,
                inspected_on=_on(this_first, today(), number % 20),
                street_office_id=street,
                note="整改复查",
            ),
        )
        made += 1
    for responder in responders:
        await _answer_some(responder)
    return made


async def _answer_some(responder: Caller) -> None:
    access = await resolve_scope(responder)
    rows = await (
        task_list_query(responder, access, status=rules.OPEN)
        .where(Rectification.responsible_org == responder.org_id)
        .order_by(Rectification.due_on)
        .limit(3)
    )
    for row in rows:
        await transition(
            responder,
            access,
            row["id"],
            TransitionIn(action="answer", note="已按要求整改完毕，请复查。"),
        )


async def finish_demo_standards(username: str, responders: Sequence[str] = ()) -> int:
    """``seed --demo`` on a database that already holds the demo (seeded before the
    standards existed, or stopped before them): inspect it now. Only a district the
    demo seed completed (its ``demo.seed_completed`` audit entry) and only through its
    demo bureau user; real data is never touched."""
    from service.audit.tables import AuditEntry
    from service.auth.tables import Account
    from service.auth.tokens import load_caller

    account = (
        await Account.select(Account.id, Account.district)
        .where((Account.username == username) & (Account.role == "bureau"))
        .first()
    )
    if account is None:
        return 0
    completed = await AuditEntry.exists().where(
        (AuditEntry.action == "demo.seed_completed")
        & (AuditEntry.district_id == account["district"])
    )
    caller = await load_caller(account["id"]) if completed else None
    if caller is None:
        return 0
    answering = []
    for name in responders:
        row = (
            await Account.select(Account.id)
            .where((Account.username == name) & (Account.district == account["district"]))
            .first()
        )
        responder = await load_caller(row["id"]) if row else None
        if responder is not None:
            answering.append(responder)
    return await seed_demo_standards(caller, answering)
