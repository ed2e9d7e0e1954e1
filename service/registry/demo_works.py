"""A recent work in the demo committee's community: unit-door access and CCTV equipment
accepted two years less 60 days before the seed, so its two-year warranty (条例 art. 40:
equipment installation) ends about 60 days after the seed, whenever the demo is loaded.
The scheduled warranty-end reminder has a live example on the committee's first day.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from service.clock import now, today
from service.db import fetch, transaction
from service.warranty.rules import add_months, warranty_last_day, warranty_until
from service.warranty.tables import Work, WorkComponent
from service.warranty.workdays import national_calendar

TITLE = "单元门禁及监控设备更新工程"


async def seed_recent_work(committee_username: str) -> None:
    """Register the recent equipment work (once) in the committee's community, built by
    the contractor of its renovation (no one's scope changes)."""
    rows = await fetch(
        "SELECT o.community, o.district FROM account AS a JOIN organization AS o"
        " ON o.id = a.organization WHERE a.username = {}",
        committee_username,
    )
    if not rows or rows[0]["community"] is None:
        return
    community, district = rows[0]["community"], rows[0]["district"]
    builder = await Work.select(Work.contractor).where(Work.community == community).first()
    if builder is None:
        return
    if await Work.exists().where((Work.community == community) & (Work.title == TITLE)):
        return
    accepted = add_months(today(), -24) + timedelta(days=60)
    work_id = uuid.uuid4()
    async with transaction():
        await Work.insert(
            Work(
                id=work_id,
                district=district,
                community=community,
                contractor=builder["contractor"],
                title=TITLE,
                accepted_on=accepted,
                settlement_fen=38_600_00,
                created_at=now(),
            )
        )
        await WorkComponent.insert(
            WorkComponent(
                work=work_id,
                community=community,
                category="equipment",
                warranty_until=warranty_until("equipment", accepted, calendar=national_calendar()),
                period_last_day=warranty_last_day("equipment", accepted),
            )
        )
