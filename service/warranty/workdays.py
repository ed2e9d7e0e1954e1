"""The working-day calendar that ends periods (Civil Code art. 203), and the district's
own overrides of it.

National: the `holidays` package's China calendar — the State Council's published
arrangements with their make-up working days (调休上班), and the statutory holidays it
computes for later years, lunar ones included. Nothing national is kept by hand here.
District: days the bureau declares working or rest days (data, audited), laid over it.

Warranty ends are stored on components with the period's nominal last day beside them;
a changed override moves the stored ends it concerns at once.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

import holidays
from litestar.exceptions import NotFoundException

from service.audit.service import record
from service.auth.roles import Caller
from service.clock import now
from service.db import is_postgres, transaction
from service.errors import Conflict
from service.pagination import Paging, fetch_page
from service.registry.tables import District
from service.warranty import rules, schemas
from service.warranty.tables import Work, WorkComponent, WorkdayOverride


@lru_cache(maxsize=1)
def national_calendar() -> rules.WorkingCalendar:
    """China's working days as the `holidays` package knows them (any year: published
    arrangements where known, the statutory holidays computed otherwise)."""
    calendar: rules.WorkingCalendar = holidays.country_holidays("CN")
    return calendar


async def overrides_of(district_id: UUID) -> dict[date, bool]:
    rows = await WorkdayOverride.select(WorkdayOverride.day, WorkdayOverride.working).where(
        WorkdayOverride.district == district_id
    )
    return {r["day"]: bool(r["working"]) for r in rows}


async def load_calendar(district_id: UUID) -> rules.DistrictCalendar:
    """The national calendar with the district's overrides."""
    return rules.DistrictCalendar(national_calendar(), await overrides_of(district_id))


def override_out(row: dict[str, Any]) -> schemas.WorkdayOverrideOut:
    return schemas.WorkdayOverrideOut(
        id=row["id"],
        day=row["day"],
        working=bool(row["working"]),
        note=row["note"],
        created_at=row["created_at"],
    )


async def list_overrides(
    district_id: UUID, paging: Paging, year: int | None = None
) -> tuple[list[schemas.WorkdayOverrideOut], str | None]:
    """One page of the district's overrides by day (of ``year`` when given), and the
    next cursor."""
    query = WorkdayOverride.select().where(WorkdayOverride.district == district_id)
    if year is not None:
        query = query.where(
            (WorkdayOverride.day >= date(year, 1, 1)) & (WorkdayOverride.day <= date(year, 12, 31))
        )
    rows, cursor = await fetch_page(query, WorkdayOverride.id, paging, order=WorkdayOverride.day)
    return [override_out(r) for r in rows], cursor


async def one_override(district_id: UUID, override_id: UUID) -> schemas.WorkdayOverrideOut:
    row = (
        await WorkdayOverride.select()
        .where((WorkdayOverride.district == district_id) & (WorkdayOverride.id == override_id))
        .first()
    )
    assert row is not None, override_id
    return override_out(row)


async def workday_out(district_id: UUID, day: date) -> schemas.WorkdayOut:
    """Whether ``day`` is a working day for the district, and where periods ending on
    it end (art. 203)."""
    calendar = await load_calendar(district_id)
    return schemas.WorkdayOut(
        day=day,
        working=calendar.is_working_day(day),
        national_working=calendar.national.is_working_day(day),
        overridden=day in calendar.overrides,
        period_ends_on=rules.period_end(day, calendar),
    )


async def _lock_district_calendar(district_id: UUID) -> None:
    """Serialise changes of one district's overrides (SQLite's IMMEDIATE transaction
    already does; on PostgreSQL the district's row is locked)."""
    if is_postgres():
        await District.select(District.id).where(District.id == district_id).lock_rows()


async def _refresh(district_id: UUID, since: date | None, until: date | None) -> int:
    """Recompute the stored ends of the district's components whose period's last day
    lies in [since, until] (either open) with the district's calendar; how many moved.
    Runs inside the caller's transaction."""
    calendar = await load_calendar(district_id)
    query = WorkComponent.select(
        WorkComponent.id, WorkComponent.period_last_day, WorkComponent.warranty_until
    ).where(
        WorkComponent.period_last_day.is_not_null()
        & WorkComponent.work.is_in(Work.select(Work.id).where(Work.district == district_id))
    )
    if since is not None:
        query = query.where(WorkComponent.period_last_day >= since)
    if until is not None:
        query = query.where(WorkComponent.period_last_day <= until)
    moved = 0
    for row in await query:
        end = rules.period_end(row["period_last_day"], calendar)
        if end != row["warranty_until"]:
            await WorkComponent.update({WorkComponent.warranty_until: end}).where(
                WorkComponent.id == row["id"]
            )
            moved += 1
    return moved


async def refresh_warranty_ends(district_id: UUID, around: date) -> int:
    """Recompute the stored ends whose period's last day lies in the rest run ``around``
    may belong to; returns how many moved."""
    return await _refresh(district_id, around - timedelta(days=rules.MAX_REST_RUN_DAYS), around)


async def refresh_all_warranty_ends() -> dict[UUID, int]:
    """Every district's stored warranty ends recomputed with today's calendar (run after
    upgrading `holidays` once the State Council publishes a year's arrangement); audited
    per district. Components registered before the period's last day was kept are left
    as they are."""
    moved: dict[UUID, int] = {}
    for district in await District.select(District.id):
        async with transaction():
            await _lock_district_calendar(district["id"])
            count = await _refresh(district["id"], None, None)
            await record(
                None,
                "warranty.refresh_ends",
                "district",
                district["id"],
                after={"warranty_ends_moved": count},
                district_id=district["id"],
            )
        moved[district["id"]] = count
    return moved


async def set_override(caller: Caller, data: schemas.WorkdayOverrideIn) -> UUID:
    """Declare ``day`` a working or rest day for the district (one decision per day; a
    second for the same day → 409) and move the warranty ends it concerns."""
    async with transaction():
        await _lock_district_calendar(caller.district_id)
        existing = (
            await WorkdayOverride.select(WorkdayOverride.id)
            .where(
                (WorkdayOverride.district == caller.district_id) & (WorkdayOverride.day == data.day)
            )
            .first()
        )
        if existing is not None:
            raise Conflict(f"{data.day} 已有本区的工作日调整，请先删除再重新设置。")
        row = WorkdayOverride(
            district=caller.district_id,
            day=data.day,
            working=data.working,
            note=data.note.strip(),
            created_by=caller.id,
            created_at=now(),
        )
        await row.save()
        moved = await refresh_warranty_ends(caller.district_id, data.day)
        await record(
            caller,
            "workday_override.set",
            "workday_override",
            row.id,
            after={**row.to_dict(), "warranty_ends_moved": moved},
        )
    return UUID(str(row.id))


async def remove_override(caller: Caller, override_id: UUID) -> None:
    """Withdraw one of the district's overrides (404 for another district's) and move the
    warranty ends back."""
    async with transaction():
        await _lock_district_calendar(caller.district_id)
        row = (
            await WorkdayOverride.select()
            .where(
                (WorkdayOverride.id == override_id)
                & (WorkdayOverride.district == caller.district_id)
            )
            .first()
        )
        if row is None:
            raise NotFoundException("本区没有这条工作日调整。")
        await WorkdayOverride.delete().where(WorkdayOverride.id == override_id)
        moved = await refresh_warranty_ends(caller.district_id, row["day"])
        await record(
            caller,
            "workday_override.remove",
            "workday_override",
            override_id,
            before=row,
            after={"warranty_ends_moved": moved},
        )


async def refresh_ends_cli() -> int:
    """``changxiao warranty refresh-ends``: open the database, refresh, report, close."""
    from service.db import close_database, open_database

    await open_database()
    try:
        moved = await refresh_all_warranty_ends()
    finally:
        await close_database()
    print(f"保修期届满日已按当前工作日历重算：{sum(moved.values())} 项调整（{len(moved)} 个区）。")
    return 0
