"""What a visitor of the demo needs to see every page with content (``changxiao seed
--demo``, after the first deposits): in the demo committee's community, fund uses in every
state (a vote open with ballots, approved, paid, settled with what owners fund themselves,
rejected, cancelled, an emergency awaiting approval), repair tickets in every state, a
finished rating period with ratings and subsidies, an open one asking owners for their
satisfaction, service records, and complaints in every state.

Everything goes through the services a person would use, as the demo's own users, so the
journal, the audit log and the state machines hold exactly as in real use. Deterministic
for one demo district: fixed choices, dates relative to the day it runs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException

from service.auth.roles import Caller
from service.auth.scope import Scope, resolve_scope
from service.auth.tables import Account
from service.auth.tokens import load_caller
from service.clock import today
from service.complaints import schemas as complaint_schemas
from service.complaints import service as complaint_service
from service.contracts.records import add_record
from service.contracts.schemas import ServiceRecordIn
from service.contracts.tables import Contract
from service.db import fetch
from service.fund_uses import proposals
from service.fund_uses import service as uses
from service.fund_uses.schemas import BallotIn, DisbursementIn, FundUseIn
from service.ratings import schemas as rating_schemas
from service.ratings.satisfaction import answer_satisfaction
from service.ratings.service import (
    create_period,
    current_scheme,
    finalize_period,
    loads,
    rate_contract,
)
from service.registry.rules import natural_key
from service.standards.demo import seed_demo_standards
from service.subsidies.service import approve_subsidy, compute_subsidies, release_subsidy
from service.units import PositiveMoney, Score, format_hundredths, format_yuan
from service.warranty import rules as repair_rules
from service.warranty import schemas as repair_schemas
from service.warranty.tickets import parties, report, transition, visible_ticket


class Actor:
    """A demo user with its scope."""

    def __init__(self, caller: Caller, access: Scope) -> None:
        self.caller = caller
        self.access = access


async def _actor(username: str) -> Actor:
    row = await Account.select(Account.id).where(Account.username == username).first()
    assert row is not None, f"demo user {username} missing"
    caller = await load_caller(row["id"])
    assert caller is not None
    return Actor(caller, await resolve_scope(caller))


async def _flats(community_id: UUID) -> list[dict[str, Any]]:
    """The community's households with building, unit, room, owner and balance."""
    rows = await fetch(
        "SELECT h.id, h.owner, h.building, b.name AS building_name, h.unit_no, h.room_no,"
        " a.principal_fen + a.interest_fen AS balance FROM household AS h"
        " JOIN building AS b ON b.id = h.building"
        " JOIN fund_account AS a ON a.household = h.id AND a.kind = 'household'"
        " WHERE h.community = {}",
        community_id,
    )
    return sorted(
        rows, key=lambda r: natural_key(f"{r['building_name']} {r['unit_no']} {r['room_no']}")
    )


def _buildings(flats: list[dict[str, Any]]) -> list[UUID]:
    seen: list[UUID] = []
    for flat in flats:
        if flat["building"] not in seen:
            seen.append(flat["building"])
    return seen


def _yuan(fen: int) -> PositiveMoney:
    return PositiveMoney(format_yuan(fen))


async def _propose(actor: Actor, community_id: UUID, title: str, cost_fen: int, **kw: Any) -> str:
    data = FundUseIn(
        community_id=community_id,
        title=title,
        description=kw.pop("description"),
        estimated_cost=_yuan(cost_fen),
        **kw,
    )
    return str(await proposals.propose(actor.caller, actor.access, data))


async def _vote(actor: Actor, use_id: str, choices: dict[UUID, str]) -> None:
    for household_id, choice in choices.items():
        await uses.cast_ballot(
            actor.caller,
            actor.access,
            use_id,
            BallotIn(household_id=household_id, choice=choice),  # type: ignore[arg-type]
        )


async def _close_and_approve(bureau: Actor, use_id: str) -> None:
    """The bureau closes the vote early (it alone may, without a published window) and,
    the owners having approved, approves the use (it proposed none of them)."""
    await uses.close_vote(bureau.caller, bureau.access, use_id)
    await uses.approve(bureau.caller, bureau.access, use_id)


async def fund_uses(community_id: UUID, people: dict[str, Actor], owner_id: UUID) -> None:
    """Fund uses in every state."""
    committee, bureau, bureau2, company = (
        people["committee"],
        people["bureau"],
        people["bureau2"],
        people["company"],
    )
    flats = await _flats(community_id)
    buildings = _buildings(flats)
    owner_buildings = _buildings([f for f in flats if f["owner"] == owner_id])
    other = [b for b in buildings if b not in owner_buildings] or buildings

    def of(*chosen: UUID) -> list[dict[str, Any]]:
        return [f for f in flats if f["building"] in chosen]

    # 1. Voting, with paper ballots already in; the demo owner has not voted yet.
    voting = of(*owner_buildings)
    use_id = await _propose(
        committee,
        community_id,
        "雨污管道更换",
        48_000_00,
        description="楼内雨污合流管道老化渗漏，更换为 PVC-U 管道。",
        component="plumbing",
        building_ids=owner_buildings,
        vote_closes_on=today() + timedelta(days=14),
    )
    others = [f for f in voting if f["owner"] != owner_id]
    await _vote(
        committee,
        use_id,
        {
            f["id"]: ("no" if i % 7 == 3 else "abstain" if i % 11 == 5 else "yes")
            for i, f in enumerate(others[: len(others) * 3 // 5])
        },
    )

    # 2. Approved by the owners and the bureau, not yet paid.
    approved = of(other[0])
    use_id = await _propose(
        company,
        community_id,
        "楼道照明线路更新",
        12_600_00,
        description="楼道照明线路及声控灯更换。",
        component="electrical",
        building_ids=[other[0]],
    )
    await _vote(committee, use_id, {f["id"]: "yes" for f in approved[: len(approved) * 5 // 6]})
    await _close_and_approve(bureau, use_id)

    # 3. Settled: one unit's water pump, paid in full.
    pumped_building = other[1 % len(other)]
    unit_one = [f for f in of(pumped_building) if f["unit_no"] == "1"]
    cost = sum(int(f["balance"]) for f in unit_one) * 4 // 5
    use_id = await _propose(
        committee,
        community_id,
        "1单元二次供水水泵更换",
        cost,
        description="1单元二次供水水泵损坏，更换水泵及控制柜。",
        component="equipment",
        household_ids=[f["id"] for f in unit_one],
    )
    await _vote(committee, use_id, {f["id"]: "yes" for f in unit_one})
    await _close_and_approve(bureau, use_id)
    await uses.disburse(
        bureau2.caller, bureau2.access, use_id, DisbursementIn(amount=_yuan(cost), stage="final")
    )

    # 4. Paying: the whole building's drains; unit 1 is short and funds the rest itself.
    whole = of(pumped_building)
    cost = sum(int(f["balance"]) for f in whole) * 7 // 20
    use_id = await _propose(
        committee,
        community_id,
        "室外排水管网改造",
        cost,
        description="楼栋室外排水管网塌陷，翻建检查井和管道。",
        component="plumbing",
        building_ids=[pumped_building],
    )
    await _vote(committee, use_id, {f["id"]: "yes" for f in whole})
    await _close_and_approve(bureau, use_id)
    await uses.disburse(
        bureau2.caller,
        bureau2.access,
        use_id,
        DisbursementIn(amount=_yuan(cost * 3 // 5), stage="progress"),
    )

    # 5. Rejected by the owners.
    rejected_building = other[2 % len(other)]
    rejected = of(rejected_building)
    use_id = await _propose(
        company,
        community_id,
        "单元门禁系统更换",
        9_800_00,
        description="更换单元门禁及对讲系统。",
        component="other",
        building_ids=[rejected_building],
    )
    await _vote(
        committee,
        use_id,
        {f["id"]: ("yes" if i % 3 == 0 else "no") for i, f in enumerate(rejected)},
    )
    await uses.close_vote(bureau.caller, bureau.access, use_id)

    # 6. Cancelled by its proposer.
    use_id = await _propose(
        committee,
        community_id,
        "小区大门更换",
        26_000_00,
        description="小区大门及岗亭更换（已改由公共收益支付，撤回申请）。",
        component="other",
        building_ids=buildings[:2],
    )
    await uses.cancel(committee.caller, committee.access, use_id)

    # 7. An emergency: no vote, awaiting the bureau.
    await _propose(
        company,
        community_id,
        "供水主管爆裂抢修",
        6_500_00,
        description="小区供水主管爆裂，紧急抢修，费用事后公示。",
        component="plumbing",
        building_ids=[buildings[-1]],
        emergency=True,
        emergency_reason="drain_failure",
    )


async def _step(people: dict[str, Actor], ticket_id: UUID, action: str, note: str) -> None:
    """Take a step as whichever demo user is the party it needs."""
    for actor in people.values():
        try:
            ticket = await visible_ticket(actor.caller, actor.access, ticket_id)
            repair_rules.next_status(ticket["status"], action, parties(actor.caller, ticket))
        except (NotFoundException, repair_rules.IllegalTransition, repair_rules.NotYourStep):
            continue
        await transition(
            actor.caller,
            actor.access,
            ticket_id,
            repair_schemas.TransitionIn(action=action, note=note),
        )
        return
    raise AssertionError(f"no demo user may {action} ticket {ticket_id}")


LIFE = {
    "assigned": [],
    "accepted": [("accept", "已受理，安排师傅上门。")],
    "in_progress": [("accept", "已受理。"), ("start", "材料已到，开始维修。")],
    "done": [("accept", "已受理。"), ("start", "开始维修。"), ("finish", "已修复，请验收。")],
    "verified": [
        ("accept", "已受理。"),
        ("start", "开始维修。"),
        ("finish", "已修复。"),
        ("verify", "经查看已修好。"),
    ],
}


async def repairs(community_id: UUID, people: dict[str, Actor]) -> None:
    """Repair tickets in every state, reported by the owner and the committee."""
    owner, committee = people["owner"], people["committee"]
    flats = await _flats(community_id)
    mine = [f for f in flats if f["owner"] == owner.caller.owner_id]
    plans: list[tuple[Actor, dict[str, Any], str]] = [
        (
            owner,
            {
                "household_id": mine[0]["id"],
                # The building's drain stack, reported from the flat: a common part.
                "part": "common",
                "category": "plumbing",
                "description": "厨房下水管漏水，楼下天花板有水渍。",
            },
            "assigned",
        ),
        (
            owner,
            {
                "building_id": mine[0]["building"],
                "category": "electrical",
                "description": "楼道声控灯不亮，晚上上下楼看不见。",
            },
            "in_progress",
        ),
        (
            committee,
            {
                "building_id": flats[-1]["building"],
                "category": "roofing",
                "description": "顶层屋面雨天渗水，墙皮脱落。",
                "urgency": "emergency",
            },
            "accepted",
        ),
        (committee, {"category": "other", "description": "小区主干道路面破损积水。"}, "done"),
        (
            committee,
            {
                "building_id": flats[0]["building"],
                "category": "exterior_wall",
                "description": "外墙保温层空鼓开裂。",
            },
            "verified",
        ),
        (
            committee,
            {
                "building_id": flats[len(flats) // 2]["building"],
                "category": "plumbing",
                "description": "楼栋雨水立管整体锈蚀，需整体更换。",
                "major": True,
            },
            "assigned",
        ),
    ]
    for actor, fields, state in plans:
        ticket_id = await report(
            actor.caller,
            actor.access,
            repair_schemas.RepairIn(community_id=community_id, **fields),
        )
        for action, note in LIFE[state]:
            await _step(people, ticket_id, action, note)
    # A contractor that says a fault is not a warranty defect disputes it: a roof of one
    # of its works still under warranty (a community renovated later, if this one's ran out).
    contractor, bureau = people["contractor"], people["bureau"]
    covered = await fetch(
        "SELECT c.community, c.warranty_until FROM work_component AS c"
        " JOIN work AS w ON w.id = c.work WHERE w.contractor = {} AND c.category = 'roofing'"
        " AND c.warranty_until >= {} ORDER BY c.warranty_until, c.community LIMIT 1",
        contractor.caller.org_id,
        today(),
    )
    if covered:
        ticket_id = await report(
            bureau.caller,
            bureau.access,
            repair_schemas.RepairIn(
                community_id=covered[0]["community"],
                category="roofing",
                description="顶层住户反映屋面防水卷材起鼓渗水。",
            ),
        )
        await transition(
            contractor.caller,
            contractor.access,
            ticket_id,
            repair_schemas.TransitionIn(
                action="dispute", note="系住户自行加装太阳能热水器破坏防水层，不属保修范围。"
            ),
        )


def _quarter(day: date, back: int) -> tuple[date, date]:
    """The calendar quarter ``back`` quarters before the one containing ``day``."""
    index = (day.year * 4 + (day.month - 1) // 3) - back
    year, q = divmod(index, 4)
    start = date(year, 3 * q + 1, 1)
    end = date(year + (q == 3), (3 * q + 3) % 12 + 1, 1) - timedelta(days=1)
    return start, end


async def ratings(community_id: UUID, people: dict[str, Actor]) -> None:
    """Last quarter rated, finalised, its subsidies computed, approved and partly
    released; this quarter open, asking owners how satisfied they are."""
    bureau, bureau2 = people["bureau"], people["bureau2"]
    start, end = _quarter(today(), 1)
    period = await create_period(
        bureau.caller,
        rating_schemas.PeriodIn(
            name=f"{start.year}年第{(start.month - 1) // 3 + 1}季度", starts_on=start, ends_on=end
        ),
    )
    scheme = await current_scheme(bureau.caller.district_id)
    contracts = (
        await Contract.select(Contract.id, Contract.community)
        .where((Contract.district == bureau.caller.district_id) & (Contract.status == "live"))
        .order_by(Contract.community)
    )
    chosen = [c for c in contracts if c["community"] == community_id]
    chosen += [c for c in contracts if c["community"] != community_id][:11]
    for number, contract in enumerate(chosen):
        factor = (96, 88, 83, 76, 71, 64, 55)[number % 7]
        items = [
            rating_schemas.ScoreIn(
                code=item["code"],
                score=Score(format_hundredths(int(item["max_score"]) * factor // 100)),
            )
            for item in loads(scheme["items"])
        ]
        await rate_contract(
            bureau.caller,
            str(period["id"]),
            rating_schemas.RatingIn(contract_id=contract["id"], items=items),
        )
    await finalize_period(bureau.caller, str(period["id"]))
    subsidies = await compute_subsidies(bureau.caller, str(period["id"]))
    for number, subsidy in enumerate(subsidies):
        if number % 3 == 2:
            continue
        await approve_subsidy(bureau.caller, str(subsidy["id"]))
        if number % 3 == 0:
            await release_subsidy(bureau2.caller, str(subsidy["id"]))
    start, end = _quarter(today(), 0)
    current = await create_period(
        bureau.caller,
        rating_schemas.PeriodIn(
            name=f"{start.year}年第{(start.month - 1) // 3 + 1}季度", starts_on=start, ends_on=end
        ),
    )
    committee = people["committee"]
    flats = await _flats(community_id)
    for number, flat in enumerate(flats[:12]):
        await answer_satisfaction(
            committee.caller,
            committee.access,
            str(current["id"]),
            rating_schemas.SatisfactionIn(
                household_id=flat["id"], score=5 - number % 3, comment="纸质问卷录入"
            ),
        )


async def service_records(community_id: UUID, people: dict[str, Actor]) -> None:
    """A week of the company's daily work in the community (records may be entered
    up to 7 days late)."""
    company = people["company"]
    contract = (
        await Contract.select(Contract.id)
        .where((Contract.community == community_id) & (Contract.status == "live"))
        .first()
    )
    assert contract is not None
    work = [
        ("cleaning", "楼道及公共区域清扫"),
        ("patrol", "夜间秩序巡查"),
        ("greening", "绿地修剪浇水"),
        ("facility_check", "消防栓与配电箱检查"),
    ]
    for day in range(6, -1, -1):
        category, description = work[day % len(work)]
        await add_record(
            company.caller,
            str(contract["id"]),
            ServiceRecordIn(
                performed_on=today() - timedelta(days=day),
                category=category,
                description=description,
            ),
        )


async def complaints(community_id: UUID, people: dict[str, Actor]) -> None:
    """Complaints in every state: one waiting for the company's answer, one answered and
    waiting for the complainant, one resolved, one disputed after the answer."""
    committee, company, owner = people["committee"], people["company"], people["owner"]
    flats = await _flats(community_id)
    mine = [flat for flat in flats if flat["owner"] == owner.caller.owner_id]
    filers: list[tuple[Actor, complaint_schemas.ComplaintIn]] = [
        (
            committee,
            complaint_schemas.ComplaintIn(
                category="cleaning",
                place="community",
                description="小区东门垃圾站清运不及时，夏季异味明显",
            ),
        ),
        (
            committee,
            complaint_schemas.ComplaintIn(
                category="security",
                place="building",
                building_id=_buildings(flats)[0],
                description="单元门禁夜间常开，外来人员随意进出",
            ),
        ),
        (
            committee,
            complaint_schemas.ComplaintIn(
                category="greening", place="community", description="中心绿地杂草丛生"
            ),
        ),
    ]
    if mine:
        filers.insert(
            0,
            (
                owner,
                complaint_schemas.ComplaintIn(
                    category="facilities",
                    place="household",
                    household_id=mine[0]["id"],
                    description="入户水表井盖破损，多次报修无人处理",
                ),
            ),
        )
    made = [
        (actor, await complaint_service.file(actor.caller, actor.access, community_id, body))
        for actor, body in filers
    ]
    answer = complaint_schemas.AnswerIn(answer="已安排专人处理，三日内整改完毕并回访。")
    # The first waits for an answer; the others were answered.
    for _, complaint_id in made[1:]:
        await complaint_service.answer(company.caller, complaint_id, answer)
    if len(made) > 2:
        actor, complaint_id = made[2]
        await complaint_service.confirm(
            actor.caller, complaint_id, complaint_schemas.ConfirmIn(resolved=True, note="已整改")
        )
    if len(made) > 3:
        actor, complaint_id = made[3]
        await complaint_service.confirm(
            actor.caller,
            complaint_id,
            complaint_schemas.ConfirmIn(resolved=False, note="整改后仍未清理干净"),
        )


async def seed_demo_life(usernames: dict[str, str]) -> None:
    """Bring the demo district to life (``usernames``: role key → demo username)."""
    people = {key: await _actor(name) for key, name in usernames.items()}
    community_id = people["committee"].caller.committee_community_id
    owner_id = people["owner"].caller.owner_id
    assert community_id is not None and owner_id is not None
    await fund_uses(community_id, people, owner_id)
    await repairs(community_id, people)
    await ratings(community_id, people)
    await service_records(community_id, people)
    await complaints(community_id, people)
    await seed_demo_standards(
        people["bureau"].caller, [people["company"].caller, people["contractor"].caller]
    )
