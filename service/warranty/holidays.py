"""The rest-day calendar used to end periods (Civil Code art. 203). DATA: maintain it.

A period whose last day is a statutory rest day (法定休假日) ends on the next working day.
Rest days are Saturdays and Sundays plus the statutory holidays (法定节假日) listed here,
minus the make-up working days (调休上班日) the State Council announces each year.

What is listed: the statutory holiday days of the 全国年节及纪念日放假办法 for 2021-2030
(New Year 1 Jan; Spring Festival 初一-初三, plus 除夕 from 2025; Qingming; Labour Day
1 May, plus 2 May from 2025; Dragon Boat; Mid-Autumn; National Day 1-3 Oct). What is NOT
listed: the extra days of each year's announced arrangement and the make-up working
days — add them (``EXTRA_REST_DAYS``, ``MAKEUP_WORKDAYS``) when the State Council's
notice for a year is published, and extend the lunar dates past 2030.
"""

from __future__ import annotations

from datetime import date, timedelta

# 正月初一 (first day of the lunar year).
SPRING_FESTIVAL = {
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
QINGMING = {
    2021: date(2021, 4, 4),
    2022: date(2022, 4, 5),
    2023: date(2023, 4, 5),
    2024: date(2024, 4, 4),
    2025: date(2025, 4, 4),
    2026: date(2026, 4, 5),
    2027: date(2027, 4, 5),
    2028: date(2028, 4, 4),
    2029: date(2029, 4, 4),
    2030: date(2030, 4, 5),
}
DRAGON_BOAT = {
    2021: date(2021, 6, 14),
    2022: date(2022, 6, 3),
    2023: date(2023, 6, 22),
    2024: date(2024, 6, 10),
    2025: date(2025, 5, 31),
    2026: date(2026, 6, 19),
    2027: date(2027, 6, 9),
    2028: date(2028, 5, 28),
    2029: date(2029, 6, 16),
    2030: date(2030, 6, 5),
}
MID_AUTUMN = {
    2021: date(2021, 9, 21),
    2022: date(2022, 9, 10),
    2023: date(2023, 9, 29),
    2024: date(2024, 9, 17),
    2025: date(2025, 10, 6),
    2026: date(2026, 9, 25),
    2027: date(2027, 9, 15),
    2028: date(2028, 10, 3),
    2029: date(2029, 9, 22),
    2030: date(2030, 9, 12),
}

# Days of each year's announced arrangement beyond the statutory ones, and weekend
# days declared working days (调休). Empty until maintained from the annual notice.
EXTRA_REST_DAYS: frozenset[date] = frozenset()
MAKEUP_WORKDAYS: frozenset[date] = frozenset()

# The 2024 revision of the holiday measures (effective 2025) added 除夕 and 2 May.
_REVISION_YEAR = 2025


def _statutory_holidays() -> frozenset[date]:
    days: set[date] = set()
    for year in range(2021, 2031):
        days.add(date(year, 1, 1))
        first = SPRING_FESTIVAL[year]
        days.update(first + timedelta(days=i) for i in range(3))
        days.update({QINGMING[year], DRAGON_BOAT[year], MID_AUTUMN[year], date(year, 5, 1)})
        days.update(date(year, 10, d) for d in (1, 2, 3))
        if year >= _REVISION_YEAR:
            days.add(first - timedelta(days=1))
            days.add(date(year, 5, 2))
    return frozenset(days)


STATUTORY_HOLIDAYS = _statutory_holidays()


def is_rest_day(day: date) -> bool:
    """True for a weekend (unless a make-up working day) or a listed holiday."""
    if day in STATUTORY_HOLIDAYS or day in EXTRA_REST_DAYS:
        return True
    return day.weekday() >= 5 and day not in MAKEUP_WORKDAYS


def next_working_day_from(day: date) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while is_rest_day(day):
        day += timedelta(days=1)
    return day
