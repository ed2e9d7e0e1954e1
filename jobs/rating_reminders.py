"""Daily reminders of the quality-rating calendar (DOMAIN "Quality rating"): a period
opening (committees gather owners' satisfaction answers, companies file their service
records), a period closing in a week and a period over but not finalised (the bureau
rates and finalises), an appeal waiting for the bureau's answer as its window runs out.

A district with no rating period covering today gets the current quarter's opened
(quarterly by default, DOMAIN "Quality rating"), as the bureau would open it. Closing
follows the period's dates; finalising stays the bureau's act (it needs every appeal
answered), so the job reminds rather than decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

from jobs.runs import Period
from service.clock import DISTRICT_ZONE
from service.db import fetch
from service.notices.recipients import bureaus
from service.notices.rules import reminder_due
from service.notices.service import Draft, Recipient, send

JOB = "rating-periods"
OPENING_DAYS = 7  # a period that began this recently is announced as open
CLOSING_MARKS = (7,)  # the bureau is told a week before a period ends
APPEAL_ANSWER_DAYS = 15  # our window for the bureau's answer to an appeal
APPEAL_MARKS = (7, 1)


def _date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def quarter_of(day: date) -> tuple[str, date, date]:
    """The calendar quarter holding ``day``: its name, first and last day."""
    index = (day.month - 1) // 3
    first = date(day.year, index * 3 + 1, 1)
    after = date(day.year + 1, 1, 1) if index == 3 else date(day.year, index * 3 + 4, 1)
    return f"{day.year}年第{index + 1}季度", first, after - timedelta(days=1)


async def open_quarters(today: date, district_ids: Sequence[UUID] | None = None) -> int:
    """Open the current quarter's rating period in every district (with a bureau) that
    has no period covering ``today``; how many were opened."""
    from jobs.vote_closings import system_caller
    from service.ratings.schemas import PeriodIn
    from service.ratings.service import create_period

    districts = await fetch(
        "SELECT DISTINCT d.id FROM district AS d JOIN organization AS o ON o.district = d.id"
        " AND o.kind = 'bureau' WHERE NOT EXISTS (SELECT 1 FROM rating_period AS p"
        " WHERE p.district = d.id AND p.starts_on <= {} AND p.ends_on >= {})",
        today,
        today,
    )
    chosen = {str(d) for d in district_ids} if district_ids is not None else None
    opened = 0
    name, first, last = quarter_of(today)
    for row in districts:
        if chosen is not None and str(row["id"]) not in chosen:
            continue
        caller = system_caller(UUID(str(row["id"])))
        await create_period(caller, PeriodIn(name=name, starts_on=first, ends_on=last))
        opened += 1
    return opened


async def rating_reminders(
    period: Period, district_ids: Sequence[UUID] | None = None
) -> dict[str, int]:
    today = period.at.date()
    opened = await open_quarters(today, district_ids)
    bureau_of = await bureaus()
    orgs = await fetch(
        "SELECT id, district FROM organization WHERE kind IN ('committee', 'company')"
    )
    members: dict[UUID, list[Recipient]] = defaultdict(list)
    for org in orgs:
        members[UUID(str(org["district"]))].append(Recipient(org=UUID(str(org["id"]))))
    periods = await fetch(
        "SELECT id, district, name, starts_on, ends_on FROM rating_period WHERE status = 'open'"
    )
    drafts: dict[str, list[Draft]] = defaultdict(list)
    for row in periods:
        district = UUID(str(row["district"]))
        starts, ends = _date(row["starts_on"]), _date(row["ends_on"])
        about = {
            "object_type": "rating_period",
            "object_id": str(row["id"]),
            "link": "",  # no page of its own yet: the API's object_id names it
        }
        if starts <= today <= ends and (today - starts).days < OPENING_DAYS:
            drafts["open"] += [
                Draft(
                    district=district,
                    kind="rating_open",
                    title=f"物业服务质量评价期已开始：{row['name']}",
                    body=(
                        f"评价期「{row['name']}」自 {starts} 至 {ends}。业主委员会请组织业主"
                        "填写满意度评价；物业服务企业请按时登记服务记录，评价结果是发放物业补贴"
                        "的主要依据。"
                    ),
                    recipient=recipient,
                    **about,
                )
                for recipient in members.get(district, [])
            ]
        mark = reminder_due(today, ends, CLOSING_MARKS)
        if mark is not None:
            drafts[f"closing-{mark}d"] += [
                Draft(
                    district=district,
                    kind="rating_close",
                    title=f"评价期将于 {ends} 结束：{row['name']}",
                    body=f"评价期「{row['name']}」将于 {ends} 结束，请按时完成各合同的评分。",
                    recipient=recipient,
                    **about,
                )
                for recipient in bureau_of.get(district, [])
            ]
        if ends < today:
            drafts["closed"] += [
                Draft(
                    district=district,
                    kind="rating_close",
                    title=f"评价期已结束，待评分定稿：{row['name']}",
                    body=(
                        f"评价期「{row['name']}」已于 {ends} 结束，请完成评分、答复申诉后定稿，"
                        "再据以计算物业补贴。"
                    ),
                    recipient=recipient,
                    **about,
                )
                for recipient in bureau_of.get(district, [])
            ]
    appeals = await fetch(
        "SELECT a.id, a.filed_at, r.district, p.id AS period, p.name, c.name AS community_name"
        " FROM rating_appeal AS a JOIN contract_rating AS r ON r.id = a.rating"
        " JOIN rating_period AS p ON p.id = r.period JOIN community AS c ON c.id = r.community"
        " WHERE a.decision IS NULL"
    )
    for row in appeals:
        filed = row["filed_at"]
        filed_on = (
            filed.astimezone(DISTRICT_ZONE).date() if isinstance(filed, datetime) else _date(filed)
        )
        deadline = filed_on + timedelta(days=APPEAL_ANSWER_DAYS)
        mark = reminder_due(today, deadline, APPEAL_MARKS)
        if mark is None:
            continue
        drafts[f"appeal-{mark}d"] += [
            Draft(
                district=UUID(str(row["district"])),
                kind="rating_appeal",
                title=f"申诉待答复：{row['community_name']}（{row['name']}）",
                body=(
                    f"{row['community_name']}物业服务企业于 {filed_on} 对「{row['name']}」的评分"
                    f"提出申诉，请于 {deadline} 前答复；有未答复的申诉，评价期不能定稿。"
                ),
                recipient=recipient,
                object_type="appeal",
                object_id=str(row["id"]),
                link="",
            )
            for recipient in bureau_of.get(UUID(str(row["district"])), [])
        ]
    sent = sum([await send(JOB, key, items) for key, items in drafts.items()])
    return {"opened": opened, "periods": len(periods), "appeals": len(appeals), "notices": sent}
