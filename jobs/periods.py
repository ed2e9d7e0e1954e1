"""Schedules and periods: a job's cron expression (in the district's zone) fires at
instants; each instant is one period, named by its local time (``2026-12-01T09:00``, with
seconds for a six-field expression). The scheduler, catch-up and ``changxiao jobs run``
all name a period the same way, so their claims meet on one row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from service.clock import DISTRICT_ZONE

TICK = timedelta(microseconds=1)
# How far back a job without history looks for its current period.
LONGEST_LOOK_BACK = timedelta(days=4 * 366)


class BadPeriod(ValueError):
    """A period that the job's schedule never fires in."""


def cron_trigger(expression: str) -> CronTrigger:
    """A trigger for a five-field crontab (minute hour day month weekday) or a six-field
    one with seconds first, in the district's zone."""
    fields = expression.split()
    if len(fields) == 5:
        return CronTrigger.from_crontab(expression, timezone=DISTRICT_ZONE)
    if len(fields) == 6:
        second, minute, hour, day, month, weekday = fields
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekday,
            timezone=DISTRICT_ZONE,
        )
    raise ValueError(f"a cron expression has 5 or 6 fields, not {len(fields)}: {expression!r}")


def has_seconds(expression: str) -> bool:
    return len(expression.split()) == 6


def period_name(expression: str, at: datetime) -> str:
    """The period a fire time stands for: its local time, to the minute (or second)."""
    local = at.astimezone(DISTRICT_ZONE)
    return local.strftime("%Y-%m-%dT%H:%M:%S" if has_seconds(expression) else "%Y-%m-%dT%H:%M")


def period_instant(name: str) -> datetime:
    """The instant a period name stands for (the inverse of ``period_name``)."""
    return datetime.fromisoformat(name).replace(tzinfo=DISTRICT_ZONE)


def next_fire(expression: str, after: datetime) -> datetime | None:
    """The first fire time strictly after ``after``."""
    trigger = cron_trigger(expression)
    fire = trigger.get_next_fire_time(None, after + TICK)
    return fire.astimezone(DISTRICT_ZONE) if fire else None


def fires_between(expression: str, start: datetime, end: datetime) -> Iterator[datetime]:
    """Fire times in ``(start, end]``, oldest first."""
    at = start
    while True:
        fire = next_fire(expression, at)
        if fire is None or fire > end:
            return
        yield fire
        at = fire


def recent_fires(
    expression: str, since: datetime | None, until: datetime, limit: int
) -> list[datetime]:
    """The newest ``limit`` fire times in ``(since, until]``, oldest first.

    The window grows from one second by doubling, so a fine schedule after a long gap
    (a fire every second, a month stopped) costs about ``limit`` steps, not millions.
    """
    floor = since if since is not None else until - LONGEST_LOOK_BACK
    span = timedelta(seconds=1)
    while True:
        start = max(floor, until - span)
        fires = list(fires_between(expression, start, until))
        if len(fires) >= limit or start <= floor:
            return fires[-limit:] if limit > 0 else []
        span *= 2


def latest_fire(expression: str, moment: datetime) -> datetime | None:
    """The last fire time at or before ``moment`` (None if none in four years)."""
    fires = recent_fires(expression, None, moment, 1)
    return fires[-1] if fires else None


_SPANS = (
    (re.compile(r"^\d{4}$"), "%Y"),
    (re.compile(r"^\d{4}-\d{2}$"), "%Y-%m"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
)


def resolve_period(expression: str, given: str) -> datetime:
    """The fire time a person means by ``given``: an exact period name
    (``2026-12-01T09:00``), or a year, month or day, meaning the schedule's first fire
    time in it. ``BadPeriod`` when the schedule does not fire there."""
    for pattern, form in _SPANS:
        if pattern.match(given):
            try:
                start = datetime.strptime(given, form).replace(tzinfo=DISTRICT_ZONE)
            except ValueError:
                raise BadPeriod(f"无效的期间：{given}") from None
            if form == "%Y":
                end = start.replace(year=start.year + 1)
            elif form == "%Y-%m":
                end = (start + timedelta(days=32)).replace(day=1)
            else:
                end = start + timedelta(days=1)
            fire = next_fire(expression, start - TICK)
            if fire is None or fire >= end:
                raise BadPeriod(f"该任务的计划在 {given} 内不运行（{expression}）")
            return fire
    try:
        at = period_instant(given)
    except ValueError:
        raise BadPeriod(
            f"无效的期间：{given}（写 YYYY、YYYY-MM、YYYY-MM-DD 或 YYYY-MM-DDTHH:MM）"
        ) from None
    if next_fire(expression, at - TICK) != at:
        raise BadPeriod(f"该任务的计划不在 {given} 运行（{expression}）")
    return at
