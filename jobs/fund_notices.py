"""Monthly fund reminders (165号令 arts. 7, 17): households strictly below 30% of their
first deposit are asked to replenish, with what each owes to get back to the line; those
that never made their first deposit are reminded of it. The owner is told of its flat,
the committee of its community (how many, how much in all, the first few by name).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from jobs.runs import Period
from service.db import fetch
from service.funds.reads import BELOW_THRESHOLD
from service.funds.rules import first_deposit, owed_to_threshold, replenish_threshold
from service.notices.recipients import committees
from service.notices.service import Draft, Recipient, send
from service.registry.rules import household_label, natural_key
from service.units import format_yuan

REPLENISHMENT = "replenishment-notices"
FIRST_DEPOSIT = "first-deposit-reminders"
LISTED = 20  # households named in a committee's summary; the page lists them all


def _label(row: dict[str, Any]) -> str:
    return household_label(str(row["building_name"]), str(row["unit_no"]), str(row["room_no"]))


def _summary(
    community: UUID,
    district: UUID,
    kind: str,
    title: str,
    lead: str,
    lines: list[tuple[str, int]],
    total: int,
    recipients: list[Recipient],
) -> list[Draft]:
    lines.sort(key=lambda line: natural_key(line[0]))
    shown = "；".join(f"{label} {format_yuan(amount)} 元" for label, amount in lines[:LISTED])
    more = f"；等共 {len(lines)} 户" if len(lines) > LISTED else ""
    body = f"{lead}合计 {format_yuan(total)} 元。{shown}{more}。"
    return [
        Draft(
            district=district,
            kind=kind,
            title=title,
            body=body,
            recipient=recipient,
            object_type="community",
            object_id=str(community),
            link=f"/communities/{community}",
        )
        for recipient in recipients
    ]


async def replenishment_notices(period: Period) -> dict[str, int]:
    """Tell each owner whose flat is strictly below 30% (art. 17) what to deposit, and
    each committee how many of its households are and what they owe."""
    rows = await fetch(
        "SELECT a.household, a.community, h.owner, h.district, b.name AS building_name,"
        " h.unit_no, h.room_no, a.principal_fen, a.interest_fen, a.first_deposit_fen,"
        " c.name AS community_name"
        " FROM fund_account AS a JOIN household AS h ON h.id = a.household"
        " JOIN building AS b ON b.id = h.building JOIN community AS c ON c.id = a.community"
        f" WHERE a.kind = 'household' AND {BELOW_THRESHOLD}"
    )
    drafts: list[Draft] = []
    by_community: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        balance = int(row["principal_fen"]) + int(row["interest_fen"])
        fixed = int(row["first_deposit_fen"])
        owed = owed_to_threshold(balance, fixed)
        row = {**row, "owed": owed}
        by_community[UUID(str(row["community"]))].append(row)
        label = _label(row)
        drafts.append(
            Draft(
                district=UUID(str(row["district"])),
                kind="replenishment",
                title=f"请续交维修资金：{label}",
                body=(
                    f"您在{row['community_name']}的房屋（{label}）维修资金余额 "
                    f"{format_yuan(balance)} 元，已不足首期交存额 {format_yuan(fixed)} 元的30%"
                    f"（{format_yuan(replenish_threshold(fixed))} 元），请续交至少 "
                    f"{format_yuan(owed)} 元（《住宅专项维修资金管理办法》第十七条）。"
                ),
                recipient=Recipient(owner=UUID(str(row["owner"]))),
                object_type="household",
                object_id=str(row["household"]),
                link=f"/households/{row['household']}",
            )
        )
    committee_of = await committees()
    for community, members in by_community.items():
        drafts += _summary(
            community,
            UUID(str(members[0]["district"])),
            "replenishment_summary",
            f"{members[0]['community_name']}：{len(members)} 户维修资金需续交",
            f"本小区 {len(members)} 户维修资金余额不足首期交存额的30%，应续交",
            [(_label(m), int(m["owed"])) for m in members],
            sum(int(m["owed"]) for m in members),
            committee_of.get(community, []),
        )
    sent = await send(REPLENISHMENT, period.name, drafts)
    return {"households": len(rows), "communities": len(by_community), "notices": sent}


async def first_deposit_reminders(period: Period) -> dict[str, int]:
    """Remind each owner of a flat that never made its first deposit (art. 7: rate ×
    floor area), and each committee of how many and how much, in communities whose fund
    exists (some flat made its first deposit)."""
    rows = await fetch(
        "SELECT h.id AS household, h.community, h.owner, h.district, h.floor_area,"
        " b.name AS building_name, h.unit_no, h.room_no, c.deposit_rate_fen,"
        " c.name AS community_name"
        " FROM household AS h JOIN building AS b ON b.id = h.building"
        " JOIN community AS c ON c.id = h.community"
        " LEFT JOIN fund_account AS a ON a.household = h.id AND a.kind = 'household'"
        " WHERE h.owner IS NOT NULL AND (a.id IS NULL OR (a.first_deposit_fen IS NULL"
        " AND a.closed_at IS NULL))"
        # Only where the fund exists: a community without any first deposit has none yet
        # (establishing one is the owners' decision, DOMAIN "Special maintenance fund").
        " AND EXISTS (SELECT 1 FROM fund_account AS f WHERE f.community = h.community"
        " AND f.kind = 'household' AND f.first_deposit_fen IS NOT NULL)"
    )
    drafts: list[Draft] = []
    by_community: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        due = first_deposit(int(row["deposit_rate_fen"]), int(row["floor_area"]))
        if due <= 0:
            continue
        row = {**row, "due": due}
        by_community[UUID(str(row["community"]))].append(row)
        label = _label(row)
        drafts.append(
            Draft(
                district=UUID(str(row["district"])),
                kind="first_deposit",
                title=f"请交存首期维修资金：{label}",
                body=(
                    f"您在{row['community_name']}的房屋（{label}）尚未交存首期维修资金，"
                    f"应交 {format_yuan(due)} 元（交存标准 × 建筑面积，"
                    "《住宅专项维修资金管理办法》第七条）。"
                ),
                recipient=Recipient(owner=UUID(str(row["owner"]))),
                object_type="household",
                object_id=str(row["household"]),
                link=f"/households/{row['household']}",
            )
        )
    committee_of = await committees()
    for community, members in by_community.items():
        drafts += _summary(
            community,
            UUID(str(members[0]["district"])),
            "first_deposit_summary",
            f"{members[0]['community_name']}：{len(members)} 户未交首期维修资金",
            f"本小区 {len(members)} 户尚未交存首期维修资金，应交",
            [(_label(m), int(m["due"])) for m in members],
            sum(int(m["due"]) for m in members),
            committee_of.get(community, []),
        )
    sent = await send(FIRST_DEPOSIT, period.name, drafts)
    return {"households": sum(len(m) for m in by_community.values()), "notices": sent}
