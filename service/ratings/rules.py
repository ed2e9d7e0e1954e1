"""Pure rules of quality rating and subsidy (no I/O).

Scores are integer hundredths of a point (89.99 → 8999), ratios integer percent
(80% → 80), money integer fen, floor area integer hundredths of m².
"""

from __future__ import annotations

import calendar
import itertools
import os
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

FULL_MARKS = 100_00
FAIL_LINE = 60_00
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

# DOMAIN.md "Quality rating and subsidy": the default sheet and bands (ours, as data).
DEFAULT_ITEMS: tuple[dict[str, Any], ...] = (
    {"code": "general", "name": "综合管理", "max_score": 15_00},
    {"code": "security", "name": "秩序维护与安全", "max_score": 15_00},
    {"code": "cleaning", "name": "环境卫生（保洁）", "max_score": 20_00},
    {"code": "greening", "name": "绿化养护", "max_score": 10_00},
    {"code": "facilities", "name": "共用设施设备维护", "max_score": 20_00},
    {"code": "satisfaction", "name": "业主满意度", "max_score": 20_00},
)
DEFAULT_BANDS: tuple[dict[str, Any], ...] = (
    {"min_score": 90_00, "grade": "优秀", "ratio": 100},
    {"min_score": 80_00, "grade": "良好", "ratio": 80},
    {"min_score": 70_00, "grade": "合格", "ratio": 60},
    {"min_score": 60_00, "grade": "基本合格", "ratio": 30},
    {"min_score": 0, "grade": "不合格", "ratio": 0},
)

# Which service-record categories are evidence for which item of the default sheet.
EVIDENCE_CATEGORIES = {
    "security": ("patrol",),
    "cleaning": ("cleaning",),
    "greening": ("greening",),
    "facilities": ("facility_check", "repair"),
}

SATISFACTION_MIN, SATISFACTION_MAX = 1, 5


def appeal_window_days() -> int:
    """Days after a rating is made in which its company may appeal:
    ``CHANGXIAO_APPEAL_WINDOW_DAYS`` (default 7)."""
    try:
        return max(1, int(os.environ.get("CHANGXIAO_APPEAL_WINDOW_DAYS", 7)))
    except ValueError:
        return 7


@dataclass(frozen=True)
class Band:
    min_score: int
    grade: str
    ratio: int


def round_half_up(value: Fraction) -> int:
    """Round a non-negative exact fraction to the nearest integer, halves up."""
    return int((value * 2 + 1) // 2)


def total_score(scores: Iterable[int]) -> int:
    """The total of a rating: the sum of its item scores (each already weighted by its
    item's maximum)."""
    return sum(scores)


def band_for(total: int, bands: Sequence[Band]) -> Band:
    """The band with the highest ``min_score`` the total reaches (89.99 → the 80 band)."""
    reached = [b for b in bands if total >= b.min_score]
    if not reached:
        raise ValueError("the bands do not cover this score; a band must start at 0")
    return max(reached, key=lambda b: b.min_score)


def served_days(
    contract_start: date, contract_end: date | None, period_start: date, period_end: date
) -> int:
    """Days (inclusive) of the period during which the contract ran; an open end
    (no fixed term, art. 948) runs to the period's end."""
    first = max(contract_start, period_start)
    last = period_end if contract_end is None else min(contract_end, period_end)
    return max(0, (last - first).days + 1)


def period_days(starts_on: date, ends_on: date) -> int:
    return (ends_on - starts_on).days + 1


def months_in_period(starts_on: date, ends_on: date) -> int | None:
    """Whole calendar months a period spans, or None unless it starts on a 1st and ends
    on a month's last day (a subsidy standard is per month, so periods are whole months)."""
    last_day = calendar.monthrange(ends_on.year, ends_on.month)[1]
    if starts_on.day != 1 or ends_on.day != last_day or ends_on < starts_on:
        return None
    return (ends_on.year - starts_on.year) * 12 + ends_on.month - starts_on.month + 1


def months_served(
    contract_start: date, contract_end: date | None, period_start: date, period_end: date
) -> Fraction:
    """Months of the period the contract served, exactly (DOMAIN.md "Quality rating and
    subsidy": the standard is per m² per month). Each calendar month the period touches
    counts the days the contract served in it (within the period) over that month's days:
    a whole calendar month served counts 1, 17-31 May counts 15/31, a served leap February
    29/29. A contract serving exactly January of a quarter gets 1 month, not 31/90 of the
    quarter. An open end (no fixed term, art. 948) runs to the period's end."""
    first = max(contract_start, period_start)
    last = period_end if contract_end is None else min(contract_end, period_end)
    months = Fraction(0)
    year, month = first.year, first.month
    while first <= last:
        length = calendar.monthrange(year, month)[1]
        month_end = date(year, month, length)
        upto = min(month_end, last)
        months += Fraction((upto - first).days + 1, length)
        first = month_end + timedelta(days=1)
        year, month = first.year, first.month
    return months


def exact_subsidy_base(
    subsidy_fen_per_m2_month: int, served_area_hundredths: int, months: Fraction
) -> Fraction:
    """The subsidy base in fen before any rounding: standard × served area × months served."""
    if subsidy_fen_per_m2_month < 0 or served_area_hundredths < 0 or months < 0:
        raise ValueError("standard, area and months must not be negative")
    return Fraction(subsidy_fen_per_m2_month * served_area_hundredths, 100) * months


def subsidy_base(
    subsidy_fen_per_m2_month: int, served_area_hundredths: int, months: Fraction
) -> int:
    """Subsidy base in fen = standard × served area × months served (``months_served``),
    rounded half up to the fen once, at the end — never month by month (DOMAIN.md
    "Quality rating and subsidy")."""
    return round_half_up(
        exact_subsidy_base(subsidy_fen_per_m2_month, served_area_hundredths, months)
    )


def subsidy_amount(
    subsidy_fen_per_m2_month: int, served_area_hundredths: int, months: Fraction, ratio_percent: int
) -> int:
    """Amount in fen = the exact base × the band's ratio, rounded half up once at the end
    (so a 1-fen rounding of the base is never multiplied by the ratio)."""
    if not 0 <= ratio_percent <= 100:
        raise ValueError("a ratio lies between 0 and 100 percent")
    exact = exact_subsidy_base(subsidy_fen_per_m2_month, served_area_hundredths, months)
    return round_half_up(exact * Fraction(ratio_percent, 100))


def scheme_problems(
    items: Sequence[Mapping[str, Any]], bands: Sequence[Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """What is wrong with a proposed score sheet, as (field, message) pairs."""
    problems: list[tuple[str, str]] = []
    if not items:
        problems.append(("items", "至少需要一个评分项"))
    codes: set[str] = set()
    for index, item in enumerate(items):
        code = str(item["code"])
        if not CODE_PATTERN.match(code):
            problems.append((f"items[{index}].code", "应为小写字母开头的字母、数字或下划线"))
        if code in codes:
            problems.append((f"items[{index}].code", f"评分项代码 {code} 重复"))
        codes.add(code)
        if int(item["max_score"]) <= 0:
            problems.append((f"items[{index}].max_score", "必须大于零"))
    if items and sum(int(i["max_score"]) for i in items) != FULL_MARKS:
        problems.append(("items", "各评分项满分之和必须为 100"))
    mins = [int(b["min_score"]) for b in bands]
    if 0 not in mins:
        problems.append(("bands", "必须有一个从 0 分开始的等级"))
    if len(set(mins)) != len(mins):
        problems.append(("bands", "等级的最低分不能重复"))
    for index, band in enumerate(bands):
        if int(band["min_score"]) > FULL_MARKS:
            problems.append((f"bands[{index}].min_score", "不能超过 100"))
        if not 0 <= int(band["ratio"]) <= 100:
            problems.append((f"bands[{index}].ratio", "应在 0 到 1 之间"))
    ordered = sorted(bands, key=lambda b: int(b["min_score"]))
    if any(int(a["ratio"]) > int(b["ratio"]) for a, b in itertools.pairwise(ordered)):
        problems.append(("bands", "分数越高，补贴比例不能越低"))
    return problems


def needs_review(previous_total: int | None, current_total: int) -> bool:
    """Two finalised periods in a row below 60 flag the contract for review: the earlier
    rating (None: there is no adjacent earlier one) and this one both below 60.00."""
    return previous_total is not None and previous_total < FAIL_LINE and current_total < FAIL_LINE


def adjacent(earlier_ends_on: date, later_starts_on: date) -> bool:
    """Two periods are "in a row" when the later starts the day after the earlier ends
    (DOMAIN.md: adjacent periods by dates). A gap of even one day, or an overlap, breaks
    the row; the order in which periods were opened or finalised plays no part."""
    return earlier_ends_on + timedelta(days=1) == later_starts_on


@dataclass(frozen=True)
class RatedPeriod:
    """One finalised rating as the review rule sees it: the rated party (community and
    company: a renewed contract of the same company continues its row), the period's
    dates and the total in hundredths."""

    rating_id: Hashable
    party: Hashable
    starts_on: date
    ends_on: date
    total: int


def flagged_for_review(ratings: Iterable[RatedPeriod]) -> set[Hashable]:
    """The ratings to flag for review: each one below 60.00 whose party was also rated
    below 60.00 in the period immediately before it by date (ending the day before it
    starts). The later rating of each such pair is flagged. Only finalised ratings are
    passed in; the answer does not depend on their order (DOMAIN.md "Quality rating")."""
    given = list(ratings)
    ending: dict[tuple[Hashable, date], list[int]] = {}
    for rating in given:
        ending.setdefault((rating.party, rating.ends_on), []).append(rating.total)
    return {
        rating.rating_id
        for rating in given
        if any(
            needs_review(total, rating.total)
            for total in ending.get((rating.party, rating.starts_on - timedelta(days=1)), [])
        )
    }


def satisfaction_points(average_hundredths: int | None, max_score: int) -> int | None:
    """The satisfaction item's suggested score from the survey average (1-5 scale,
    5 = full marks), in hundredths, rounded half up; None without answers."""
    if average_hundredths is None:
        return None
    return round_half_up(Fraction(average_hundredths * max_score, SATISFACTION_MAX * 100))
